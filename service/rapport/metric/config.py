"""Every tunable number of the metric, with its default, in one place.

A deployment or a tenant overrides any subset (TOML or JSON; missing fields keep their
defaults). docs/metric.md gives the reason for each default; tests/metric/test_docs.py keeps the
two in step.
"""

from __future__ import annotations

import hashlib
import math
from typing import Annotated

import msgspec

from rapport.errors import InputError
from rapport.json_errors import describe_undecodable_json
from rapport.model import Kind
from rapport.validation import describe_validation_error

__all__ = [
    "METRIC_VERSION",
    "AudienceProfile",
    "AuthenticityConfig",
    "ConfigError",
    "GenuineThresholds",
    "KindWeights",
    "MetricConfig",
    "Points",
    "load_config",
]

#: Bumped whenever a formula or a default changes the numbers a score document carries.
METRIC_VERSION = "1.1"

NonNegative = Annotated[float, msgspec.Meta(ge=0)]
Positive = Annotated[float, msgspec.Meta(gt=0)]
Fraction = Annotated[float, msgspec.Meta(ge=0, le=1)]


class ConfigError(InputError, ValueError):
    """A metric configuration that cannot be used; the message names the field."""


class KindWeights(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """How much one interaction of each kind says about a relationship."""

    like: NonNegative = 1.0
    repost: NonNegative = 2.0
    quote: NonNegative = 4.0
    mention: NonNegative = 4.0
    reply: NonNegative = 6.0
    message: NonNegative = 8.0

    def of(self, kind: Kind) -> float:
        """The weight of `kind`; negative signals weigh nothing (they veto instead)."""
        return float(getattr(self, kind.value, 0.0))


class GenuineThresholds(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """When a relationship counts as a genuine connection."""

    min_reciprocity: Fraction = 0.2
    min_active_days: Annotated[int, msgspec.Meta(ge=1)] = 2
    max_silence_days: Positive = 90.0


class Points(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The maximum points of each component; they must add up to 100."""

    connections: NonNegative = 35.0
    depth: NonNegative = 25.0
    responsiveness: NonNegative = 15.0
    focus: NonNegative = 15.0
    authenticity: NonNegative = 10.0

    def total(self) -> float:
        return self.connections + self.depth + self.responsiveness + self.focus + self.authenticity


class AuthenticityConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Thresholds of the transparent bot/fake heuristics (docs/metric.md cites each source)."""

    min_rules_to_flag: Annotated[int, msgspec.Meta(ge=1)] = 2
    mass_following: Annotated[int, msgspec.Meta(ge=1)] = 5000
    follow_ratio: Positive = 10.0
    follow_ratio_min_following: Annotated[int, msgspec.Meta(ge=0)] = 500
    few_followers: Annotated[int, msgspec.Meta(ge=0)] = 30
    new_account_days: NonNegative = 30.0
    handle_digit_run: Annotated[int, msgspec.Meta(ge=2)] = 4


class AudienceProfile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The audience a tenant is going after. When set, only relevant genuine connections count
    towards the `connections` component (both counts are reported)."""

    keywords: list[Annotated[str, msgspec.Meta(min_length=1)]] = msgspec.field(default_factory=list)
    domains: list[Annotated[str, msgspec.Meta(min_length=1)]] = msgspec.field(default_factory=list)
    accounts: list[Annotated[str, msgspec.Meta(min_length=1)]] = msgspec.field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.keywords or self.domains or self.accounts)


class MetricConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """The whole metric configuration. `MetricConfig()` is the documented default."""

    weights: KindWeights = msgspec.field(default_factory=KindWeights)
    turn_bonus: NonNegative = 10.0
    turn_window_days: Positive = 7.0
    short_reply_chars: Annotated[int, msgspec.Meta(ge=0)] = 15
    half_life_days: Positive = 30.0
    recency_half_life_days: Positive = 14.0
    active_window_days: Annotated[int, msgspec.Meta(ge=1, le=256)] = 180
    reciprocity_weight: Fraction = 0.5
    strength_scale: Positive = 7.5
    genuine: GenuineThresholds = msgspec.field(default_factory=GenuineThresholds)
    points: Points = msgspec.field(default_factory=Points)
    connections_scale: Positive = 10.0
    depth_slots: Annotated[int, msgspec.Meta(ge=1)] = 15
    attention_budget: Annotated[int, msgspec.Meta(ge=1)] = 500
    attention_exponent: Fraction = 0.5
    layers: list[Annotated[int, msgspec.Meta(ge=1)]] = msgspec.field(
        default_factory=lambda: [5, 15, 50, 150]
    )
    authenticity: AuthenticityConfig = msgspec.field(default_factory=AuthenticityConfig)
    audience: AudienceProfile | None = None

    def __post_init__(self) -> None:
        total = self.points.total()
        if not math.isclose(total, 100.0, abs_tol=1e-9):
            raise ValueError(f"`points` must add up to 100, they add up to {total:g}")
        if self.layers != sorted(set(self.layers)):
            raise ValueError("`layers` must be strictly increasing, e.g. [5, 15, 50, 150]")

    def digest(self) -> str:
        """A short fingerprint of this configuration, reported beside `metric_version` so two
        scores computed with different overrides are never mistaken for comparable."""
        return hashlib.sha256(msgspec.json.encode(self)).hexdigest()[:12]


def load_config(data: bytes, *, source: str, fmt: str) -> MetricConfig:
    """Parse a TOML or JSON metric configuration; errors name the source and the field."""
    try:
        if fmt == "toml":
            return msgspec.toml.decode(data, type=MetricConfig)
        if fmt == "json":
            return msgspec.json.decode(data, type=MetricConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(
            f"{source}: invalid metric config: {describe_validation_error(exc)}"
        ) from None
    except msgspec.DecodeError as exc:
        if fmt == "json":
            raise ConfigError(f"{source}: {describe_undecodable_json(data, str(exc))}") from None
        raise ConfigError(f"{source}: not valid {fmt.upper()}: {exc}") from None
    raise ConfigError(f"{source}: unknown config format {fmt!r} (use .toml or .json)")
