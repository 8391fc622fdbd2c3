"""Score-change notices: one Redis pub/sub message per account whose stored score changed or
was purged.

API processes keep recently served scores in memory (`rapport.api.score_cache`); a score is
written by whichever process ran the job (an API replica, a worker), so the writer announces
the change and every API process drops its copy. The notice is published inside the same
MULTI/EXEC as the write (or right after a purge), so no reader can see the new data before the
notice is on its way. Pub/sub delivers at most once: a reader that loses its subscription must
drop everything it cached (the cache does).
"""

from __future__ import annotations

import msgspec
from redis.asyncio import Redis
from redis.asyncio.client import Pipeline

from rapport.storage import keys

__all__ = ["CHANNEL", "AccountId", "announce", "announce_now", "parse"]

CHANNEL = keys.score_changes()

#: (tenant, platform, account): how a notice and the cache name an account.
AccountId = tuple[str, str, str]

_decoder = msgspec.msgpack.Decoder(tuple[str, str, str])


def _notice(account: AccountId) -> bytes:
    return msgspec.msgpack.encode(account)


def announce(pipe: Pipeline, account: AccountId) -> None:
    """Queue the notice on the writer's pipeline, so it goes out with the write."""
    pipe.publish(CHANNEL, _notice(account))


async def announce_now(redis: Redis, account: AccountId) -> None:
    """Publish the notice at once (after a write that is not a pipeline)."""
    await redis.publish(CHANNEL, _notice(account))


def parse(message: bytes) -> AccountId | None:
    """The account a notice names, or None for anything else on the channel."""
    try:
        return _decoder.decode(message)
    except msgspec.DecodeError:
        return None
