"""Does strength predict which relationships stay two-way? ROC AUC against simple baselines.

    python bench/metric_auc.py --events FILE --cutoff 2025-03-01T00:00:00Z [--horizon-days 90]

For every (ego, counterpart) pair with any interaction before the cutoff, each predictor is
measured at the cutoff from the events before it; the label is whether the pair has two-way
interaction (at least one non-veto event in each direction) in the `horizon` after it. Prints the
ROC AUC of Rapport's strength and of the baselines computed on the same data:

- raw count: number of events before the cutoff;
- recency: minus the time since the last event;
- decayed volume: out + in, decayed with the metric's half-life, without anything else.

An AUC of 0.5 is chance. The metric is meant to beat all three on real interaction data; this
script is how to check that on any events file (JSON Lines, docs/metric.md), e.g. one written by
`rapport fetch` or exported from an archive.
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import msgspec

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from rapport.eventsfile import read_events
from rapport.metric import MetricConfig
from rapport.metric.decay import DAY_SECONDS, epoch
from rapport.metric.evaluation import PREDICTORS, evaluate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", required=True, type=Path)
    parser.add_argument("--cutoff", required=True, help="RFC 3339 instant")
    parser.add_argument("--horizon-days", type=float, default=90.0)
    args = parser.parse_args()
    cutoff = epoch(msgspec.convert(args.cutoff, datetime))
    with args.events.open("rb") as handle:
        events = list(read_events(handle, str(args.events)))
    result = evaluate(events, cutoff, args.horizon_days * DAY_SECONDS, MetricConfig())
    print(
        f"pairs: {result['pairs']:.0f}, with two-way interaction after the cutoff: "
        f"{result['positives']:.0f}"
    )
    for name in PREDICTORS:
        print(f"ROC AUC {name:<17} {result[name]:.3f}")


if __name__ == "__main__":
    main()
