"""The score document: components, audience, attention budget, missing data, ordering."""

from __future__ import annotations

import msgspec

from rapport.metric import AudienceProfile, MetricConfig, score_events
from rapport.metric.decay import from_epoch
from rapport.model import Direction, Interaction, Kind, MissingData, Profile
from tests.metric.strategies import account_events

DAY = 86_400.0
AS_OF = 1_700_000_000.0


def talk(
    who: str, days_ago: float, direction: Direction, n: int, kind: Kind = Kind.MESSAGE
) -> Interaction:
    return Interaction(
        platform="test",
        ego="ego",
        counterpart=who,
        direction=direction,
        kind=kind,
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
    # No profile is known, so authenticity is not measurable and the score is over the rest.
    assert not report.components["authenticity"].measurable
    assert report.points_measurable == 90
    assert abs(sum(c.contribution for c in report.components.values()) - report.score) < 0.01


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
    authenticity = report.components["authenticity"]
    assert (authenticity.measurable, authenticity.value, authenticity.points) == (False, None, 0)
    assert authenticity.not_measurable_because == (
        "no profile is known for any of the 1 engaged accounts"
    )


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


def test_vetoed_relationships_are_counted_and_listed_last_with_what_vetoed_them() -> None:
    events = [
        *friendship("bea"),
        *friendship("zed"),  # a friend, then blocked: the veto settles it
        talk("zed", 5, Direction.OUT, 101, Kind.BLOCK),
        talk("amy", 5, Direction.IN, 102, Kind.MUTE),
        talk("amy", 5, Direction.OUT, 103, Kind.REPORT),
    ]
    report = run(events, top=0)
    assert report.relationships_total == 3
    assert report.relationships_vetoed == 2
    listed = [(r.counterpart, r.vetoed, r.vetoed_because) for r in report.relationships]
    assert listed == [
        ("bea", False, []),
        ("amy", True, ["they muted the account", "the account reported them"]),
        ("zed", True, ["the account blocked them"]),
    ]
    zed = report.relationships[2]
    assert zed.not_genuine_because == ["vetoed: the account blocked them"]
    assert zed.events_by_kind_all_time == {
        "message": {"out": 3, "in": 3},
        "block": {"out": 1, "in": 0},
    }
    assert (zed.strength, zed.genuine) == (0.0, False)
    assert report.genuine_connections == 1
    # `top` cuts the list after the live ones first
    assert [r.counterpart for r in run(events, top=1).relationships] == ["bea"]
    assert [r.counterpart for r in run(events, top=2).relationships] == ["bea", "amy"]


def test_evidence_fields_name_their_basis_in_the_json() -> None:
    """All-time counts and decayed volumes are never two fields that read the same: five
    messages out a year ago and reciprocity 0.00 now do not contradict each other."""
    old = [talk("bea", 365 + i, Direction.OUT, i) for i in range(5)]
    report = run([*old, talk("bea", 1, Direction.IN, 9)], top=0)
    document = msgspec.json.decode(msgspec.json.encode(report))
    rel = document["relationships"][0]
    assert rel["events_by_kind_all_time"] == {"message": {"out": 5, "in": 1}}
    assert rel["events_all_time"] == 6
    assert f"{rel['reciprocity']:.2f}" == "0.00"
    assert 0 < rel["volume_out_decayed"] < 0.02  # five messages of 8, a year of decay
    assert rel["volume_in_decayed"] > 7
    assert rel["active_days_in_window"] == 1  # the window is 180 days
    assert {"in", "out", "kinds", "events", "turns", "active_days"}.isdisjoint(rel)
    assert (document["decay_half_life_days"], document["active_window_days"]) == (30.0, 180)
