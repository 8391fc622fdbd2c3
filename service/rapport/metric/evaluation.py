"""How well strength predicts which relationships go on to be two-way: ROC AUC against the
simple predictors the metric must beat (raw counts, recency alone, decayed volume alone).

The metric will be judged this way on real interaction data (docs/metric.md, "Limits"); this
module lets anyone run the same judgement on an events file (bench/metric_auc.py).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

from rapport.metric.config import MetricConfig
from rapport.metric.decay import epoch
from rapport.metric.strength import strength
from rapport.metric.table import aggregate, group_by_account
from rapport.model import VETO_KINDS, Direction, Interaction

__all__ = ["PREDICTORS", "evaluate", "roc_auc"]

#: The predictors compared, Rapport's first.
PREDICTORS = ("rapport strength", "raw count", "recency", "decayed volume")


def roc_auc(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.bool_]) -> float:
    """Mann-Whitney AUC with ties counted half."""
    positives, negatives = scores[labels], scores[~labels]
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    order = np.argsort(np.concatenate([positives, negatives]), kind="mergesort")
    ranks = np.empty(len(order), dtype=np.float64)
    values = np.concatenate([positives, negatives])[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and values[j + 1] == values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = ranks[: len(positives)].sum()
    return float(
        (rank_sum - len(positives) * (len(positives) + 1) / 2) / (len(positives) * len(negatives))
    )


def evaluate(
    events: Iterable[Interaction], cutoff: float, horizon: float, config: MetricConfig
) -> dict[str, float]:
    """AUC of each predictor measured at `cutoff` (epoch seconds) for "two-way interaction
    within `horizon` seconds after it", over every pair seen before the cutoff; also the
    number of pairs and of positives."""
    events = list(events)
    before = [e for e in events if epoch(e.at) < cutoff]
    after: dict[tuple[str, str, str], set[Direction]] = defaultdict(set)
    for e in events:
        t = epoch(e.at)
        if cutoff <= t < cutoff + horizon and e.kind not in VETO_KINDS:
            after[(e.platform, e.ego, e.counterpart)].add(e.direction)

    columns: dict[str, list[float]] = defaultdict(list)
    labels: list[bool] = []
    for ref, bucket in group_by_account(before).items():
        table = aggregate(bucket, cutoff, config)
        s = strength(table, config)
        for i, name in enumerate(table.counterparts):
            labels.append(len(after.get((ref.platform, ref.account, name), ())) == 2)
            columns["rapport strength"].append(float(s[i]))
            columns["raw count"].append(float(table.events[i]))
            columns["recency"].append(-(cutoff - float(np.nan_to_num(table.last_at[i], nan=0))))
            columns["decayed volume"].append(float(table.outbound[i] + table.inbound[i]))
    y = np.array(labels, dtype=bool)
    result: dict[str, float] = {"pairs": float(len(y)), "positives": float(y.sum())}
    for name, values in columns.items():
        result[name] = roc_auc(np.array(values), y)
    return result
