"""The account score: five additive components, 0-100, and the document that explains them.

No component reads the account's own follower count, and none is a ratio that bought followers
could offset: more followers who never interact change nothing (property 1 in docs/metric.md).

No credit for what could not be seen: a component the source cannot support (the data hides the
side of the exchanges it needs, or no profile is known) is marked not measurable, and the score
is re-normalised over the components that are (docs/metric.md, "Measurable components").
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from rapport.metric.audience import is_relevant
from rapport.metric.authenticity import RULES, fired_rules
from rapport.metric.config import METRIC_VERSION, MetricConfig
from rapport.metric.decay import from_epoch
from rapport.metric.measurability import Visibility
from rapport.metric.relationships import listed, ranked, relationship_report
from rapport.metric.report import (
    ComponentReport,
    LayerReport,
    MissingData,
    RuleFired,
    ScoreReport,
)
from rapport.metric.strength import genuine_mask, reciprocity, strength
from rapport.metric.table import AccountEvents, RelationshipTable, aggregate
from rapport.model import AccountRef, Direction, Profile

__all__ = ["score_events", "score_table"]

Bools = npt.NDArray[np.bool_]
F64 = npt.NDArray[np.float64]

_IN, _OUT = Direction.IN, Direction.OUT


def _ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator > 0 else 0.0


def _measured(
    max_points: float, value: float, inputs: dict[str, float | int | str | None], explanation: str
) -> ComponentReport:
    return ComponentReport(
        points=max_points * value,
        max_points=max_points,
        contribution=0.0,  # set once every component is known
        value=value,
        measurable=True,
        not_measurable_because=None,
        inputs=inputs,
        explanation=explanation,
    )


def _not_measurable(
    max_points: float, because: str, inputs: dict[str, float | int | str | None]
) -> ComponentReport:
    return ComponentReport(
        points=0.0,
        max_points=max_points,
        contribution=0.0,
        value=None,
        measurable=False,
        not_measurable_because=because,
        inputs=inputs,
        explanation=f"not measurable from this source: {because}",
    )


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


@dataclass(slots=True)
class _Facts:
    """What every component is computed from; `missing` gathers what they find lacking."""

    table: RelationshipTable
    config: MetricConfig
    seen: Visibility
    live: Bools
    flagged: Bools
    genuine: Bools
    has_profile: Bools
    missing: list[MissingData]


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
    `missing` lists data the source could not provide, reported as is; the directions its
    items say are hidden (`MissingData.hides`) decide which components are measurable.
    """
    config = config or MetricConfig()
    profiles = profiles or {}
    n = len(table)

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

    facts = _Facts(
        table=table,
        config=config,
        seen=Visibility.of(missing),
        live=live,
        flagged=flagged,
        genuine=genuine,
        has_profile=has_profile,
        missing=list(missing),
    )
    components = {
        "connections": _connections(facts, n_genuine, n_relevant),
        "depth": _depth(facts, strengths),
        "responsiveness": _responsiveness(facts),
        "focus": _focus(facts, ego_profile),
        "authenticity": _authenticity(facts),
    }
    earned, measurable = _normalise(components)
    total = round(min(100.0, max(0.0, earned * _scale(measurable))), 2)

    order = ranked(strengths, table.counterparts, live)
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

    relationships = [
        relationship_report(
            table, i, strengths, recip, genuine, flagged, relevant, rules_by_row, config
        )
        for i in listed(order, table.counterparts, table.vetoed, top)
    ]

    return ScoreReport(
        ego=account.account,
        platform=account.platform,
        score=total,
        summary=_summary(total, n, n_genuine, n_relevant, components, measurable),
        points_earned=round(earned, 3),
        points_measurable=round(measurable, 3),
        components=components,
        genuine_connections=n_genuine,
        relevant_genuine_connections=n_relevant,
        relationships_total=n,
        relationships_vetoed=int(table.vetoed.sum()),
        decay_half_life_days=config.half_life_days,
        active_window_days=config.active_window_days,
        layers=layers,
        relationships=relationships,
        rules_fired=_rules_fired(rules_by_row, table.counterparts),
        missing=_dedupe(facts.missing),
        as_of=from_epoch(table.as_of),
        metric_version=METRIC_VERSION,
        config_digest=config.digest(),
    )


def _scale(measurable: float) -> float:
    """Points to score: 1.0 when every component is measurable (their points add up to 100)."""
    return 100.0 / measurable if measurable > 0 else 0.0


