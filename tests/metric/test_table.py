"""Batch aggregation into a relationship table: dedup, the as_of cut, empty input."""

from __future__ import annotations

from rapport.metric import AccountEvents, MetricConfig, aggregate, group_by_account
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef, Direction, Interaction, Kind

T0 = 1_700_000_000.0
DAY = 86_400.0


def event(
    ego: str, who: str, at: float, event_id: str, kind: Kind = Kind.LIKE, platform: str = "x"
) -> Interaction:
    return Interaction(
        platform=platform,
        ego=ego,
        counterpart=who,
        direction=Direction.IN,
        kind=kind,
        at=from_epoch(at),
        event_id=event_id,
    )


def test_group_by_account_splits_platforms_and_egos_and_drops_duplicates() -> None:
    events = [
        event("a", "b", T0, "1"),
        event("a", "b", T0, "1"),  # the same event twice
        event("b", "a", T0, "1"),  # the same message seen by the other tracked account
        event("a", "b", T0, "1", platform="y"),
    ]
    accounts = group_by_account(events)
    assert set(accounts) == {AccountRef("x", "a"), AccountRef("x", "b"), AccountRef("y", "a")}
    assert len(accounts[AccountRef("x", "a")]) == 1
    assert accounts[AccountRef("x", "a")].duplicates == 1


def test_events_after_as_of_are_left_out() -> None:
    bucket = AccountEvents(AccountRef("x", "a"))
    bucket.add(event("a", "past", T0, "1"))
    bucket.add(event("a", "future", T0 + DAY, "2"))
    table = aggregate(bucket, T0 + 60, MetricConfig())
    assert table.counterparts == ["past"]
    assert bucket.latest() == T0 + DAY


def test_empty_input_gives_an_empty_table() -> None:
    table = aggregate(AccountEvents(AccountRef("x", "a")), T0, MetricConfig())
    assert len(table) == 0
    assert table.outbound.dtype.kind == "f"


def test_veto_only_relationship_has_no_times() -> None:
    bucket = AccountEvents(AccountRef("x", "a"))
    bucket.add(event("a", "spam", T0, "1", kind=Kind.REPORT))
    table = aggregate(bucket, T0 + 1, MetricConfig())
    assert table.vetoed.tolist() == [True]
    assert table.events.tolist() == [1]
    assert str(table.last_at[0]) == "nan"
