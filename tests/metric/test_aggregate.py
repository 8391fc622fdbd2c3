"""The incremental aggregate: exact decay, turns, days, vetoes, merging, storage encoding."""

from __future__ import annotations

import math

import msgspec
import pytest

from rapport.metric import MetricConfig, RelationshipAggregate
from rapport.metric.aggregate import MASK_DAYS
from rapport.model import Direction, Kind

DAY = 86_400.0
T0 = 1_700_000_000.0
CONFIG = MetricConfig()


def agg(*events: tuple[float, Direction, Kind, int | None]) -> RelationshipAggregate:
    state = RelationshipAggregate(counterpart="bea")
    for at, direction, kind, text_len in events:
        state.add(at, direction, kind, text_len, CONFIG)
    return state


OUT, IN = Direction.OUT, Direction.IN


def test_one_event_decays_by_half_per_half_life() -> None:
    state = agg((T0, OUT, Kind.REPLY, 50))
    out, inbound, days = state.decayed(T0 + 30 * DAY, CONFIG)
    assert out == pytest.approx(3.0)
    assert inbound == 0
    assert days == pytest.approx(0.5 * 2 ** (-(T0 % DAY) / (30 * DAY)))  # from the day's start


def test_decay_composes_exactly_in_any_order() -> None:
    in_order = agg((T0, OUT, Kind.LIKE, None), (T0 + 5 * DAY, OUT, Kind.QUOTE, None))
    late = agg((T0 + 5 * DAY, OUT, Kind.QUOTE, None), (T0, OUT, Kind.LIKE, None))
    as_of = T0 + 20 * DAY
    expected = 1 * 2 ** (-20 / 30) + 4 * 2 ** (-15 / 30)
    assert in_order.decayed(as_of, CONFIG)[0] == pytest.approx(expected, rel=1e-12)
    assert late.decayed(as_of, CONFIG)[0] == pytest.approx(expected, rel=1e-12)


def test_a_turn_is_an_answer_from_the_other_side_within_the_window() -> None:
    state = agg(
        (T0, OUT, Kind.MESSAGE, None),
        (T0 + 3600, OUT, Kind.MESSAGE, None),  # same side again: no turn
        (T0 + 2 * DAY, IN, Kind.MESSAGE, None),  # answer: turn
        (T0 + 20 * DAY, OUT, Kind.REPLY, 40),  # too late to be an answer
    )
    assert state.turns == 1
    as_of = T0 + 20 * DAY
    inbound = state.decayed(as_of, CONFIG)[1]
    assert inbound == pytest.approx(18 * 2 ** (-18 / 30))


def test_short_reply_weighs_as_a_like_and_answers_nobody() -> None:
    state = agg((T0, OUT, Kind.MESSAGE, None), (T0 + 60, IN, Kind.REPLY, 5))
    assert state.turns == 0
    assert state.decayed(T0 + 60, CONFIG)[1] == pytest.approx(1.0)


def test_veto_marks_and_adds_nothing() -> None:
    state = agg((T0, IN, Kind.MENTION, None), (T0 + 60, OUT, Kind.BLOCK, None))
    assert state.vetoed
    assert state.events == 2
    assert state.last_at == T0
    assert state.kind_counts() == {"mention": {"out": 0, "in": 1}, "block": {"out": 1, "in": 0}}


def test_active_days_counts_distinct_days_in_the_window() -> None:
    state = agg(
        (T0, OUT, Kind.LIKE, None),
        (T0 + 60, IN, Kind.LIKE, None),  # same day
        (T0 + 10 * DAY, IN, Kind.LIKE, None),
        (T0 + 200 * DAY, IN, Kind.LIKE, None),
    )
    assert state.active_days(T0 + 200 * DAY, 180) == 1
    assert state.active_days(T0 + 175 * DAY, 180) == 2
    assert state.active_days(T0 + 10 * DAY, 180) == 2


def test_days_decay_counts_each_day_once_even_late() -> None:
    state = agg((T0 + 10 * DAY, OUT, Kind.LIKE, None), (T0 + 10 * DAY + 1, IN, Kind.LIKE, None))
    as_of = T0 + 11 * DAY
    days_once = state.decayed(as_of, CONFIG)[2]
    state.add(T0 + 10 * DAY + 2, OUT, Kind.LIKE, None, CONFIG)
    state.add(T0 + 10 * DAY - 5, OUT, Kind.LIKE, None, CONFIG)  # late, same day
    assert state.events == 4
    assert state.decayed(as_of, CONFIG)[2] == pytest.approx(days_once, rel=1e-12)


def test_an_event_older_than_the_bitmap_is_not_counted_again() -> None:
    state = agg((T0 + (MASK_DAYS + 10) * DAY, OUT, Kind.LIKE, None))
    before = state.days
    state.add(T0, IN, Kind.LIKE, None, CONFIG)
    assert state.days == before
    assert state.first_at == T0


def test_reading_before_the_newest_event_is_refused() -> None:
    state = agg((T0, OUT, Kind.LIKE, None))
    with pytest.raises(ValueError, match="recompute from raw events"):
        state.decayed(T0 - 1, CONFIG)


def test_merge_of_disjoint_halves_equals_one_aggregate() -> None:
    events = [
        (
            T0 + i * 0.7 * DAY,
            OUT if i % 3 else IN,
            [Kind.LIKE, Kind.REPOST, Kind.MENTION][i % 3],
            None,
        )
        for i in range(30)
    ]
    whole = agg(*events)
    left, right = agg(*events[::2]), agg(*events[1::2])
    left.merge(right, CONFIG)
    as_of = T0 + 40 * DAY
    for a, b in zip(left.decayed(as_of, CONFIG), whole.decayed(as_of, CONFIG), strict=True):
        assert a == pytest.approx(b, rel=1e-12)
    assert left.active_days(as_of, 180) == whole.active_days(as_of, 180)
    assert left.counts == whole.counts
    assert (left.first_at, left.last_at) == (whole.first_at, whole.last_at)


def test_merge_rejects_another_counterpart() -> None:
    with pytest.raises(ValueError, match="different counterparts"):
        RelationshipAggregate(counterpart="a").merge(RelationshipAggregate(counterpart="b"), CONFIG)


def test_round_trips_through_msgpack_without_pickle() -> None:
    state = agg((T0, OUT, Kind.MESSAGE, None), (T0 + DAY, IN, Kind.MESSAGE, None))
    data = msgspec.msgpack.encode(state)
    back = msgspec.msgpack.decode(data, type=RelationshipAggregate)
    assert back == state
    assert math.isfinite(back.outbound)
