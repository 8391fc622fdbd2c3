"""Recompute of a stored account: its score read from Redis, as a ratio to fetching its data.

    python bench/recompute_bench.py [--relationships 100000] [--repeat 7]

One account of `--relationships` aggregates in a private `redis-server` (Unix socket), the
aggregates folded from metric_bench's synthetic year of events (as bench/report.py's (c) does).
Prints medians of:

- stored: `rapport.storage.scores.compute`, what every refresh, ingest and rescore pays (HVALS,
  decoding, the profiles, the relationship table, `score_table`);
- its baseline, HVALS alone: the least a recompute can do is fetch its data once;
- the stored path's parts, to show where the time goes: decoding the values (as
  `StoredAggregate`s), gathering them into columns, the table at `as_of`, scoring the table.

Absolute times move with the machine; the ratio stored / HVALS is what to compare between runs.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from metric_bench import END, synthetic_events
from redis.asyncio import Redis

from rapport.metric import MetricConfig, RelationshipAggregate, score_table
from rapport.metric.aggregate import StoredAggregate
from rapport.metric.table import AggregateColumns
from rapport.model import AccountRef
from rapport.redis_launcher import RedisServer
from rapport.storage import keys, scores
from rapport.storage.records import encode

ACCOUNT = AccountRef("bench", "ego")
POOL = 2_000


def stored_values(n: int, config: MetricConfig) -> list[bytes]:
    """`n` aggregates as Redis stores them: a pool folded from synthetic events, repeated under
    new counterpart names (the cost depends on the number of rows, not on their values)."""
    pool: dict[str, RelationshipAggregate] = {}
    for event in synthetic_events(15 * POOL, POOL):
        agg = pool.setdefault(
            event.counterpart, RelationshipAggregate(counterpart=event.counterpart)
        )
        agg.add(event.at.timestamp(), event.direction, event.kind, event.text_len, config)
    aggs = list(pool.values())
    return [
        encode(msgspec.structs.replace(aggs[i % len(aggs)], counterpart=f"peer{i}"))
        for i in range(n)
    ]


def timed(run: Callable[[], object], repeat: int) -> float:
    """Median milliseconds of `run` over `repeat` calls, after one warm-up call."""
    run()
    gc.collect()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--relationships", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    config = MetricConfig()
    as_of = END.timestamp()
    values = stored_values(args.relationships, config)
    decoder = msgspec.msgpack.Decoder(StoredAggregate)
    decoded = list(map(decoder.decode, values))
    columns = AggregateColumns.gather(decoded)
    table = columns.table(as_of, config)
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp, unix_socket=True) as server:
        redis = Redis.from_url(server.url)
        key = keys.AccountKeys("bench", ACCOUNT.platform, ACCOUNT.account).relationships

        async def load() -> None:
            for start in range(0, len(values), 10_000):
                part = values[start : start + 10_000]
                mapping = {f"peer{start + i}": v for i, v in enumerate(part)}
                await redis.hset(key, mapping=mapping)  # type: ignore[misc]

        loop.run_until_complete(load())
        # The fixtures are frozen out of the collector's view, as in bench/report.py: a service
        # holds only what it is computing.
        gc.freeze()
        try:
            hvals_ms = timed(lambda: loop.run_until_complete(redis.hvals(key)), args.repeat)  # type: ignore[arg-type]
            stored_ms = timed(
                lambda: loop.run_until_complete(
                    scores.compute(redis, "bench", ACCOUNT, now=as_of, config=config)
                ),
                args.repeat,
            )
            decode_ms = timed(lambda: list(map(decoder.decode, values)), args.repeat)
            gather_ms = timed(lambda: AggregateColumns.gather(decoded), args.repeat)
            table_ms = timed(lambda: columns.table(as_of, config), args.repeat)
            score_ms = timed(
                lambda: score_table(table, account=ACCOUNT, config=config), args.repeat
            )
        finally:
            gc.unfreeze()
            loop.run_until_complete(redis.aclose())
            loop.close()
    n = args.relationships
    print(f"stored recompute, {n:,} relationships:  {stored_ms:.1f} ms")
    print(f"baseline (HVALS of the same hash):        {hvals_ms:.1f} ms")
    print(f"ratio stored / HVALS:                     {stored_ms / hvals_ms:.2f}")
    print(f"  decode (StoredAggregate):               {decode_ms:.1f} ms")
    print(f"  gather into AggregateColumns:           {gather_ms:.1f} ms")
    print(f"  the table at as_of:                     {table_ms:.1f} ms")
    print(f"  score_table:                            {score_ms:.1f} ms")


if __name__ == "__main__":
    main()
