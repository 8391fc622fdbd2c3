"""No credit for what could not be seen, as properties on real networks (docs/metric.md,
"Measurable components"): a component the source cannot support is scored nothing and left
out of the score, which is the points earned over the points measurable, scaled to 100."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rapport.metric import ScoreReport, score_events
from rapport.model import Direction, MissingData
from tests.metric.networks import DAY, Network, answered_only, bitcoin_otc, dnc_emails

NETWORKS = {"dnc-emails": dnc_emails, "bitcoin-otc": bitcoin_otc}
GAP = {
    Direction.IN: MissingData(data="what others did", effect="not exported", hides=(Direction.IN,)),
    Direction.OUT: MissingData(data="own posts", effect="not exported", hides=(Direction.OUT,)),
}
#: The rule of docs/metric.md: which components need which side of the exchanges complete.
NEEDS = {
    "connections": set(),
    "depth": set(),
    "responsiveness": {Direction.IN, Direction.OUT},
    "focus": {Direction.OUT},
    "authenticity": {Direction.IN},
}


@st.composite
def scored(draw: st.DrawFn) -> tuple[Network, str, float, frozenset[Direction], bool]:
    network = NETWORKS[draw(st.sampled_from(sorted(NETWORKS)))]()
    ego = draw(st.sampled_from(network.egos(min_counterparts=5)))
    as_of = network.last_at(ego) + draw(st.floats(min_value=0, max_value=200)) * DAY
    hidden = frozenset(draw(st.sets(st.sampled_from(list(Direction)))))
    one_sided = draw(st.booleans())  # what an export of the ego's own activity would hold
    return network, ego, as_of, hidden, one_sided


def _score(
    network: Network, ego: str, as_of: float, hidden: frozenset[Direction], one_sided: bool
) -> ScoreReport:
    events = network.events[ego]
    account = network.account(ego, answered_only(events) if one_sided else events)
    gaps = [GAP[d] for d in sorted(hidden)]
    return score_events(account, as_of=as_of, top=0, missing=gaps)


@given(case=scored())
@settings(max_examples=120)
def test_the_score_is_the_measurable_points_scaled_to_100(
    case: tuple[Network, str, float, frozenset[Direction], bool],
) -> None:
    report = _score(*case)
    hidden = case[3]
    measurable = {n: c for n, c in report.components.items() if c.measurable}
    for name, component in report.components.items():
        if NEEDS[name] & hidden:
            assert not component.measurable, name
        if not component.measurable:
            assert (component.points, component.contribution, component.value) == (0, 0, None)
            assert component.not_measurable_because
            assert component.explanation.startswith("not measurable from this source: ")
    possible = sum(c.max_points for c in measurable.values())
    earned = sum(c.points for c in measurable.values())
    assert report.points_measurable == pytest.approx(possible)
    assert report.points_earned == pytest.approx(earned, abs=0.003)
    expected = 100 * earned / possible if possible else 0.0
    assert report.score == pytest.approx(expected, abs=0.01)
    assert sum(c.contribution for c in report.components.values()) == pytest.approx(
        report.score, abs=0.01
    )
    assert 0 <= report.score <= 100
    assert math.isfinite(report.score)
    if len(measurable) < len(report.components):
        assert "cannot be measured from this source" in report.summary


@given(case=scored())
@settings(max_examples=60)
def test_what_is_hidden_changes_which_components_count_never_what_they_count(
    case: tuple[Network, str, float, frozenset[Direction], bool],
) -> None:
    network, ego, as_of, hidden, one_sided = case
    tagged = _score(network, ego, as_of, hidden, one_sided)
    plain = _score(network, ego, as_of, frozenset(), one_sided)
    assert tagged.genuine_connections == plain.genuine_connections
    for name in ("connections", "depth"):
        assert tagged.components[name].points == plain.components[name].points
    assert tagged.relationships == plain.relationships


@given(case=scored())
@settings(max_examples=60)
def test_every_relationship_counted_is_listed_vetoed_ones_last_with_their_reason(
    case: tuple[Network, str, float, frozenset[Direction], bool],
) -> None:
    report = _score(*case)
    assert len(report.relationships) == report.relationships_total
    vetoed = [r for r in report.relationships if r.vetoed]
    assert len(vetoed) == report.relationships_vetoed
    assert report.relationships[len(report.relationships) - len(vetoed) :] == vetoed
    for rel in vetoed:
        assert rel.vetoed_because
        assert rel.not_genuine_because == ["vetoed: " + "; ".join(rel.vetoed_because)]
        assert not rel.genuine
        assert rel.strength == 0


def test_bitcoin_otc_holds_vetoed_relationships_to_exercise() -> None:
    """The listing property above is vacuous without vetoes: negative ratings are reports."""
    network = bitcoin_otc()
    vetoed = 0
    for ego in network.egos(min_counterparts=5)[:200]:
        vetoed += score_events(
            network.account(ego), as_of=network.last_at(ego)
        ).relationships_vetoed
    assert vetoed > 50


def test_a_one_sided_view_of_real_email_reads_answered_by_construction() -> None:
    """Why responsiveness needs both sides: on the DNC emails, keeping only the mail each ego
    answered (what an export of its own activity shows) takes the share answered from what the
    full data says to near 100 % for most egos; tagged, it is not scored at all."""
    network = dnc_emails()
    egos = network.egos(min_counterparts=10)
    full_high = one_sided_high = 0
    for ego in egos:
        as_of = network.last_at(ego) + DAY
        full = score_events(network.account(ego), as_of=as_of)
        view = network.account(ego, answered_only(network.events[ego]))
        naive = score_events(view, as_of=as_of)
        tagged = score_events(view, as_of=as_of, missing=[GAP[Direction.IN]])
        full_high += (full.components["responsiveness"].value or 0) >= 0.95
        one_sided_high += (naive.components["responsiveness"].value or 0) >= 0.95
        assert not tagged.components["responsiveness"].measurable
    assert full_high < 0.1 * len(egos)
    assert one_sided_high > 0.4 * len(egos)
