"""Relationship strength, reciprocity and the genuine-connection test, over a whole table.

strength = 1 - exp(-raw / R), with
raw = volume * (1 + ln(1 + D)) * 2^(-(as_of - last_at) / A) and
volume = (1 - rho) * ln(1 + out + in) + rho * ln(1 + 2 * min(out, in)).

The volume term departs from DESIGN.md's `ln(1 + out + in) * (0.5 + 0.5 * reciprocity)`: that
product falls when an answer overshoots the other side (out 99.9, in 100, then an 18-point
reply: strength drops), which breaks "answering never lowers a relationship". The form above has
the same end points (one-way counts half, balanced counts fully) and rises with every event.
docs/metric.md gives the derivation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from rapport.metric.config import MetricConfig
from rapport.metric.decay import DAY_SECONDS
from rapport.metric.table import RelationshipTable

__all__ = ["genuine_mask", "reciprocity", "strength"]

F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


def reciprocity(outbound: F64, inbound: F64) -> F64:
    """min(out, in) / max(out, in), and 0 where both are 0."""
    high = np.maximum(outbound, inbound)
    low = np.minimum(outbound, inbound)
    return np.divide(low, high, out=np.zeros_like(high), where=high > 0)


def strength(table: RelationshipTable, config: MetricConfig) -> F64:
    """Strength in [0, 1) of every relationship; 0 for vetoed ones."""
    rho = config.reciprocity_weight
    both = table.outbound + table.inbound
    low = np.minimum(table.outbound, table.inbound)
    volume = (1.0 - rho) * np.log1p(both) + rho * np.log1p(2.0 * low)
    days = 1.0 + np.log1p(table.days_decayed)
    silence = table.as_of - table.last_at
    recency = np.exp2(-silence / (config.recency_half_life_days * DAY_SECONDS))
    raw = np.nan_to_num(volume * days * recency, nan=0.0)
    result: F64 = -np.expm1(-raw / config.strength_scale)
    result[table.vetoed] = 0.0
    return result


def genuine_mask(table: RelationshipTable, flagged: Bools, config: MetricConfig) -> Bools:
    """Which relationships are genuine connections (every test of DESIGN.md §2 passes)."""
    thresholds = config.genuine
    silence = table.as_of - table.last_at
    with np.errstate(invalid="ignore"):
        recent = silence <= thresholds.max_silence_days * DAY_SECONDS
    result: Bools = (
        (reciprocity(table.outbound, table.inbound) >= thresholds.min_reciprocity)
        & (table.active_days >= thresholds.min_active_days)
        & recent
        & ~table.vetoed
        & ~flagged
    )
    return result
