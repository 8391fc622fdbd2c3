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

import numpy as np
import numpy.typing as npt

from service.metric.aggregate import RelationshipAggregate
from service.metric.config import MetricConfig
from service.metric.decay import DAY_SECONDS, epoch
from service.metric.weights import KIND_INDEX, KINDS
from service.model import TALK_KINDS, VETO_KINDS, AccountRef, Direction, Interaction, Kind

__all__ = ["AccountEvents", "RelationshipTable", "aggregate", "group_by_account"]

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]

_N_KINDS = len(KINDS)
_VETO_INDICES = np.array(sorted(KIND_INDEX[k] for k in VETO_KINDS), dtype=np.int8)
_TALK_INDICES = np.array(sorted(KIND_INDEX[k] for k in TALK_KINDS), dtype=np.int8)
_REPLY = KIND_INDEX[Kind.REPLY]


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
        cls, aggregates: Iterable[RelationshipAggregate], as_of: float, config: MetricConfig
    ) -> RelationshipTable:
        """Read stored incremental aggregates at `as_of` (the streaming path)."""
        aggs = list(aggregates)
        n = len(aggs)
        decayed = np.array([a.decayed(as_of, config) for a in aggs], dtype=np.float64)
        decayed = decayed.reshape(n, 3)
        nan = math.nan
        return cls(
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
            kind_counts=np.array([a.counts for a in aggs], dtype=np.int64).reshape(n, _N_KINDS, 2),
        )


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
