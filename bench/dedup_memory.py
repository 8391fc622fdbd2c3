"""Redis memory of one account's de-duplication set, and what the cap does to it.

    python bench/dedup_memory.py [--events 200000] [--batch 20000] [--cap 50000]

Ingests `--events` events of one account (ids the length of X's, spread over ten years, in
batches of `--batch`) through `rapport.storage.ingest` into a private, real `redis-server`, and
prints `MEMORY USAGE` of its `seen` set per remembered id. Then ingests them again into a fresh
account with `RAPPORT_DEDUP_MAX_IDS` = `--cap` and prints the ids kept, the horizon, and what a
second pass over the same events counted (nothing: every one is a duplicate or refused).
docs/jobs.md quotes the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapport.metric import MetricConfig
from rapport.model import AccountRef, Direction, Interaction, Kind
from rapport.redis_launcher import RedisServer
from rapport.storage import accounts, keys
from rapport.storage.ingest import IngestResult, ingest

START = datetime(2016, 1, 1, tzinfo=UTC)
TEN_YEARS = 10 * 365 * 86_400


def events(n: int, ego: str) -> list[Interaction]:
    step = TEN_YEARS / n
    return [
        Interaction(
            platform="twitter",
            ego=ego,
            counterpart=f"{1_000_000 + i % 5000}",
            direction=Direction.OUT if i % 2 else Direction.IN,
            kind=Kind.REPLY,
            at=START + timedelta(seconds=i * step),
            event_id=f"{1626922779105759235 + i}",
            text_len=40,
        )
        for i in range(n)
    ]


async def _load(
    redis: Redis, batch: list[Interaction], size: int, cap: int, now: float
) -> IngestResult:
    total = IngestResult()
    for start in range(0, len(batch), size):
        total.add(
            await ingest(
                redis,
                "bench",
                batch[start : start + size],
                now=now,
                config=MetricConfig(),
                max_ids=cap,
                events_retention_days=1,
            )
        )
    return total


async def run(n: int, size: int, cap: int, redis: Redis) -> None:
    now = time.time()
    started = time.perf_counter()
    await _load(redis, events(n, "whole"), size, 10 * n, now)
    seconds = time.perf_counter() - started
    seen = keys.AccountKeys("bench", "twitter", "whole").seen
    used = await redis.memory_usage(seen, samples=0)
    ids = await redis.zcard(seen)
    print(f"{ids:,} ids remembered: {used:,} bytes, {used / ids:.1f} bytes per id")
    print(f"ingested {n:,} events in {seconds:.1f} s ({n / seconds:,.0f} events/s)")

    capped = events(n, "capped")
    first = await _load(redis, capped, size, cap, now)
    again = await _load(redis, capped, size, cap, now)
    k = keys.AccountKeys("bench", "twitter", "capped")
    record = await accounts.get(redis, "bench", AccountRef("twitter", "capped"))
    assert record is not None
    assert record.dedup_horizon is not None
    horizon = datetime.fromtimestamp(record.dedup_horizon, UTC).date()
    print(
        f"cap {cap:,}: counted {first.accepted:,} of {n:,}, {await redis.zcard(k.seen):,} ids "
        f"kept ({await redis.memory_usage(k.seen, samples=0):,} bytes), horizon {horizon}; "
        f"again: counted {again.accepted}, duplicates {again.duplicates:,}, refused "
        f"{again.refused}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--cap", type=int, default=50_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, RedisServer(Path(folder)) as server:

        async def go() -> None:
            redis = Redis.from_url(server.url)
            try:
                await run(args.events, args.batch, args.cap, redis)
            finally:
                await redis.aclose()

        asyncio.run(go())


if __name__ == "__main__":
    main()
