"""The score document: what `rapport score` prints and the API returns, field for field.

It is written for two readers at once: a program (stable names, numbers, ISO timestamps) and a
person (every component carries its inputs and a sentence saying what it means).
"""

from __future__ import annotations

from datetime import datetime

import msgspec

from rapport.model import MissingData

__all__ = [
    "ComponentReport",
    "LayerReport",
    "MissingData",
    "RelationshipReport",
    "RuleFired",
    "ScoreReport",
]


class ComponentReport(msgspec.Struct, kw_only=True):
    """One component of the score.

    `points` are out of the component's own `max_points`; `contribution` is what they add to
    `score`, which is re-normalised over the measurable components (points x 100 /
    `points_measurable`). A component the source cannot support is `measurable: false`, with
    `value: null`, 0 points and 0 contribution, and `not_measurable_because` says why: a value
    that reads near full because half the data is missing is not shown as a value.
    """

    points: float
    max_points: float
    contribution: float
    value: float | None
    measurable: bool
    not_measurable_because: str | None
    inputs: dict[str, float | int | str | None]
    explanation: str


class LayerReport(msgspec.Struct, kw_only=True):
    """One of the relationship layers (5 / 15 / 50 / 150 strongest)."""

    capacity: int
    size: int
    genuine: int
    mean_strength: float


class RelationshipReport(msgspec.Struct, kw_only=True):
    """One relationship and its evidence; every number names its basis.

    `*_decayed` are weighted volumes decayed to `as_of` with the score's
    `decay_half_life_days` (what `strength` and `reciprocity` are computed from), `*_all_time`
    are raw event counts up to `as_of`, never decayed, and `active_days_in_window` counts the
    days with contact in the last `active_window_days`. So "5 messages out, none in for a
    year" and "reciprocity 0.00" agree: the counts are history, the volumes are now.
    Vetoed relationships are listed too (after all the others), with `vetoed_because`.
    """

    counterpart: str
    strength: float
    reciprocity: float
    volume_out_decayed: float
    volume_in_decayed: float
    active_days_in_window: int
    last_at: datetime | None
    first_at: datetime | None
    turns_all_time: int
    events_all_time: int
    events_by_kind_all_time: dict[str, dict[str, int]]
    genuine: bool
    not_genuine_because: list[str]
    vetoed: bool
    vetoed_because: list[str]
    rules_fired: list[str]
    relevant: bool | None = None


class RuleFired(msgspec.Struct, kw_only=True):
    rule: str
    description: str
    source: str
    accounts: int
    examples: list[str]


class ScoreReport(msgspec.Struct, kw_only=True):
    """The score document.

    `score` is `points_earned` out of `points_measurable`, scaled to 100: the components the
    source cannot support are left out of both (100 points are measurable when the source
    shows everything the metric uses). `relationships_total` counts every relationship,
    vetoed ones included (`relationships_vetoed` of them); `relationships` lists the live ones
    strongest first, then the vetoed ones, up to the `top` asked for.
    """

    ego: str
    platform: str
    score: float
    summary: str
    points_earned: float
    points_measurable: float
    components: dict[str, ComponentReport]
    genuine_connections: int
    relevant_genuine_connections: int | None
    relationships_total: int
    relationships_vetoed: int
    decay_half_life_days: float
    active_window_days: int
    layers: list[LayerReport]
    relationships: list[RelationshipReport]
    rules_fired: list[RuleFired]
    missing: list[MissingData]
    as_of: datetime
    metric_version: str
    config_digest: str
