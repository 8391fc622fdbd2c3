"""The relationship aggregate: everything the metric needs about one (ego, counterpart) pair,
updated in O(1) per event.

The decayed sums are kept as `(value, ref_at)`: on an event at `t >= ref_at` the value is decayed
to `t` and the weight added; an event older than `ref_at` adds its weight already decayed to
`ref_at`. Reading at `as_of` decays the same way. Because exponential decay composes exactly,
the result equals the batch sum `sum(w * 2^(-(as_of - t)/H))` in any arrival order (to float
rounding), which is what lets the store ingest incrementally and still agree with a full
recompute (tests/metric/test_properties.py, property 6).

Two things depend on arrival order and are documented as such in docs/metric.md:
- a conversation turn is detected against the latest speaking event seen so far, so an event
  that arrives later than a newer one in the same relationship never starts a turn;
- a late event more than `MASK_DAYS` days older than the newest day cannot tell whether its day
  was already counted, so it is not counted again (its decayed worth is below 0.3 %).
"""

from __future__ import annotations

import msgspec

from rapport.metric.config import MetricConfig
from rapport.metric.decay import DAY_SECONDS, decay_factor, utc_day
from rapport.metric.weights import KIND_INDEX, KINDS, event_weight, is_talk, is_veto
from rapport.model import Direction, Kind

__all__ = ["MASK_DAYS", "RelationshipAggregate", "StoredAggregate"]

#: How many days the per-relationship day bitmap remembers (>= any active-day window).
MASK_DAYS = 256
_MASK_FULL = (1 << MASK_DAYS) - 1
_MASK_BYTES = MASK_DAYS // 8


