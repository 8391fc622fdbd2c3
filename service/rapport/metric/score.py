"""The account score: five additive components, 0-100, and the document that explains them.

No component reads the account's own follower count, and none is a ratio that bought followers
could offset: more followers who never interact change nothing (property 1 in docs/metric.md).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import numpy.typing as npt

from rapport.metric.audience import is_relevant
from rapport.metric.authenticity import RULES, fired_rules
from rapport.metric.config import METRIC_VERSION, MetricConfig
from rapport.metric.decay import DAY_SECONDS, from_epoch
from rapport.metric.report import (
    ComponentReport,
    LayerReport,
    MissingData,
    RelationshipReport,
    RuleFired,
    ScoreReport,
)
from rapport.metric.strength import genuine_mask, reciprocity, strength
from rapport.metric.table import AccountEvents, RelationshipTable, aggregate
from rapport.metric.weights import KINDS
from rapport.model import AccountRef, Profile

__all__ = ["score_events", "score_table"]

Bools = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def score_events(
    events: AccountEvents,
    *,
    as_of: float,
    config: MetricConfig | None = None,
    profiles: Mapping[str, Profile] | None = None,
    ego_profile: Profile | None = None,
    top: int = 20,
    missing: Sequence[MissingData] = (),
) -> ScoreReport:
    """Score one account from its raw events, read at `as_of` (epoch seconds)."""
    config = config or MetricConfig()
    table = aggregate(events, as_of, config)
    return score_table(
        table,
        account=events.account,
        config=config,
        profiles=profiles,
        ego_profile=ego_profile,
        top=top,
        missing=missing,
    )


def score_table(
    table: RelationshipTable,
    *,
    account: AccountRef,
    config: MetricConfig | None = None,
    profiles: Mapping[str, Profile] | None = None,
    ego_profile: Profile | None = None,
    top: int = 20,
    missing: Sequence[MissingData] = (),
) -> ScoreReport:
    """Score one account from its relationship table.

    `profiles` maps counterpart ids to what is known of them (authenticity and relevance);
    `missing` lists data the source could not provide, reported as is.
    """
    config = config or MetricConfig()
    profiles = profiles or {}
    points = config.points
    n = len(table)
    missing_out = list(missing)

    strengths = strength(table, config)
    recip = reciprocity(table.outbound, table.inbound)
    rules_by_row: dict[int, list[str]] = {}
    flagged = np.zeros(n, dtype=np.bool_)
    has_profile = np.zeros(n, dtype=np.bool_)
    for i, name in enumerate(table.counterparts):
        profile = profiles.get(name)
        if profile is None:
            continue
        has_profile[i] = True
        first = None if math.isnan(table.first_at[i]) else float(table.first_at[i])
        fired = fired_rules(profile, first, config.authenticity)
        if fired:
            rules_by_row[i] = fired
            flagged[i] = len(fired) >= config.authenticity.min_rules_to_flag
    genuine = genuine_mask(table, flagged, config)
    live = ~table.vetoed

    relevant: Bools | None = None
    if config.audience is not None and not config.audience.is_empty():
        audience = config.audience
        relevant = np.array(
            [is_relevant(name, profiles.get(name), audience) for name in table.counterparts],
            dtype=np.bool_,
        )
    n_genuine = int(genuine.sum())
    n_relevant = None if relevant is None else int((genuine & relevant).sum())
    counted = n_genuine if n_relevant is None else n_relevant

    # connections: saturating in the number of genuine (and relevant) connections.
    connections_value = 1.0 - math.exp(-counted / config.connections_scale)

    # depth: mean strength of the strongest genuine connections; an empty slot counts 0.
    slots = config.depth_slots
    genuine_strengths = np.sort(strengths[genuine])[::-1][:slots]
    depth_value = float(genuine_strengths.sum()) / slots

    # responsiveness: share of inbound attention answered (vetoed and flagged accounts are
    # owed no answer).
    answerable = live & ~flagged
    inbound_total = float(table.inbound[answerable].sum())
    answered = float(np.minimum(table.inbound, table.outbound)[answerable].sum())
    responsiveness_value = _ratio(answered, inbound_total)

    # focus: share of interaction volume inside genuine connections, times the attention budget.
    volume = table.outbound + table.inbound
    volume_total = float(volume[live].sum())
    volume_genuine = float(volume[genuine].sum())
    share_inside = _ratio(volume_genuine, volume_total)
    following = ego_profile.following_count if ego_profile is not None else None
    attention = 1.0
    if following is None:
        missing_out.append(
            MissingData(
                data="following_count",
                effect="focus is not adjusted for the number of accounts followed",
            )
        )
    elif following > config.attention_budget:
        attention = (config.attention_budget / following) ** config.attention_exponent
    focus_value = share_inside * attention

    # authenticity: share of the engaged audience's inbound attention from accounts that pass.
    engaged = live & (table.inbound > 0)
    known = engaged & has_profile
    n_engaged, n_known = int(engaged.sum()), int(known.sum())
    if n_engaged == 0:
        authenticity_value = 0.0
        authenticity_note = "nobody has engaged with this account yet"
    elif n_known == 0:
        authenticity_value = prior = config.authenticity.unknown_prior
        authenticity_note = (
            f"no profile is known for the {n_engaged} engaged accounts, so the neutral prior "
            f"{config.authenticity.unknown_prior:g} is used"
        )
        missing_out.append(
            MissingData(
                data="counterpart_profiles",
                effect=f"authenticity scored at the neutral prior {prior:g}",
            )
        )
    else:
        known_in = float(table.inbound[known].sum())
        authenticity_value = _ratio(float(table.inbound[known & ~flagged].sum()), known_in)
        authenticity_note = (
            f"{authenticity_value:.0%} of the attention from the {n_known} engaged accounts with a "
            "known profile comes from accounts no heuristic flagged"
        )
        if n_known < n_engaged:
            missing_out.append(
                MissingData(
                    data="counterpart_profiles",
                    effect=f"{n_engaged - n_known} of {n_engaged} engaged accounts have no "
                    "profile; authenticity is measured on the others",
                )
            )

    components = {
        "connections": ComponentReport(
            points=points.connections * connections_value,
            max_points=points.connections,
            value=connections_value,
            inputs={
                "genuine_connections": n_genuine,
                "relevant_genuine_connections": n_relevant,
                "scale": config.connections_scale,
            },
            explanation=(
                f"{counted} genuine {'relevant ' if n_relevant is not None else ''}connections "
                "(two-way, on at least "
                f"{config.genuine.min_active_days} days, in touch within "
                f"{config.genuine.max_silence_days:g} days); a handful counts, thousands add "
                "nothing"
            ),
        ),
        "depth": ComponentReport(
            points=points.depth * depth_value,
            max_points=points.depth,
            value=depth_value,
            inputs={"slots": slots, "filled": len(genuine_strengths)},
            explanation=(
                f"mean strength of the {slots} strongest genuine connections "
                f"({len(genuine_strengths)} filled; an empty slot counts 0)"
            ),
        ),
        "responsiveness": ComponentReport(
            points=points.responsiveness * responsiveness_value,
            max_points=points.responsiveness,
            value=responsiveness_value,
            inputs={"inbound": inbound_total, "answered": answered},
            explanation=(
                f"answers {responsiveness_value:.0%} of the attention it receives"
                if inbound_total > 0
                else "receives no attention yet, so there is nothing to answer"
            ),
        ),
        "focus": ComponentReport(
            points=points.focus * focus_value,
            max_points=points.focus,
            value=focus_value,
            inputs={
                "volume": volume_total,
                "volume_in_genuine": volume_genuine,
                "following": following,
                "attention_factor": attention,
            },
            explanation=(
                f"{share_inside:.0%} of its interaction volume is spent inside genuine "
                "connections"
                + (
                    f"; following {following} accounts (budget {config.attention_budget}) "
                    f"scales it by {attention:.2f}"
                    if attention < 1.0
                    else ""
                )
            ),
        ),
        "authenticity": ComponentReport(
            points=points.authenticity * authenticity_value,
            max_points=points.authenticity,
            value=authenticity_value,
            inputs={"engaged": n_engaged, "with_profile": n_known, "flagged": int(flagged.sum())},
            explanation=authenticity_note,
        ),
    }
    total = round(min(100.0, max(0.0, sum(c.points for c in components.values()))), 2)
    for report in components.values():
        report.points = round(report.points, 3)
        report.value = round(report.value, 4)

    order = _ranked(strengths, table.counterparts, live)
    layers = []
    for capacity in config.layers:
        members = order[:capacity]
        layers.append(
            LayerReport(
                capacity=capacity,
                size=len(members),
                genuine=int(genuine[members].sum()),
                mean_strength=round(float(strengths[members].mean()) if len(members) else 0.0, 4),
            )
        )

    shown = order if top == 0 else order[:top]
    relationships = [
        _relationship(
            table, int(i), strengths, recip, genuine, flagged, relevant, rules_by_row, config
        )
        for i in shown
    ]

    summary = _summary(
        total,
        n,
        n_genuine,
        n_relevant,
        responsiveness_value,
        inbound_total,
        share_inside,
        volume_total,
    )
    return ScoreReport(
        ego=account.account,
        platform=account.platform,
        score=total,
        summary=summary,
        components=components,
        genuine_connections=n_genuine,
        relevant_genuine_connections=n_relevant,
        relationships_total=n,
        layers=layers,
        relationships=relationships,
        rules_fired=_rules_fired(rules_by_row, table.counterparts),
        missing=_dedupe(missing_out),
        as_of=from_epoch(table.as_of),
        metric_version=METRIC_VERSION,
        config_digest=config.digest(),
    )


def _ranked(strengths: F64, names: list[str], live: Bools) -> npt.NDArray[np.int64]:
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


def _relationship(
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
    thresholds = config.genuine
    reasons: list[str] = []
    last = float(table.last_at[i])
    if bool(table.vetoed[i]):
        reasons.append("vetoed by a block, mute or report")
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
        inbound=round(float(table.inbound[i]), 4),
        outbound=round(float(table.outbound[i]), 4),
        active_days=int(table.active_days[i]),
        last_at=None if math.isnan(last) else from_epoch(last),
        first_at=None if math.isnan(first) else from_epoch(first),
        turns=int(table.turns[i]),
        events=int(table.events[i]),
        kinds=kinds,
        genuine=bool(genuine[i]),
        not_genuine_because=reasons,
        vetoed=bool(table.vetoed[i]),
        rules_fired=list(rules_by_row.get(i, [])),
        relevant=None if relevant is None else bool(relevant[i]),
    )


def _rules_fired(rules_by_row: Mapping[int, list[str]], names: list[str]) -> list[RuleFired]:
    result = []
    for rule in RULES:
        rows = [i for i, fired in rules_by_row.items() if rule.name in fired]
        if rows:
            result.append(
                RuleFired(
                    rule=rule.name,
                    description=rule.description,
                    source=rule.source,
                    accounts=len(rows),
                    examples=sorted(names[i] for i in rows)[:5],
                )
            )
    return result


def _dedupe(items: list[MissingData]) -> list[MissingData]:
    """One note per (source, data): an archive and an API refresh may both lack the same data,
    and each says so."""
    seen: set[tuple[str | None, str]] = set()
    result = []
    for item in items:
        key = (item.source, item.data)
        if key not in seen:
            seen.add(key)
            result.append(item)
    return result


def _summary(
    total: float,
    n: int,
    n_genuine: int,
    n_relevant: int | None,
    responsiveness: float,
    inbound_total: float,
    share_inside: float,
    volume_total: float,
) -> str:
    head = f"Score {total:.0f}/100: "
    if n == 0:
        return (
            head + "no interactions were found for this account, so there is no relationship "
            "to measure yet."
        )
    parts = [
        f"{n_genuine} genuine connection{'s' if n_genuine != 1 else ''} among {n} relationship"
        f"{'s' if n != 1 else ''}"
        + (f" ({n_relevant} in the declared audience)" if n_relevant is not None else "")
    ]
    if inbound_total > 0:
        parts.append(f"answers {responsiveness:.0%} of the attention it receives")
    else:
        parts.append("nobody has reached out to it yet")
    if volume_total > 0:
        parts.append(f"{share_inside:.0%} of its interaction goes to genuine connections")
    return head + "; ".join(parts) + "."
