"""Columnar relationship tables, and the vectorised batch aggregation that builds them.

Scoring reads every relationship of an account at one instant; doing that with numpy arrays
keeps an account with 100k relationships well inside the 50 ms budget (bench/metric_bench.py).
A table is built either from raw events in one pass (`aggregate`, the batch path: a file, a
full recompute) or from stored incremental aggregates (`RelationshipTable.from_aggregates`, the
streaming path). Both must agree; tests/metric/test_properties.py holds them to it.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter

import numpy as np
import numpy.typing as npt

from rapport.metric.aggregate import MASK_DAYS, RelationshipAggregate, StoredAggregate
from rapport.metric.config import MetricConfig
from rapport.metric.decay import DAY_SECONDS, epoch, utc_day
from rapport.metric.weights import KIND_INDEX, KINDS
from rapport.model import TALK_KINDS, VETO_KINDS, AccountRef, Direction, Interaction, Kind

__all__ = [
    "AccountEvents",
    "AggregateColumns",
    "RelationshipTable",
    "aggregate",
    "group_by_account",
]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_N_KINDS = len(KINDS)
_VETO_INDICES = np.array(sorted(KIND_INDEX[k] for k in VETO_KINDS), dtype=np.int8)
_TALK_INDICES = np.array(sorted(KIND_INDEX[k] for k in TALK_KINDS), dtype=np.int8)
_REPLY = KIND_INDEX[Kind.REPLY]
_MASK_BYTES = MASK_DAYS // 8
_MASK_WORDS = MASK_DAYS // 64
#: `_LOW_BITS[k]` has the low k bits set, for k in 0..64.
_LOW_BITS = np.array([(1 << k) - 1 for k in range(65)], dtype=np.uint64)


@dataclass(slots=True)
class AccountEvents:
    """One account's events in columns, deduplicated by event id as they are added."""

    account: AccountRef
    counterparts: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    counterpart: array[int] = field(default_factory=lambda: array("i"))
    direction: array[int] = field(default_factory=lambda: array("b"))
    kind: array[int] = field(default_factory=lambda: array("b"))
    at: array[float] = field(default_factory=lambda: array("d"))
    text_len: array[int] = field(default_factory=lambda: array("i"))
    event_ids: set[str] = field(default_factory=set)
    duplicates: int = 0

    def add(self, event: Interaction) -> bool:
        """Add an event of this account; return False when its id was already seen."""
        if event.event_id in self.event_ids:
            self.duplicates += 1
            return False
        self.event_ids.add(event.event_id)
        i = self.index.get(event.counterpart)
        if i is None:
            i = self.index[event.counterpart] = len(self.counterparts)
            self.counterparts.append(event.counterpart)
        self.counterpart.append(i)
        self.direction.append(0 if event.direction == Direction.OUT else 1)
        self.kind.append(KIND_INDEX[event.kind])
        self.at.append(epoch(event.at))
        self.text_len.append(-1 if event.text_len is None else event.text_len)
        return True

    def __len__(self) -> int:
        return len(self.at)

    def latest(self) -> float | None:
        """The newest event's instant (epoch seconds), the natural default `as_of`."""
        return max(self.at) if self.at else None


def group_by_account(events: Iterable[Interaction]) -> dict[AccountRef, AccountEvents]:
    """Split a stream of events by (platform, ego), deduplicating each account's events."""
    accounts: dict[AccountRef, AccountEvents] = {}
    for event in events:
        ref = AccountRef(event.platform, event.ego)
        bucket = accounts.get(ref)
        if bucket is None:
            bucket = accounts[ref] = AccountEvents(ref)
        bucket.add(event)
    return accounts