class RelationshipAggregate(msgspec.Struct, kw_only=True):
    """Incremental state of one relationship, as stored (msgpack) and as updated in memory.

    `outbound`, `inbound` and `days` are decayed sums expressed at `ref_at` (epoch seconds).
    `day_mask` bit i is set when the pair interacted on UTC day `mask_day - i`.
    `counts` holds undecayed event counts per kind and direction, index `2 * kind + dir`.
    """

    counterpart: str
    ref_at: float = 0.0
    outbound: float = 0.0
    inbound: float = 0.0
    days: float = 0.0
    day_mask: bytes = b""
    mask_day: int = 0
    first_at: float | None = None
    last_at: float | None = None
    last_talk_at: float | None = None
    last_talk_out: bool | None = None
    turns: int = 0
    events: int = 0
    vetoed: bool = False
    counts: list[int] = msgspec.field(default_factory=lambda: [0] * (2 * len(KINDS)))

    def add(
        self,
        at: float,
        direction: Direction,
        kind: Kind,
        text_len: int | None,
        config: MetricConfig,
    ) -> None:
        """Fold one event (at epoch seconds `at`) into the aggregate."""
        out = direction == Direction.OUT
        self.events += 1
        self.counts[2 * KIND_INDEX[kind] + (0 if out else 1)] += 1
        if is_veto(kind):
            self.vetoed = True
            return
        half_life = config.half_life_days * DAY_SECONDS
        weight = event_weight(kind, text_len, config)
        if is_talk(kind, text_len, config):
            weight += self._talk(at, out, config)

        if self.last_at is None:  # first contact: nothing to decay yet
            self.ref_at = at
        elif at > self.ref_at:
            scale = decay_factor(at - self.ref_at, half_life)
            self.outbound *= scale
            self.inbound *= scale
            self.days *= scale
            self.ref_at = at
        else:
            weight *= decay_factor(self.ref_at - at, half_life)
        if out:
            self.outbound += weight
        else:
            self.inbound += weight

        day = utc_day(at)
        if self._mark_day(day):
            self.days += decay_factor(self.ref_at - day * DAY_SECONDS, half_life)
        self.first_at = at if self.first_at is None else min(self.first_at, at)
        self.last_at = at if self.last_at is None else max(self.last_at, at)

    def _talk(self, at: float, out: bool, config: MetricConfig) -> float:
        """Record a speaking event; return the turn bonus it earns (0 when it answers no one)."""
        bonus = 0.0
        last = self.last_talk_at
        if last is None or at >= last:
            if (
                last is not None
                and self.last_talk_out is not out
                and at - last <= config.turn_window_days * DAY_SECONDS
            ):
                bonus = config.turn_bonus
                self.turns += 1
            self.last_talk_at = at
            self.last_talk_out = out
        return bonus

    def _mark_day(self, day: int) -> bool:
        """Set the day's bit; return whether the day is new to this relationship."""
        mask = int.from_bytes(self.day_mask, "little")
        if not self.day_mask:
            mask, self.mask_day, new = 1, day, True
        elif day > self.mask_day:
            mask = ((mask << (day - self.mask_day)) | 1) & _MASK_FULL
            self.mask_day, new = day, True
        else:
            offset = self.mask_day - day
            if offset >= MASK_DAYS:
                return False
            new = not (mask >> offset) & 1
            mask |= 1 << offset
        self.day_mask = mask.to_bytes(_MASK_BYTES, "little")
        return bool(new)

    def active_days(self, as_of: float, window_days: int) -> int:
        """Distinct UTC days with an interaction in the `window_days` days up to `as_of`."""
        if not self.day_mask:
            return 0
        as_of_day = utc_day(as_of)
        lo = max(0, self.mask_day - as_of_day)
        hi = min(MASK_DAYS, self.mask_day - as_of_day + window_days)
        if hi <= lo:
            return 0
        mask = int.from_bytes(self.day_mask, "little")
        return ((mask >> lo) & ((1 << (hi - lo)) - 1)).bit_count()

    def decayed(self, as_of: float, config: MetricConfig) -> tuple[float, float, float]:
        """(outbound, inbound, days) decayed to `as_of`, which must not precede `ref_at`."""
        if self.last_at is None:
            return 0.0, 0.0, 0.0
        if as_of < self.ref_at:
            raise ValueError(
                "as_of precedes the newest event folded into this aggregate; "
                "recompute from raw events to score the past"
            )
        scale = decay_factor(as_of - self.ref_at, config.half_life_days * DAY_SECONDS)
        return self.outbound * scale, self.inbound * scale, self.days * scale

    def kind_counts(self) -> dict[str, dict[str, int]]:
        """Undecayed evidence: how many events of each kind, in each direction."""
        result: dict[str, dict[str, int]] = {}
        for i, kind in enumerate(KINDS):
            n_out, n_in = self.counts[2 * i], self.counts[2 * i + 1]
            if n_out or n_in:
                result[kind.value] = {"out": n_out, "in": n_in}
        return result

    def merge(self, other: RelationshipAggregate, config: MetricConfig) -> None:
        """Fold another aggregate of the same pair, built from disjoint events, into this one.

        Exact for the decayed sums, the days and the counts (a day both sides saw is counted
        once); a conversation turn that spans the seam between the two event sets is not seen.
        """
        if other.counterpart != self.counterpart:
            raise ValueError("cannot merge aggregates of different counterparts")
        half_life = config.half_life_days * DAY_SECONDS
        self.events += other.events
        self.counts = [a + b for a, b in zip(self.counts, other.counts, strict=True)]
        self.vetoed = self.vetoed or other.vetoed
        self.turns += other.turns
        if other.last_at is None:
            return
        if self.last_at is None:
            self.ref_at, self.outbound, self.inbound = other.ref_at, other.outbound, other.inbound
            self.days, self.day_mask, self.mask_day = other.days, other.day_mask, other.mask_day
            self.first_at, self.last_at = other.first_at, other.last_at
            self.last_talk_at, self.last_talk_out = other.last_talk_at, other.last_talk_out
            return
        ref = max(self.ref_at, other.ref_at)
        a = decay_factor(ref - self.ref_at, half_life)
        b = decay_factor(ref - other.ref_at, half_life)
        self.outbound = self.outbound * a + other.outbound * b
        self.inbound = self.inbound * a + other.inbound * b
        days = self.days * a + other.days * b
        top = max(self.mask_day, other.mask_day)
        mine = (int.from_bytes(self.day_mask, "little") << (top - self.mask_day)) & _MASK_FULL
        theirs = (int.from_bytes(other.day_mask, "little") << (top - other.mask_day)) & _MASK_FULL
        both = mine & theirs
        while both:
            low = both & -both
            offset = low.bit_length() - 1
            days -= decay_factor(ref - (top - offset) * DAY_SECONDS, half_life)
            both ^= low
        self.days = max(days, 0.0)
        self.ref_at, self.mask_day = ref, top
        self.day_mask = (mine | theirs).to_bytes(_MASK_BYTES, "little")
        if self.first_at is not None and other.first_at is not None:
            self.first_at = min(self.first_at, other.first_at)
        self.last_at = max(self.last_at, other.last_at)
        if other.last_talk_at is not None and (
            self.last_talk_at is None or other.last_talk_at > self.last_talk_at
        ):
            self.last_talk_at, self.last_talk_out = other.last_talk_at, other.last_talk_out


class StoredAggregate(msgspec.Struct, kw_only=True, frozen=True, gc=False):
    """A stored `RelationshipAggregate`, decoded only to be read (scoring a stored account).

    The same msgpack map as `RelationshipAggregate`: the same field names, types and defaults,
    so it reads every aggregate ever written and rejects what that rejects, and writes stay
    `RelationshipAggregate`'s. It is cheaper to decode by the hundred thousand: `counts` is a
    tuple rather than a list, and instances are invisible to the cyclic garbage collector
    (`gc=False`: nothing in it can form a cycle), whose collections, triggered by the
    allocations of a large decode, otherwise scan every aggregate decoded so far.
    """

    counterpart: str
    ref_at: float = 0.0
    outbound: float = 0.0
    inbound: float = 0.0
    days: float = 0.0
    day_mask: bytes = b""
    mask_day: int = 0
    first_at: float | None = None
    last_at: float | None = None
    last_talk_at: float | None = None
    last_talk_out: bool | None = None
    turns: int = 0
    events: int = 0
    vetoed: bool = False
    counts: tuple[int, ...] = (0,) * (2 * len(KINDS))
