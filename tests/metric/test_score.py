"""The score document: components, audience, attention budget, missing data, ordering."""

from __future__ import annotations

from rapport.metric import AudienceProfile, MetricConfig, score_events
from rapport.metric.decay import from_epoch
from rapport.model import Direction, Interaction, Kind, MissingData, Profile
from tests.metric.strategies import account_events

DAY = 86_400.0
AS_OF = 1_700_000_000.0


def talk(who: str, days_ago: float, direction: Direction, n: int) -> Interaction:
    return Interaction(
        platform="test",
        ego="ego",
        counterpart=who,
        direction=direction,
        kind=Kind.MESSAGE,
        at=from_epoch(AS_OF - days_ago * DAY),
        event_id=f"{who}-{n}",
    )


def friendship(who: str) -> list[Interaction]:
    return [
        talk(who, d, Direction.OUT if i % 2 else Direction.IN, i)
        for i, d in enumerate((20, 19, 10, 9, 2, 1))
    ]


def run(events: list[Interaction], **kwargs: object):  # type: ignore[no-untyped-def]
    return score_events(account_events(events), as_of=AS_OF, **kwargs)  # type: ignore[arg-type]


def test_friends_make_genuine_connections_and_points() -> None:
    report = run(friendship("bea") + friendship("cal"))
    assert report.genuine_connections == 2
    assert report.components["connections"].points > 0
    assert report.components["responsiveness"].value > 0.9
    assert report.components["focus"].value == 1.0
    assert [r.counterpart for r in report.relationships] == ["bea", "cal"] or [
        r.counterpart for r in report.relationships
    ] == ["cal", "bea"]
    assert (
        sum(c.points for c in report.components.values()) == report.score
        or abs(sum(c.points for c in report.components.values()) - report.score) < 0.01
    )


def test_audience_counts_only_relevant_genuine_connections() -> None:
    config = MetricConfig(audience=AudienceProfile(accounts=["bea"]))
    report = run(friendship("bea") + friendship("cal"), config=config)
    assert report.genuine_connections == 2
    assert report.relevant_genuine_connections == 1
    relevant = {r.counterpart: r.relevant for r in report.relationships}
    assert relevant == {"bea": True, "cal": False}
    plain = run(friendship("bea") + friendship("cal"))
    assert report.components["connections"].points < plain.components["connections"].points


def test_following_beyond_the_attention_budget_lowers_focus() -> None:
    events = friendship("bea")
    modest = Profile(platform="test", account="ego", following_count=300)
    hoarder = Profile(platform="test", account="ego", following_count=8000)
    assert run(events, ego_profile=modest).components["focus"].value == 1.0
    assert run(events, ego_profile=hoarder).components["focus"].value == 0.25


def test_missing_data_is_reported_with_its_effect() -> None:
    report = run(friendship("bea"), missing=[MissingData(data="messages", effect="none")])
    data = [m.data for m in report.missing]
    assert data == ["messages", "following_count", "counterpart_profiles"]
    assert report.components["authenticity"].value == 0.5


def test_flagged_audience_lowers_authenticity() -> None:
    bot = Profile(platform="test", account="bot", followers_count=1, default_avatar=True)
    events = [*friendship("bea"), talk("bot", 3, Direction.IN, 99)]
    profiles = {"bot": bot, "bea": Profile(platform="test", account="bea", followers_count=300)}
    report = run(events, profiles=profiles)
    assert 0 < report.components["authenticity"].value < 1
    assert [r.rule for r in report.rules_fired] == ["few_followers", "default_profile"]
    assert report.rules_fired[0].examples == ["bot"]


def test_nobody_engaged_means_no_authenticity_points() -> None:
    events = [talk("bea", 1, Direction.OUT, 1)]
    assert run(events).components["authenticity"].points == 0


def test_top_limits_the_listed_relationships_and_zero_lists_all() -> None:
    events = friendship("bea") + friendship("cal") + friendship("dee")
    assert len(run(events, top=1).relationships) == 1
    assert len(run(events, top=0).relationships) == 3


def test_layers_fill_from_the_strongest() -> None:
    events = [*friendship("bea"), talk("cal", 1, Direction.IN, 1)]
    report = run(events)
    assert [(layer.capacity, layer.size, layer.genuine) for layer in report.layers] == [
        (5, 2, 1),
        (15, 2, 1),
        (50, 2, 1),
        (150, 2, 1),
    ]