def _normalise(components: Mapping[str, ComponentReport]) -> tuple[float, float]:
    """The points earned and the points measurable; sets each component's contribution to the
    score and rounds what the document shows."""
    measured = [c for c in components.values() if c.measurable]
    earned = sum(c.points for c in measured)
    measurable = sum(c.max_points for c in measured)
    scale = _scale(measurable)
    for report in components.values():
        report.contribution = round(report.points * scale, 3) if report.measurable else 0.0
        report.points = round(report.points, 3)
        report.value = None if report.value is None else round(report.value, 4)
    return earned, measurable


def _lower_bound(seen: Visibility) -> str:
    if seen.complete:
        return ""
    return "; counted from what the source shows, so a lower bound"


def _connections(facts: _Facts, n_genuine: int, n_relevant: int | None) -> ComponentReport:
    """Saturating in the number of genuine (and relevant) connections."""
    config = facts.config
    counted = n_genuine if n_relevant is None else n_relevant
    value = 1.0 - math.exp(-counted / config.connections_scale)
    return _measured(
        config.points.connections,
        value,
        {
            "genuine_connections": n_genuine,
            "relevant_genuine_connections": n_relevant,
            "scale": config.connections_scale,
        },
        f"{counted} genuine {'relevant ' if n_relevant is not None else ''}connections "
        f"(two-way, on at least {config.genuine.min_active_days} days, in touch within "
        f"{config.genuine.max_silence_days:g} days); a handful counts, thousands add nothing"
        + _lower_bound(facts.seen),
    )


def _depth(facts: _Facts, strengths: F64) -> ComponentReport:
    """Mean strength of the strongest genuine connections; an empty slot counts 0."""
    slots = facts.config.depth_slots
    best = np.sort(strengths[facts.genuine])[::-1][:slots]
    return _measured(
        facts.config.points.depth,
        float(best.sum()) / slots,
        {"slots": slots, "filled": len(best)},
        f"mean strength of the {slots} strongest genuine connections ({len(best)} filled; an "
        "empty slot counts 0)" + _lower_bound(facts.seen),
    )


def _responsiveness(facts: _Facts) -> ComponentReport:
    """Share of the inbound attention answered; vetoed and flagged accounts are owed no
    answer. It needs both sides complete: with the attention received partly hidden it reads
    near full by construction, with the answers partly hidden near empty."""
    table, seen = facts.table, facts.seen
    answerable = facts.live & ~facts.flagged
    inbound = float(table.inbound[answerable].sum())
    answered = float(np.minimum(table.inbound, table.outbound)[answerable].sum())
    inputs: dict[str, float | int | str | None] = {"inbound": inbound, "answered": answered}
    max_points = facts.config.points.responsiveness
    if seen.hides(_IN):
        return _not_measurable(
            max_points,
            "the source does not show all the attention the account receives "
            f"({seen.gaps(_IN)}), so the share it answers would read near full by construction",
            inputs,
        )
    if seen.hides(_OUT):
        return _not_measurable(
            max_points,
            f"the source does not show all of the account's own answers ({seen.gaps(_OUT)}), "
            "so the share it answers would read low by construction",
            inputs,
        )
    value = _ratio(answered, inbound)
    return _measured(
        max_points,
        value,
        inputs,
        f"answers {value:.0%} of the attention it receives"
        if inbound > 0
        else "receives no attention yet, so there is nothing to answer",
    )


def _focus(facts: _Facts, ego_profile: Profile | None) -> ComponentReport:
    """Share of the interaction volume inside genuine connections, times the attention
    budget. When the source hides the attention received, the account's own attention (which
    it shows whole) is the volume measured."""
    table, seen, config = facts.table, facts.seen, facts.config
    own_only = seen.hides(_IN)
    volume = table.outbound if own_only else table.outbound + table.inbound
    total = float(volume[facts.live].sum())
    inside = float(volume[facts.genuine].sum())
    share = _ratio(inside, total)
    following = ego_profile.following_count if ego_profile is not None else None
    attention = 1.0
    if following is None:
        facts.missing.append(
            MissingData(
                data="following_count",
                effect="focus is not adjusted for the number of accounts followed",
            )
        )
    elif following > config.attention_budget:
        attention = (config.attention_budget / following) ** config.attention_exponent
    inputs: dict[str, float | int | str | None] = {
        "volume": total,
        "volume_in_genuine": inside,
        "volume_basis": "out" if own_only else "out+in",
        "following": following,
        "attention_factor": attention,
    }
    if seen.hides(_OUT):
        return _not_measurable(
            config.points.focus,
            f"the source does not show all of the account's own attention ({seen.gaps(_OUT)})",
            inputs,
        )
    whose = "of the attention it gives" if own_only else "of its interaction volume"
    return _measured(
        config.points.focus,
        share * attention,
        inputs,
        f"{share:.0%} {whose} is spent inside genuine connections"
        + (
            f"; following {following} accounts (budget {config.attention_budget}) "
            f"scales it by {attention:.2f}"
            if attention < 1.0
            else ""
        ),
    )


