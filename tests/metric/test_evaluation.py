"""The AUC judgement: correct on known rankings, and wired to the right labels."""

from __future__ import annotations

import math

import numpy as np

from rapport.metric import MetricConfig
from rapport.metric.decay import from_epoch
from rapport.metric.evaluation import PREDICTORS, evaluate, roc_auc
from rapport.model import Direction, Interaction, Kind

DAY = 86_400.0
CUTOFF = 1_700_000_000.0


def test_auc_of_known_rankings() -> None:
    labels = np.array([True, True, False, False])
    assert roc_auc(np.array([4.0, 3, 2, 1]), labels) == 1.0
    assert roc_auc(np.array([1.0, 2, 3, 4]), labels) == 0.0
    assert roc_auc(np.array([1.0, 1, 1, 1]), labels) == 0.5
    assert math.isnan(roc_auc(np.array([1.0]), np.array([True])))


def test_evaluate_labels_pairs_by_two_way_interaction_after_the_cutoff() -> None:
    def ev(who: str, d: Direction, days: float, n: str) -> Interaction:
        return Interaction(
            platform="t",
            ego="ego",
            counterpart=who,
            direction=d,
            kind=Kind.MESSAGE,
            at=from_epoch(CUTOFF + days * DAY),
            event_id=n,
        )

    events = [
        ev("friend", Direction.OUT, -3, "1"),
        ev("friend", Direction.IN, -2, "2"),
        ev("friend", Direction.OUT, 5, "3"),
        ev("friend", Direction.IN, 6, "4"),
        ev("fan", Direction.IN, -1, "5"),
        ev("fan", Direction.IN, 4, "6"),
        ev("old", Direction.OUT, -200, "7"),
        ev("old", Direction.IN, -199, "8"),
    ]
    result = evaluate(events, CUTOFF, 90 * DAY, MetricConfig())
    assert result["pairs"] == 3
    assert result["positives"] == 1
    assert result["rapport strength"] == 1.0
    assert set(PREDICTORS) <= set(result)