@dataclass(frozen=True, slots=True)
class RelationshipTable:
    """Every relationship of one account, read at `as_of` (epoch seconds), one row each.

    `first_at`/`last_at` are NaN for a relationship that holds only negative signals.
    `kind_counts[i, k, d]` counts events of kind `KINDS[k]` in direction d (0 out, 1 in).
    """

    as_of: float
    counterparts: list[str]
    outbound: F64
    inbound: F64
    days_decayed: F64
    active_days: I64
    first_at: F64
    last_at: F64
    vetoed: Bools
    turns: I64
    events: I64
    kind_counts: I64

    def __len__(self) -> int:
        return len(self.counterparts)

    @classmethod
    def from_aggregates(
        cls,
        aggregates: Iterable[RelationshipAggregate | StoredAggregate],
        as_of: float,
        config: MetricConfig,
    ) -> RelationshipTable:
        """Read stored incremental aggregates at `as_of` (the streaming path).

        Equal, number for number, to reading each aggregate with its own `decayed` and
        `active_days` (tests/metric/test_from_aggregates.py keeps that reading as the
        reference), but gathered into columns and computed with numpy over all rows at once.
        """
        return AggregateColumns.gather(aggregates).table(as_of, config)


@dataclass(frozen=True, slots=True)
class AggregateColumns:
    """Stored aggregates in columns, not yet read at any instant.

    The per-relationship Python work of a recompute is one attribute pass per field here;
    everything that depends on `as_of` is then numpy over whole columns. A stored account of
    100k relationships was read one aggregate at a time (two method calls and a dozen list
    appends each), which cost several times the scoring itself.

    `first_at`/`last_at` are NaN where the aggregate holds None; `day_masks` holds each
    256-day bitmap as four little-endian 64-bit words (bit i of the bitmap is bit i % 64 of
    word i // 64), all zero for an empty mask.
    """

    counterparts: list[str]
    ref_at: F64
    outbound: F64
    inbound: F64
    days: F64
    day_masks: npt.NDArray[np.uint64]
    mask_day: I64
    first_at: F64
    last_at: F64
    vetoed: Bools
    turns: I64
    events: I64
    kind_counts: I64

    @classmethod
    def gather(
        cls, aggregates: Iterable[RelationshipAggregate | StoredAggregate]
    ) -> AggregateColumns:
        """Columns of the aggregates, in their order."""
        rows = list(aggregates)
        n = len(rows)

        def floats(name: str) -> F64:
            return np.fromiter(map(attrgetter(name), rows), dtype=np.float64, count=n)

        def ints(name: str) -> I64:
            return np.fromiter(map(attrgetter(name), rows), dtype=np.int64, count=n)

        def optional(name: str) -> F64:
            # numpy reads None as NaN in a float64 array.
            return np.array(list(map(attrgetter(name), rows)), dtype=np.float64)

        counts = list(map(attrgetter("counts"), rows))
        width = 2 * _N_KINDS
        if set(map(len, counts)) - {width}:
            raise ValueError(f"an aggregate's counts do not have {width} entries")
        return cls(
            counterparts=list(map(attrgetter("counterpart"), rows)),
            ref_at=floats("ref_at"),
            outbound=floats("outbound"),
            inbound=floats("inbound"),
            days=floats("days"),
            day_masks=_day_masks([row.day_mask for row in rows]),
            mask_day=ints("mask_day"),
            first_at=optional("first_at"),
            last_at=optional("last_at"),
            vetoed=np.fromiter(map(attrgetter("vetoed"), rows), dtype=np.bool_, count=n),
            turns=ints("turns"),
            events=ints("events"),
            kind_counts=np.fromiter(
                chain.from_iterable(counts), dtype=np.int64, count=n * width
            ).reshape(n, _N_KINDS, 2),
        )

    def newest_ref(self) -> float | None:
        """The newest `ref_at` of an aggregate holding any non-veto event: the earliest
        instant these aggregates can be read at (None when there is none)."""
        live = self.ref_at[~np.isnan(self.last_at)]
        return float(live.max()) if len(live) else None

    def table(self, as_of: float, config: MetricConfig) -> RelationshipTable:
        """The relationship table at `as_of`, as `RelationshipAggregate.decayed` and
        `active_days` read each row.

        Raises ValueError, as `decayed` does, when `as_of` precedes the `ref_at` of an
        aggregate holding any non-veto event. The columns that do not depend on `as_of` are
        shared with the table, not copied (a table is never written to).
        """
        live = ~np.isnan(self.last_at)
        elapsed = as_of - self.ref_at[live]
        if len(elapsed) and bool((elapsed < 0).any()):
            raise ValueError(
                "as_of precedes the newest event folded into this aggregate; "
                "recompute from raw events to score the past"
            )
        # math.exp2, as `decay_factor` uses, rather than np.exp2: numpy's vectorised exp2
        # differs from libm's in the last bit for about a tenth of the inputs, and the two
        # reading paths must give the same numbers. Mapping a builtin over a list is cheap.
        exponent = -elapsed / (config.half_life_days * DAY_SECONDS)
        scale = np.ones(len(self.ref_at))
        scale[live] = np.fromiter(
            map(math.exp2, exponent.tolist()), dtype=np.float64, count=len(exponent)
        )
        # An aggregate without a non-veto event reads (0, 0, 0), whatever it holds.
        return RelationshipTable(
            as_of=as_of,
            counterparts=self.counterparts,
            outbound=np.where(live, self.outbound * scale, 0.0),
            inbound=np.where(live, self.inbound * scale, 0.0),
            days_decayed=np.where(live, self.days * scale, 0.0),
            active_days=self._active_days(as_of, config.active_window_days),
            first_at=self.first_at,
            last_at=self.last_at,
            vetoed=self.vetoed,
            turns=self.turns,
            events=self.events,
            kind_counts=self.kind_counts,
        )

    def _active_days(self, as_of: float, window_days: int) -> I64:
        """Set bits of each day mask at offsets [lo, hi), where offset i is the day
        `mask_day - i` and the window is the `window_days` days up to `as_of`'s day."""
        shift = self.mask_day - utc_day(as_of)
        lo = np.maximum(shift, 0)
        hi = np.minimum(shift + window_days, MASK_DAYS)
        words = np.arange(_MASK_WORDS, dtype=np.int64) * 64
        # Per 64-bit word w: the bits of [lo, hi) that fall in [64w, 64w + 64), as a mask of
        # the low `hi - 64w` bits minus the low `lo - 64w` bits (nothing when hi <= lo).
        upper = _LOW_BITS[np.clip(hi[:, None] - words, 0, 64)]
        lower = _LOW_BITS[np.clip(lo[:, None] - words, 0, 64)]
        window = upper & ~lower
        counts: I64 = np.bitwise_count(self.day_masks & window).sum(axis=1, dtype=np.int64)
        return counts


