"""The relationships in the score document: in what order, and with what evidence.

Everything counted is shown. `relationships_total` counts vetoed relationships too, so they are
listed as well (after the live ones, each with the block, mute or report that vetoed it), and
every number carries its basis in its name, all-time counts apart from decayed volumes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import numpy.typing as npt

from rapport.metric.config import MetricConfig
from rapport.metric.decay import DAY_SECONDS, from_epoch
from rapport.metric.report import RelationshipReport
from rapport.metric.table import RelationshipTable
from rapport.metric.weights import KIND_INDEX, KINDS
from rapport.model import VETO_KINDS, Kind

__all__ = ["listed", "ranked", "relationship_report"]

Bools = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]

#: How each negative signal reads, by direction (0: the account did it, 1: they did).
_VETO_WORDS: dict[Kind, tuple[str, str]] = {
    Kind.BLOCK: ("the account blocked them", "they blocked the account"),
    Kind.MUTE: ("the account muted them", "they muted the account"),
    Kind.REPORT: ("the account reported them", "they reported the account"),
}
_VETO_ORDER = [kind for kind in KINDS if kind in VETO_KINDS]


def ranked(strengths: F64, names: list[str], live: Bools) -> I64:
    """Row indices of the live relationships, strongest first, ties broken by name.

    Names are compared only among rows whose strengths tie, and by Python's list sort: ranking
    every name of a 100k-relationship account with numpy's object argsort cost ~50 ms, more
    than the rest of scoring, in the random order `HVALS` returns them.
    """
    rows = np.flatnonzero(live)
    if len(rows) == 0:
        return rows.astype(np.int64)
    key = -strengths[rows]
    by_strength = np.argsort(key, kind="stable")
    ordered = key[by_strength]
    # Tied as a sort sees them: equal (0.0 and -0.0 too), or both NaN (sorted last).
    same = (ordered[1:] == ordered[:-1]) | (np.isnan(ordered[1:]) & np.isnan(ordered[:-1]))
    if not bool(same.any()):
        return rows[by_strength].astype(np.int64)
    tied = np.zeros(len(rows), dtype=np.bool_)
    tied[1:] |= same
    tied[:-1] |= same
    # In row order: names that arrive mostly sorted (an account built in name order) sort in
    # near-linear time. The sort by name is stable, so equal names stay in row order, as they
    # did when every name was ranked.
    tied_at = np.sort(by_strength[tied])
    tied_names = [names[r] for r in rows[tied_at].tolist()]
    by_name = sorted(range(len(tied_names)), key=tied_names.__getitem__)
    rank = np.zeros(len(rows), dtype=np.int64)
    rank[tied_at[by_name]] = np.arange(len(tied_at))
    order = np.lexsort((rank, key))
    return rows[order].astype(np.int64)


def listed(order: I64, names: list[str], vetoed: Bools, top: int) -> list[int]:
    """The rows the document lists: the live ones in `order`, then the vetoed ones by name,
    the first `top` of them (all when `top` is 0)."""
    rows: list[int] = (order if top == 0 else order[:top]).tolist()
    if top == 0 or len(rows) < top:
        vetoed_rows: list[int] = np.flatnonzero(vetoed).tolist()
        rows += sorted(vetoed_rows, key=names.__getitem__)
    return rows if top == 0 else rows[:top]


def veto_reasons(kind_counts: I64) -> list[str]:
    """What vetoed a relationship, from its all-time counts of negative signals."""
    return [
        _VETO_WORDS[kind][side]
        for kind in _VETO_ORDER
        for side in (0, 1)
        if kind_counts[KIND_INDEX[kind], side] > 0
    ]


def _not_genuine_because(
    table: RelationshipTable, i: int, recip: F64, flagged: Bools, config: MetricConfig
) -> list[str]:
    """Each genuine-connection test a live relationship fails (docs/metric.md)."""
    thresholds = config.genuine
    reasons: list[str] = []
    last = float(table.last_at[i])
    if recip[i] < thresholds.min_reciprocity:
        reasons.append(f"reciprocity {recip[i]:.2f} < {thresholds.min_reciprocity:g}")
    if table.active_days[i] < thresholds.min_active_days:
        reasons.append(
            f"active on {int(table.active_days[i])} day(s) in the last "
            f"{config.active_window_days} days, < {thresholds.min_active_days}"
        )
    if math.isnan(last) or table.as_of - last > thresholds.max_silence_days * DAY_SECONDS:
        reasons.append(f"no contact in the last {thresholds.max_silence_days:g} days")
    if bool(flagged[i]):
        reasons.append("counterpart flagged by authenticity rules")
    return reasons


def relationship_report(
    table: RelationshipTable,
    i: int,
    strengths: F64,
    recip: F64,
    genuine: Bools,
    flagged: Bools,
    relevant: Bools | None,
    rules_by_row: Mapping[int, list[str]],
    config: MetricConfig,
) -> RelationshipReport:
    last = float(table.last_at[i])
    vetoed_because: list[str] = []
    if bool(table.vetoed[i]):
        vetoed_because = veto_reasons(table.kind_counts[i]) or ["a block, mute or report"]
        reasons = ["vetoed: " + "; ".join(vetoed_because)]
    else:
        reasons = _not_genuine_because(table, i, recip, flagged, config)
    first = float(table.first_at[i])
    kinds: dict[str, dict[str, int]] = {}
    for k, kind in enumerate(KINDS):
        n_out, n_in = int(table.kind_counts[i, k, 0]), int(table.kind_counts[i, k, 1])
        if n_out or n_in:
            kinds[kind.value] = {"out": n_out, "in": n_in}
    return RelationshipReport(
        counterpart=table.counterparts[i],
        strength=round(float(strengths[i]), 4),
        reciprocity=round(float(recip[i]), 4),
        volume_out_decayed=round(float(table.outbound[i]), 4),
        volume_in_decayed=round(float(table.inbound[i]), 4),
        active_days_in_window=int(table.active_days[i]),
        last_at=None if math.isnan(last) else from_epoch(last),
        first_at=None if math.isnan(first) else from_epoch(first),
        turns_all_time=int(table.turns[i]),
        events_all_time=int(table.events[i]),
        events_by_kind_all_time=kinds,
        genuine=bool(genuine[i]),
        not_genuine_because=reasons,
        vetoed=bool(table.vetoed[i]),
        vetoed_because=vetoed_because,
        rules_fired=list(rules_by_row.get(i, [])),
        relevant=None if relevant is None else bool(relevant[i]),
    )
