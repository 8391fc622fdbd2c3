"""Strength: calibration, reciprocity as a soft weight, recency, monotone answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rapport.metric import MetricConfig, RelationshipTable, genuine_mask, reciprocity, strength

DAY = 86_400.0
AS_OF = 1_700_000_000.0
CONFIG = MetricConfig()


def table(
    out: float,
    inbound: float,
    days: float = 1.0,
    active: int = 3,
    silence_days: float = 1.0,
    vetoed: bool = False,
) -> RelationshipTable:
    one = np.ones(1)
    return RelationshipTable(
        as_of=AS_OF,
        counterparts=["bea"],
        outbound=one * out,
        inbound=one * inbound,
        days_decayed=one * days,
        active_days=np.array([active]),
        first_at=one * (AS_OF - 100 * DAY),
        last_at=one * (AS_OF - silence_days * DAY),
        vetoed=np.array([vetoed]),
        turns=np.zeros(1, dtype=np.int64),
        events=np.ones(1, dtype=np.int64),
        kind_counts=np.zeros((1, 9, 2), dtype=np.int64),
    )


def steady_weekly_relationship() -> RelationshipTable:
    """A reply each way every week (the second a turn), on two days a week, for a long time;
    last contact three days ago: the calibration case of docs/metric.md."""
    per_week = 1 - 2 ** (-7 / 30)
    side = (6 + 10) / per_week
    return table(side, side, days=2 / per_week, silence_days=3)


def test_a_steady_two_way_relationship_lands_near_point_nine() -> None:
    value = strength(steady_weekly_relationship(), CONFIG)[0]
    assert 0.86 <= value <= 0.93


def test_one_way_volume_counts_half_of_balanced_volume() -> None:
    one_way = strength(table(20, 0), CONFIG)[0]
    balanced = strength(table(10, 10), CONFIG)[0]
    assert 0 < one_way < balanced
    raw = lambda s: -math.log(1 - s) * CONFIG.strength_scale  # noqa: E731
    assert raw(one_way) / raw(balanced) == pytest.approx(0.5, rel=1e-9)


def test_an_overshooting_answer_still_raises_strength() -> None:
    """DESIGN.md's product form lowers strength here; the shipped form must not."""
    before = table(99.9, 100.0)
    after = table(99.9 + 18, 100.0)
    assert strength(after, CONFIG)[0] > strength(before, CONFIG)[0]

    def design_raw(out: float, inbound: float) -> float:
        r = min(out, inbound) / max(out, inbound)
        return math.log(1 + out + inbound) * (0.5 + 0.5 * r)

    assert design_raw(117.9, 100.0) < design_raw(99.9, 100.0)


def test_strength_cools_with_silence_and_never_reaches_one() -> None:
    values = [strength(table(500, 500, days=60, silence_days=d), CONFIG)[0] for d in (0, 14, 60)]
    assert values[0] > values[1] > values[2] > 0
    assert values[0] < 1.0
    assert values[1] < values[0]


def test_vetoed_relationships_have_no_strength() -> None:
    assert strength(table(50, 50, vetoed=True), CONFIG)[0] == 0.0


def test_reciprocity_is_zero_for_nothing_and_symmetric() -> None:
    assert reciprocity(np.zeros(1), np.zeros(1))[0] == 0.0
    assert reciprocity(np.array([2.0]), np.array([8.0]))[0] == 0.25
    assert reciprocity(np.array([8.0]), np.array([2.0]))[0] == 0.25


@pytest.mark.parametrize(
    ("kwargs", "genuine"),
    [
        ({"out": 10, "inbound": 10}, True),
        ({"out": 10, "inbound": 1.9}, False),  # reciprocity 0.19 < 0.2
        ({"out": 10, "inbound": 2.0}, True),  # exactly 0.2
        ({"out": 10, "inbound": 10, "active": 1}, False),
        ({"out": 10, "inbound": 10, "silence_days": 91}, False),
        ({"out": 10, "inbound": 10, "silence_days": 89}, True),
        ({"out": 10, "inbound": 10, "vetoed": True}, False),
    ],
)
def test_genuine_connection_thresholds(kwargs: dict, genuine: bool) -> None:
    t = table(**kwargs)
    assert bool(genuine_mask(t, np.zeros(1, dtype=bool), CONFIG)[0]) is genuine


def test_a_flagged_counterpart_is_not_genuine() -> None:
    assert not genuine_mask(table(10, 10), np.ones(1, dtype=bool), CONFIG)[0]