def _authenticity(facts: _Facts) -> ComponentReport:
    """Share of the engaged audience's inbound attention from accounts that pass the rules.

    Not measurable when the source hides the attention received (the likes, reposts and
    mentions an export leaves out are where automated accounts engage), nor when no engaged
    account's profile is known (there is nothing to judge)."""
    table, seen, config = facts.table, facts.seen, facts.config
    engaged = facts.live & (table.inbound > 0)
    known = engaged & facts.has_profile
    n_engaged, n_known = int(engaged.sum()), int(known.sum())
    inputs: dict[str, float | int | str | None] = {
        "engaged": n_engaged,
        "with_profile": n_known,
        "flagged": int(facts.flagged.sum()),
    }
    max_points = config.points.authenticity
    if seen.hides(_IN):
        return _not_measurable(
            max_points,
            f"the source does not show who engages with the account ({seen.gaps(_IN)}), and "
            "the likes, reposts and mentions it leaves out are where automated accounts engage",
            inputs,
        )
    if n_engaged == 0:
        return _measured(max_points, 0.0, inputs, "nobody has engaged with this account yet")
    if n_known == 0:
        facts.missing.append(
            MissingData(
                data="counterpart_profiles",
                effect=f"no profile is known for the {n_engaged} engaged accounts: "
                "authenticity is not measurable",
            )
        )
        return _not_measurable(
            max_points,
            f"no profile is known for any of the {n_engaged} engaged accounts",
            inputs,
        )
    if n_known < n_engaged:
        facts.missing.append(
            MissingData(
                data="counterpart_profiles",
                effect=f"{n_engaged - n_known} of {n_engaged} engaged accounts have no "
                "profile; authenticity is measured on the others",
            )
        )
    known_in = float(table.inbound[known].sum())
    value = _ratio(float(table.inbound[known & ~facts.flagged].sum()), known_in)
    return _measured(
        max_points,
        value,
        inputs,
        f"{value:.0%} of the attention from the {n_known} engaged accounts with a known "
        "profile comes from accounts no heuristic flagged",
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


def _number(component: ComponentReport, name: str) -> float:
    value = component.inputs.get(name)
    return float(value) if isinstance(value, int | float) else 0.0


def _summary(
    total: float,
    n: int,
    n_genuine: int,
    n_relevant: int | None,
    components: Mapping[str, ComponentReport],
    measurable: float,
) -> str:
    head = f"Score {total:.0f}/100: "
    if n == 0:
        sentence = (
            head + "no interactions were found for this account, so there is no relationship "
            "to measure yet."
        )
    else:
        sentence = head + "; ".join(_findings(n, n_genuine, n_relevant, components)) + "."
    unseen = [name for name, c in components.items() if not c.measurable]
    if unseen:
        names = ", ".join(unseen[:-1]) + (" and " if len(unseen) > 1 else "") + unseen[-1]
        sentence += (
            f" {names[0].upper()}{names[1:]} cannot be measured from this source, so the score "
            f"is out of the other {measurable:g} points, scaled to 100."
        )
    return sentence


def _findings(
    n: int, n_genuine: int, n_relevant: int | None, components: Mapping[str, ComponentReport]
) -> list[str]:
    parts = [
        f"{n_genuine} genuine connection{'s' if n_genuine != 1 else ''} among {n} relationship"
        f"{'s' if n != 1 else ''}"
        + (f" ({n_relevant} in the declared audience)" if n_relevant is not None else "")
    ]
    responsiveness = components["responsiveness"]
    if responsiveness.value is not None:
        if _number(responsiveness, "inbound") > 0:
            parts.append(f"answers {responsiveness.value:.0%} of the attention it receives")
        else:
            parts.append("nobody has reached out to it yet")
    focus = components["focus"]
    if focus.measurable and _number(focus, "volume") > 0:
        share = _ratio(_number(focus, "volume_in_genuine"), _number(focus, "volume"))
        own = focus.inputs["volume_basis"] == "out"
        whose = "the attention it gives" if own else "its interaction"
        parts.append(f"{share:.0%} of {whose} goes to genuine connections")
    return parts
