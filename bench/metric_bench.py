"""Metric throughput: ingest plus score, as a ratio to reading the data once.

    python bench/metric_bench.py [--events 1000000] [--relationships 100000] [--repeat 3]

Synthetic events for one account: every relationship gets at least one event, the rest follow
a power law over counterparts (a few close ties, a long tail), with a realistic mix of kinds
and directions over a year. Prints:

- ingest + score: events/s from decoded `Interaction`s to the score document (dedup, batch
  aggregation, strength, components), and its ratio to the baseline, a plain loop that only
  sums weights per counterpart over the same objects (the cost of reading the data once);
- score only: milliseconds to score the account from its 100k-relationship table, and its ratio
  to a plain loop reading one number per relationship.

Absolute times move with the machine; the ratios are what to compare between runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapport.metric import (
    AccountEvents,
    MetricConfig,
    aggregate,
    score_events,
    score_table,
)
from rapport.model import AccountRef, Direction, Interaction, Kind

KIND_MIX = {
    Kind.LIKE: 0.45,
    Kind.REPOST: 0.12,
    Kind.REPLY: 0.20,
    Kind.MENTION: 0.10,
    Kind.QUOTE: 0.03,
    Kind.MESSAGE: 0.10,
}
ACCOUNT = AccountRef("bench", "ego")
END = datetime(2025, 1, 1, tzinfo=UTC)


def synthetic_events(n_events: int, n_relationships: int, seed: int = 7) -> list[Interaction]:
    rng = np.random.default_rng(seed)
    extra = n_events - n_relationships
    tail = rng.zipf(1.6, size=extra * 2) - 1
    tail = tail[tail < n_relationships][:extra]
    if len(tail) < extra:  # pragma: no cover - zipf draws are plentiful
        tail = np.concatenate([tail, rng.integers(0, n_relationships, extra - len(tail))])
    counterparts = np.concatenate([np.arange(n_relationships), tail])
    kinds = list(KIND_MIX)
    kind_idx = rng.choice(len(kinds), size=n_events, p=list(KIND_MIX.values()))
    inbound = rng.random(n_events) < 0.55
    seconds = rng.integers(0, 365 * 86_400, size=n_events)
    text = rng.integers(0, 280, size=n_events)
    start = END - timedelta(days=365)
    names = [f"user{i}" for i in range(n_relationships)]
    return [
        Interaction(
            platform=ACCOUNT.platform,
            ego=ACCOUNT.account,
            counterpart=names[c],
            direction=Direction.IN if i_n else Direction.OUT,
            kind=kinds[k],
            at=start + timedelta(seconds=int(s)),
            event_id=str(i),
            text_len=int(t) if kinds[k] is Kind.REPLY else None,
        )
        for i, (c, k, i_n, s, t) in enumerate(
            zip(
                counterparts.tolist(),
                kind_idx.tolist(),
                inbound.tolist(),
                seconds.tolist(),
                text.tolist(),
                strict=True,
            )
        )
    ]


def baseline_read(events: list[Interaction], config: MetricConfig) -> float:
    """Read every event once: sum weights per counterpart."""
    weights = {kind: config.weights.of(kind) for kind in Kind}
    start = time.perf_counter()
    totals: dict[str, float] = {}
    for event in events:
        totals[event.counterpart] = totals.get(event.counterpart, 0.0) + weights[event.kind]
    return time.perf_counter() - start


def ingest_and_score(events: list[Interaction], config: MetricConfig, as_of: float) -> float:
    start = time.perf_counter()
    bucket = AccountEvents(ACCOUNT)
    for event in events:
        bucket.add(event)
    report = score_events(bucket, as_of=as_of, config=config, top=20)
    elapsed = time.perf_counter() - start
    assert report.relationships_total > 0
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--relationships", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    config = MetricConfig()
    as_of = END.timestamp()

    print(f"generating {args.events:,} events over {args.relationships:,} relationships ...")
    events = synthetic_events(args.events, args.relationships)

    base = min(baseline_read(events, config) for _ in range(args.repeat))
    ours = min(ingest_and_score(events, config, as_of) for _ in range(args.repeat))
    print(f"baseline (sum weights per counterpart): {args.events / base:,.0f} events/s")
    print(f"ingest + score:                         {args.events / ours:,.0f} events/s")
    print(f"ratio ingest+score / baseline:          {base / ours:.3f}")

    bucket = AccountEvents(ACCOUNT)
    for event in events:
        bucket.add(event)
    table = aggregate(bucket, as_of, config)
    score_times, read_times = [], []
    for _ in range(max(args.repeat, 5)):
        start = time.perf_counter()
        score_table(table, account=ACCOUNT, config=config, top=20)
        score_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        total = 0.0
        for value in table.outbound.tolist():
            total += value
        read_times.append(time.perf_counter() - start)
    score_ms = statistics.median(score_times) * 1000
    read_ms = statistics.median(read_times) * 1000
    print(f"score one account, {len(table):,} relationships: {score_ms:.1f} ms")
    print(f"baseline (python loop reading one number per relationship): {read_ms:.1f} ms")
    print(f"ratio score / baseline:                 {score_ms / read_ms:.2f}")


if __name__ == "__main__":
    main()
