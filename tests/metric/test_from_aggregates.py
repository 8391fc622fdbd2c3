"""`RelationshipTable.from_aggregates` is vectorised; it must read exactly what each aggregate's
own `decayed` and `active_days` read, which `reference_from_aggregates` below still does, one
aggregate at a time (it is the implementation the vectorised one replaced, kept verbatim)."""

from __future__ import annotations

import math

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.metric import MetricConfig, RelationshipAggregate, RelationshipTable
from rapport.metric.aggregate import StoredAggregate
from rapport.metric.table import AggregateColumns
from rapport.metric.weights import KINDS
from rapport.model import Direction, Kind

CONFIG = MetricConfig()
T0 = 1_700_000_000.0
DAY = 86_400.0
COLUMNS = (
    "outbound",
    "inbound",
    "days_decayed",
    "active_days",
    "first_at",
    "last_at",
    "vetoed",
    "turns",
    "events",
    "kind_counts",
)


def reference_from_aggregates(
    aggregates: list[RelationshipAggregate], as_of: float, config: MetricConfig
) -> RelationshipTable:
    """The per-aggregate implementation of `from_aggregates` before it was vectorised."""
    aggs = list(aggregates)
    n = len(aggs)
    decayed = np.array([a.decayed(as_of, config) for a in aggs], dtype=np.float64)
    decayed = decayed.reshape(n, 3)
    nan = math.nan
    return RelationshipTable(
        as_of=as_of,
        counterparts=[a.counterpart for a in aggs],
        outbound=decayed[:, 0].copy(),
        inbound=decayed[:, 1].copy(),
        days_decayed=decayed[:, 2].copy(),
        active_days=np.array(
            [a.active_days(as_of, config.active_window_days) for a in aggs], dtype=np.int64
        ),
        first_at=np.array([nan if a.first_at is None else a.first_at for a in aggs]),
        last_at=np.array([nan if a.last_at is None else a.last_at for a in aggs]),
        vetoed=np.array([a.vetoed for a in aggs], dtype=np.bool_),
        turns=np.array([a.turns for a in aggs], dtype=np.int64),
        events=np.array([a.events for a in aggs], dtype=np.int64),
        kind_counts=np.array([a.counts for a in aggs], dtype=np.int64).reshape(n, len(KINDS), 2),
    )


def assert_same_table(got: RelationshipTable, want: RelationshipTable) -> None:
    """Equal bit for bit (NaN equal to NaN), with the same dtypes and shapes."""
    assert got.as_of == want.as_of
    assert got.counterparts == want.counterparts
    for column in COLUMNS:
        a, b = getattr(got, column), getattr(want, column)
        assert a.dtype == b.dtype, column
        assert a.shape == b.shape, column
        if a.dtype.kind == "f":
            # Bit-for-bit, so that -0.0 against 0.0 or a one-ulp difference fails too.
            np.testing.assert_array_equal(a.view(np.int64), b.view(np.int64), err_msg=column)
        else:
            np.testing.assert_array_equal(a, b, err_msg=column)


# One event: seconds after T0 (up to 600 days, so bitmaps overflow their 256 days and windows
# of any width see partly filled masks), direction, kind (vetoes included), text length.
events_strategy = st.tuples(
    st.floats(min_value=0, max_value=600 * DAY, allow_nan=False),
    st.sampled_from(list(Direction)),
    st.sampled_from(list(Kind)),
    st.none() | st.integers(min_value=0, max_value=100),
)
# An aggregate's events: none at all, vetoes only, bursts on one day, or spread over 600 days.
histories = st.lists(events_strategy, max_size=12)


@st.composite
def configs(draw: st.DrawFn) -> MetricConfig:
    return msgspec.structs.replace(
        CONFIG,
        half_life_days=draw(st.sampled_from([0.5, 7.0, 30.0, 365.25])),
        active_window_days=draw(st.integers(min_value=1, max_value=256)),
    )


Event = tuple[float, Direction, Kind, int | None]


def build(history: list[Event], i: int) -> RelationshipAggregate:
    agg = RelationshipAggregate(counterpart=f"peer{i}")
    for at, direction, kind, text_len in history:
        agg.add(T0 + at, direction, kind, text_len, CONFIG)
    return agg


def newest_ref(aggs: list[RelationshipAggregate]) -> float | None:
    """What scores.compute computed per aggregate before reading columns."""
    return max((a.ref_at for a in aggs if a.last_at is not None), default=None)