def _day_masks(masks: list[bytes]) -> npt.NDArray[np.uint64]:
    """Day bitmaps as an (n, 4) matrix of little-endian 64-bit words.

    Every bitmap written is either empty or exactly `MASK_DAYS` bits, which is one join; any
    other length is padded (shorter) or cut (longer: `active_days` never reads past
    `MASK_DAYS`) row by row.
    """
    n = len(masks)
    matrix = np.zeros((n, _MASK_WORDS), dtype=np.uint64)
    lengths = np.fromiter(map(len, masks), dtype=np.int64, count=n)
    full = lengths == _MASK_BYTES
    if bool((full | (lengths == 0)).all()):
        joined = b"".join(masks)
    else:
        full = lengths > 0
        joined = b"".join(m[:_MASK_BYTES].ljust(_MASK_BYTES, b"\0") for m in masks if m)
    matrix[full] = np.frombuffer(joined, dtype="<u8").reshape(-1, _MASK_WORDS)
    return matrix


def aggregate(events: AccountEvents, as_of: float, config: MetricConfig) -> RelationshipTable:
    """Aggregate an account's events up to `as_of` in one vectorised pass (the batch path).

    Events after `as_of` are left out: a score at `as_of` uses only what was known then.
    """
    t_all = np.frombuffer(events.at, dtype=np.float64)
    keep = t_all <= as_of
    cp_all = np.frombuffer(events.counterpart, dtype=np.int32).astype(np.int64)[keep]
    d_all = np.frombuffer(events.direction, dtype=np.int8).astype(np.int64)[keep]
    k_all = np.frombuffer(events.kind, dtype=np.int8).astype(np.int64)[keep]
    tl_all = np.frombuffer(events.text_len, dtype=np.int32)[keep]
    t_all = t_all[keep]
    n = len(events.counterparts)

    counts = np.bincount((cp_all * _N_KINDS + k_all) * 2 + d_all, minlength=n * _N_KINDS * 2)
    counts = counts.reshape(n, _N_KINDS, 2)
    n_events = counts.sum(axis=(1, 2))
    veto_rows = np.isin(k_all, _VETO_INDICES)
    vetoed = np.bincount(cp_all[veto_rows], minlength=n) > 0

    live = ~veto_rows
    cp, d, k, tl, t = cp_all[live], d_all[live], k_all[live], tl_all[live], t_all[live]

    base = np.array([config.weights.of(kind) for kind in KINDS], dtype=np.float64)
    w = base[k]
    short = (k == _REPLY) & (tl >= 0) & (tl < config.short_reply_chars)
    w[short] = config.weights.like
    talk = np.isin(k, _TALK_INDICES) & ~short

    # Conversation turns: consecutive speaking events of a pair, in (time, out-before-in)
    # order, by different sides and within the turn window.
    rows = np.flatnonzero(talk)
    rows = rows[np.lexsort((d[rows], t[rows], cp[rows]))]
    answered = (
        (cp[rows[1:]] == cp[rows[:-1]])
        & (d[rows[1:]] != d[rows[:-1]])
        & (t[rows[1:]] - t[rows[:-1]] <= config.turn_window_days * DAY_SECONDS)
    )
    turn_rows = rows[1:][answered]
    w[turn_rows] += config.turn_bonus
    turns = np.bincount(cp[turn_rows], minlength=n)

    half_life = config.half_life_days * DAY_SECONDS
    weighted = w * np.exp2(-(as_of - t) / half_life)
    sides = np.bincount(cp * 2 + d, weights=weighted, minlength=2 * n).astype(np.float64)
    sides = sides.reshape(n, 2)

    day = np.floor(t / DAY_SECONDS).astype(np.int64)
    if len(day):
        first_day = int(day.min())
        span = int(day.max()) - first_day + 1
        pairs = np.unique(cp * span + (day - first_day))
        pair_cp, pair_day = pairs // span, pairs % span + first_day
    else:
        pair_cp = pair_day = np.zeros(0, dtype=np.int64)
    days_decayed = np.bincount(
        pair_cp, weights=np.exp2(-(as_of - pair_day * DAY_SECONDS) / half_life), minlength=n
    ).astype(np.float64)
    as_of_day = math.floor(as_of / DAY_SECONDS)
    recent = pair_day > as_of_day - config.active_window_days
    active_days = np.bincount(pair_cp[recent], minlength=n)

    first_at = np.full(n, np.inf)
    np.minimum.at(first_at, cp, t)
    last_at = np.full(n, -np.inf)
    np.maximum.at(last_at, cp, t)
    first_at[np.isinf(first_at)] = np.nan
    last_at[np.isinf(last_at)] = np.nan

    present = n_events > 0
    names = [name for name, p in zip(events.counterparts, present.tolist(), strict=True) if p]
    return RelationshipTable(
        as_of=as_of,
        counterparts=names,
        outbound=sides[present, 0],
        inbound=sides[present, 1],
        days_decayed=days_decayed[present],
        active_days=active_days[present].astype(np.int64),
        first_at=first_at[present],
        last_at=last_at[present],
        vetoed=vetoed[present],
        turns=turns[present].astype(np.int64),
        events=n_events[present].astype(np.int64),
        kind_counts=counts[present].astype(np.int64),
    )
