"""The seven properties of the metric (docs/metric.md, "Properties"), as hypothesis tests."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from rapport.metric import (
    AudienceProfile,
    MetricConfig,
    RelationshipAggregate,
    RelationshipTable,
    aggregate,
    score_table,
    strength,
)
from rapport.metric.decay import epoch, from_epoch
from rapport.model import Direction, Interaction, Kind, Profile
from tests.metric.strategies import (
    EGO,
    account_events,
    as_of_after,
    chronological,
    histories,
    interactions,
    score,
)

CONFIG = MetricConfig()
NON_VETO = [Kind.LIKE, Kind.REPOST, Kind.QUOTE, Kind.MENTION, Kind.REPLY, Kind.MESSAGE]


def _event(
    who: str,
    direction: Direction,
    kind: Kind,
    at: float,
    event_id: str,
    text_len: int | None = None,
) -> Interaction:
    return Interaction(
        platform=EGO.platform,
        ego=EGO.account,
        counterpart=who,
        direction=direction,
        kind=kind,
        at=from_epoch(at),
        event_id=event_id,
        text_len=text_len,
    )


# 1. Adding followers who never interact never raises the score.
@given(
    history=histories(),
    followers=st.integers(min_value=0, max_value=10**6),
    more=st.integers(min_value=1, max_value=10**7),
    silent=st.integers(min_value=1, max_value=50),
)
def test_followers_who_never_interact_never_raise_the_score(
    history: list[Interaction], followers: int, more: int, silent: int
) -> None:
    as_of = as_of_after(history, 1)
    ego = Profile(
        platform=EGO.platform, account=EGO.account, followers_count=followers, following_count=300
    )
    base = score(history, as_of, ego_profile=ego)
    bigger = Profile(
        platform=EGO.platform,
        account=EGO.account,
        followers_count=followers + more,
        following_count=300,
    )
    newcomers = {
        f"follower{i}": Profile(
            platform=EGO.platform, account=f"follower{i}", followers_count=i, following_count=10
        )
        for i in range(silent)
    }
    assert score(history, as_of, ego_profile=bigger, profiles=newcomers).score <= base.score


# 2. Answering (an event on the weaker side) never lowers that relationship's strength.
@given(
    history=histories(),
    kind=st.sampled_from(NON_VETO),
    text_len=st.none() | st.integers(min_value=0, max_value=300),
    position=st.floats(min_value=0.0, max_value=1.0),
)
def test_answering_never_lowers_strength(
    history: list[Interaction], kind: Kind, text_len: int | None, position: float
) -> None:
    assume(history)
    as_of = as_of_after(history, 0.5)
    before = aggregate(account_events(history), as_of, CONFIG)
    rows = [i for i in range(len(before)) if not before.vetoed[i]]
    assume(rows)
    row = rows[0]
    who = before.counterparts[row]
    weaker = Direction.OUT if before.outbound[row] <= before.inbound[row] else Direction.IN
    start = float(np.nan_to_num(before.first_at[row], nan=as_of))
    at = start + position * (as_of - start)
    answered = [*history, _event(who, weaker, kind, at, "answer", text_len)]
    after = aggregate(account_events(answered), as_of, CONFIG)
    new_row = after.counterparts.index(who)
    assert strength(after, CONFIG)[new_row] >= strength(before, CONFIG)[row] - 1e-12


# 3. A hundred one-way likes never make a genuine connection, and raise the score less than
#    one three-turn two-way conversation does.
@given(history=histories(), likes_out=st.booleans())
def test_one_way_likes_count_less_than_a_conversation(
    history: list[Interaction], likes_out: bool
) -> None:
    as_of = as_of_after(history, 1)
    direction = Direction.OUT if likes_out else Direction.IN
    likes = [
        _event("liker", direction, Kind.LIKE, as_of - (i + 1) * 3600 * 7, f"like{i}")
        for i in range(100)
    ]
    day = 86_400.0
    talk = [
        _event("talker", Direction.OUT, Kind.REPLY, as_of - 3 * day, "t1", 80),
        _event("talker", Direction.IN, Kind.REPLY, as_of - 2 * day, "t2", 80),
        _event("talker", Direction.OUT, Kind.REPLY, as_of - 1 * day, "t3", 80),
    ]
    with_likes = score(history + likes, as_of, top=0)
    with_talk = score(history + talk, as_of, top=0)
    liker = next(r for r in with_likes.relationships if r.counterpart == "liker")
    assert not liker.genuine
    talker = next(r for r in with_talk.relationships if r.counterpart == "talker")
    assert talker.genuine
    assert with_likes.score < with_talk.score


# 4. With no new events, the score never rises as as_of moves forward.
@given(
    history=histories(),
    steps=st.lists(st.floats(min_value=0.0, max_value=400.0), min_size=1, max_size=4),
)
def test_score_never_rises_with_time_alone(history: list[Interaction], steps: list[float]) -> None:
    as_of = as_of_after(history)
    previous = score(history, as_of).score
    for step in steps:
        as_of += step * 86_400
        current = score(history, as_of).score
        assert current <= previous + 1e-9
        previous = current


# 5. The same events in any order, or ingested twice, give the same score.
@given(history=histories(), data=st.data())
def test_order_and_duplicates_do_not_matter(
    history: list[Interaction], data: st.DataObject
) -> None:
    as_of = as_of_after(history, 2)
    reference = score(history, as_of, top=0)
    shuffled = data.draw(st.permutations(history))
    doubled = shuffled + data.draw(st.permutations(history))
    again = score(doubled, as_of, top=0)
    assert again.score == reference.score
    assert [(r.counterpart, r.strength) for r in again.relationships] == [
        (r.counterpart, r.strength) for r in reference.relationships
    ]


# 6. Incremental ingestion and a full recompute from raw events agree (to float tolerance).
@given(history=histories(), extra_days=st.floats(min_value=0, max_value=120))
def test_incremental_equals_full_recompute(history: list[Interaction], extra_days: float) -> None:
    as_of = as_of_after(history, extra_days)
    aggregates: dict[str, RelationshipAggregate] = {}
    for event in chronological(history):
        agg = aggregates.setdefault(
            event.counterpart, RelationshipAggregate(counterpart=event.counterpart)
        )
        agg.add(epoch(event.at), event.direction, event.kind, event.text_len, CONFIG)
    streamed = RelationshipTable.from_aggregates(aggregates.values(), as_of, CONFIG)
    batch = aggregate(account_events(history), as_of, CONFIG)
    order = [batch.counterparts.index(name) for name in streamed.counterparts]
    for column in ("outbound", "inbound", "days_decayed"):
        np.testing.assert_allclose(
            getattr(streamed, column), getattr(batch, column)[order], rtol=1e-9, atol=1e-12
        )
    for column in ("active_days", "turns", "events", "vetoed", "kind_counts"):
        np.testing.assert_array_equal(getattr(streamed, column), getattr(batch, column)[order])
    np.testing.assert_allclose(streamed.last_at, batch.last_at[order])
    a = score_table(streamed, account=EGO, config=CONFIG, top=0)
    b = score_table(batch, account=EGO, config=CONFIG, top=0)
    assert math.isclose(a.score, b.score, abs_tol=0.011)
    assert a.genuine_connections == b.genuine_connections


# 7. Any input, including none, gives a finite score in [0, 100] and a reason for it.
@given(
    history=st.lists(interactions(), max_size=40),
    far=st.floats(min_value=0, max_value=365 * 30),
    audience=st.booleans(),
)
@settings(max_examples=150)
def test_any_input_gives_a_bounded_explained_score(
    history: list[Interaction], far: float, audience: bool
) -> None:
    config = CONFIG
    if audience:
        config = MetricConfig(audience=AudienceProfile(keywords=["python"]))
    report = score(history, as_of_after(history, far), config=config)
    assert math.isfinite(report.score)
    assert 0.0 <= report.score <= 100.0
    assert report.summary.startswith(f"Score {report.score:.0f}/100: ")
    assert len(report.summary) > len("Score 0/100: ")
    for name, component in report.components.items():
        assert 0.0 <= component.points <= component.max_points + 1e-9, name
        assert component.explanation


def test_no_events_at_all_is_a_zero_with_a_reason() -> None:
    report = score([], as_of_after([]))
    assert report.score == 0.0
    assert "no interactions" in report.summary
    assert report.relationships == []


def test_strength_is_continuous_under_tiny_time_shifts() -> None:
    """A guard on property 4's tolerance: moving as_of by a second changes nothing visible."""
    events = [
        _event("ann", Direction.OUT, Kind.REPLY, 1.7e9 + i * 86_400 * 3, f"e{i}", 50)
        for i in range(5)
    ]
    events += [
        _event("ann", Direction.IN, Kind.REPLY, 1.7e9 + i * 86_400 * 3 + 3600, f"f{i}", 50)
        for i in range(5)
    ]
    a = score(events, 1.7e9 + 20 * 86_400).score
    b = score(events, 1.7e9 + 20 * 86_400 + 1).score
    assert a >= b
    assert a - b < 0.01


def test_interaction_strategy_covers_every_kind() -> None:
    seen: set[Kind] = set()

    @given(interactions())
    @settings(max_examples=300)
    def collect(event: Interaction) -> None:
        seen.add(event.kind)

    collect()
    assert seen == set(Kind)