@settings(max_examples=300)
@given(
    histories=st.lists(histories, max_size=8),
    config=configs(),
    # Days after the newest event folded in (negative: before it), or after T0 when none is.
    offset_days=st.floats(min_value=-20, max_value=800, allow_nan=False),
)
def test_vectorised_read_equals_the_per_aggregate_reference(
    histories: list[list[Event]],
    config: MetricConfig,
    offset_days: float,
) -> None:
    aggs = [build(h, i) for i, h in enumerate(histories)]
    as_of = (newest_ref(aggs) or T0) + offset_days * DAY
    if any(a.last_at is not None and as_of < a.ref_at for a in aggs):
        with pytest.raises(ValueError, match="as_of precedes"):
            reference_from_aggregates(aggs, as_of, config)
        with pytest.raises(ValueError, match="as_of precedes"):
            RelationshipTable.from_aggregates(aggs, as_of, config)
        return
    want = reference_from_aggregates(aggs, as_of, config)
    assert_same_table(RelationshipTable.from_aggregates(aggs, as_of, config), want)
    assert_same_table(RelationshipTable.from_aggregates(iter(aggs), as_of, config), want)

    # The stored path: the same aggregates through msgpack, decoded read-only into columns.
    stored = [msgspec.msgpack.decode(msgspec.msgpack.encode(a), type=StoredAggregate) for a in aggs]
    columns = AggregateColumns.gather(stored)
    assert columns.newest_ref() == newest_ref(aggs)
    assert_same_table(columns.table(as_of, config), want)


# A bitmap's newest day against as_of's: far before, inside, or after the window's edges.
shifts = st.integers(min_value=-300, max_value=300) | st.sampled_from([-256, -255, -1, 0, 1])
windows = st.integers(min_value=1, max_value=256) | st.sampled_from([1, 255, 256])
bitmaps = st.binary(max_size=40) | st.sampled_from([b"", b"\xff" * 32, b"\x80" * 32])


@given(rows=st.lists(st.tuples(bitmaps, shifts), min_size=1, max_size=6), window=windows)
def test_day_masks_of_any_length_are_read_as_active_days_reads_them(
    rows: list[tuple[bytes, int]], window: int
) -> None:
    """Bitmaps written are empty or 32 bytes; shorter ones are zero-padded and longer ones cut
    at 256 days, as `int.from_bytes` and `active_days` treat them."""
    as_of_day = 20_000
    aggs = [
        RelationshipAggregate(counterpart=str(i), day_mask=mask, mask_day=as_of_day + shift)
        for i, (mask, shift) in enumerate(rows)
    ]
    as_of = as_of_day * DAY + 3_600.0
    config = msgspec.structs.replace(CONFIG, active_window_days=window)
    table = RelationshipTable.from_aggregates(aggs, as_of, config)
    assert table.active_days.tolist() == [a.active_days(as_of, window) for a in aggs]


def test_no_aggregates_give_an_empty_table() -> None:
    table = RelationshipTable.from_aggregates([], T0, CONFIG)
    assert_same_table(table, reference_from_aggregates([], T0, CONFIG))
    assert AggregateColumns.gather([]).newest_ref() is None


def test_stored_aggregate_reads_what_relationship_aggregate_reads() -> None:
    """The read-only shape decodes the stored map with the same fields and defaults."""
    assert msgspec.structs.fields(StoredAggregate) == tuple(
        msgspec.structs.FieldInfo(
            name=f.name,
            encode_name=f.encode_name,
            type=tuple[int, ...] if f.name == "counts" else f.type,
            default=tuple(f.default_factory()) if f.name == "counts" else f.default,
        )
        for f in msgspec.structs.fields(RelationshipAggregate)
    )
    minimal = msgspec.msgpack.encode({"counterpart": "a"})
    stored = msgspec.msgpack.decode(minimal, type=StoredAggregate)
    full = msgspec.msgpack.decode(minimal, type=RelationshipAggregate)
    assert msgspec.structs.asdict(stored) == {
        **msgspec.structs.asdict(full),
        "counts": tuple(full.counts),
    }


def test_ragged_counts_are_an_error() -> None:
    agg = RelationshipAggregate(counterpart="a", counts=[0] * 3)
    with pytest.raises(ValueError, match="counts"):
        RelationshipTable.from_aggregates([agg], T0, CONFIG)
