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
    points: float
    max_points: float
    value: float
    inputs: dict[str, float | int | None]
    explanation: str


class LayerReport(msgspec.Struct, kw_only=True):
    """One of the relationship layers (5 / 15 / 50 / 150 strongest)."""

    capacity: int
    size: int
    genuine: int
    mean_strength: float


class RelationshipReport(msgspec.Struct, kw_only=True):
    counterpart: str
    strength: float
    reciprocity: float
    inbound: float = msgspec.field(name="in")
    outbound: float = msgspec.field(name="out")
    active_days: int
    last_at: datetime | None
    first_at: datetime | None
    turns: int
    events: int
    kinds: dict[str, dict[str, int]]
    genuine: bool
    not_genuine_because: list[str]
    vetoed: bool
    rules_fired: list[str]
    relevant: bool | None = None


class RuleFired(msgspec.Struct, kw_only=True):
    rule: str
    description: str
    source: str
    accounts: int
    examples: list[str]


class ScoreReport(msgspec.Struct, kw_only=True):
    ego: str
    platform: str
    score: float
    summary: str
    components: dict[str, ComponentReport]
    genuine_connections: int
    relevant_genuine_connections: int | None
    relationships_total: int
    layers: list[LayerReport]
    relationships: list[RelationshipReport]
    rules_fired: list[RuleFired]
    missing: list[MissingData]
    as_of: datetime
    metric_version: str
    config_digest: str
