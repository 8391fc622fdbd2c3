"""Recently served score documents and batch entries, kept in memory as the JSON bytes sent.

Why: the score GET is the API's hot path, and one Redis round trip plus decoding the stored
document and encoding it again cost several times what the framework itself costs per
request (docs/api.md, Performance). Scores change only when an account's events are ingested,
it is rescored, or it is deleted, so each API process keeps the bytes it last sent.

How it stays correct:

- An entry is named by (tenant, platform, account): a tenant can only hit its own entries.
- Every writer of a score publishes a notice (`rapport.storage.changes`) in the same
  transaction; `follow` drops the account's entries when it arrives (sub-millisecond on
  loopback). The process that made the write also drops them itself at once, so a client
  reads its own writes.
- Nothing is served or stored unless the subscription is confirmed (`live`); a lost
  subscription clears everything, since notices sent meanwhile are gone.
- A read that races a notice must not put back the old bytes: `mark()` is taken before the
  Redis read and `put_*` is ignored if any notice arrived since.
- Every entry also expires within `ttl` seconds (80-100 % of it, so entries filled together
  do not expire together), a bound on staleness should a notice be lost without the connection
  noticing; `ttl == 0` turns the cache off.
- Concurrent misses of one account share one Redis read (`loads`); a notice makes later
  misses start a new read, so none of them gets bytes read before the change.
- Memory is bounded by `max_bytes` (oldest entries go first).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random

from redis.asyncio import Redis
from redis.exceptions import RedisError

from rapport.api.single_flight import SingleFlight
from rapport.storage import changes
from rapport.storage.changes import AccountId

__all__ = ["ScoreCache"]

logger = logging.getLogger("rapport.api.cache")

_Entry = tuple[bytes, float]  # (body, expires at)


class ScoreCache:
    """One process's cache of score bytes (see the module docstring)."""

    def __init__(self, *, ttl: float, max_bytes: int) -> None:
        self.ttl = ttl
        self.max_bytes = max_bytes
        #: True while the invalidation subscription is confirmed; nothing is served otherwise.
        self.live = False
        self.hits = 0
        self.misses = 0
        self._epoch = 0
        self._size = 0
        self._documents: dict[AccountId, _Entry] = {}
        self._items: dict[AccountId, _Entry] = {}
        #: one Redis read per account at a time, however many requests miss at once
        self.loads: SingleFlight[AccountId, bytes | None] = SingleFlight()

    @property
    def enabled(self) -> bool:
        return self.ttl > 0 and self.max_bytes > 0

    def document(self, account: AccountId, now: float, *, count_miss: bool = True) -> bytes | None:
        """The full score document last sent for the account, if still valid (`count_miss`
        False: a look that is not a read of its own, whose miss someone else will count)."""
        return self._get(self._documents, account, now, count_miss)

    def item(self, account: AccountId, now: float) -> bytes | None:
        """The account's `ok` batch entry last sent, if still valid."""
        return self._get(self._items, account, now)

    def mark(self) -> int:
        """Take before reading Redis; hand to `put_*` so a notice in between voids the put."""
        return self._epoch

    def put_document(self, account: AccountId, mark: int, body: bytes, now: float) -> None:
        self._put(self._documents, account, mark, body, now)

    def put_item(self, account: AccountId, mark: int, body: bytes, now: float) -> None:
        self._put(self._items, account, mark, body, now)

    def invalidate(self, account: AccountId) -> None:
        """Forget the account (its score changed or it was purged)."""
        self._epoch += 1
        self.loads.forget(account)
        for entries in (self._documents, self._items):
            entry = entries.pop(account, None)
            if entry is not None:
                self._size -= len(entry[0])

    def clear(self) -> None:
        self._epoch += 1
        self.loads.forget()
        self._documents.clear()
        self._items.clear()
        self._size = 0

    def _get(
        self,
        entries: dict[AccountId, _Entry],
        account: AccountId,
        now: float,
        count_miss: bool = True,
    ) -> bytes | None:
        if self.live:
            entry = entries.get(account)
            if entry is not None and entry[1] > now:
                self.hits += 1
                return entry[0]
        if count_miss:
            self.misses += 1
        return None

    def _put(
        self,
        entries: dict[AccountId, _Entry],
        account: AccountId,
        mark: int,
        body: bytes,
        now: float,
    ) -> None:
        if not self.live or mark != self._epoch or len(body) > self.max_bytes:
            return
        old = entries.pop(account, None)
        if old is not None:
            self._size -= len(old[0])
        while self._size + len(body) > self.max_bytes:
            victims = entries if entries else self._other(entries)
            oldest = next(iter(victims))  # dicts keep insertion order
            self._size -= len(victims.pop(oldest)[0])
        # Up to a fifth earlier, so entries filled together do not all expire together.
        entries[account] = (body, now + self.ttl * (1.0 - 0.2 * random.random()))
        self._size += len(body)

    def _other(self, entries: dict[AccountId, _Entry]) -> dict[AccountId, _Entry]:
        return self._items if entries is self._documents else self._documents

    async def follow(
        self, redis: Redis, *, retry_delay: float = 1.0, max_delay: float = 30.0
    ) -> None:
        """Apply score-change notices until cancelled; resubscribe after a lost connection,
        waiting longer after each failure in a row (up to `max_delay`), and say so once per
        outage. Runs as a task for the app's lifetime (the app's lifespan starts and cancels it).
        """
        if not self.enabled:
            return
        delay = retry_delay
        while True:
            pubsub = redis.pubsub()
            try:
                await pubsub.subscribe(changes.CHANNEL)
                async for message in pubsub.listen():
                    if message["type"] == "subscribe":
                        # (Re)subscribed: notices sent while we were not listening are lost.
                        self.clear()
                        if not self.live and delay > retry_delay:
                            logger.warning("score cache on again: change notices arrive")
                        self.live = True
                        delay = retry_delay
                    elif message["type"] == "message":
                        account = changes.parse(message["data"])
                        if account is None:
                            self.clear()  # not ours to read: be safe
                        else:
                            self.invalidate(account)
            except (RedisError, OSError) as exc:
                if delay == retry_delay:
                    logger.warning(
                        "score cache off: change notices unavailable; scores are read from "
                        "Redis until they are back",
                        extra={"error": f"{type(exc).__name__}: {exc}"},
                    )
            finally:
                self.live = False
                self.clear()
                with contextlib.suppress(RedisError, OSError):
                    await pubsub.aclose()  # type: ignore[no-untyped-call]
            await asyncio.sleep(delay)
            delay = min(max_delay, delay * 2)
