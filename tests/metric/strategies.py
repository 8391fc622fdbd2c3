"""Hypothesis strategies for interaction histories of one ego, and helpers to score them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st

from rapport.metric import AccountEvents, MetricConfig, ScoreReport, score_events
from rapport.metric.decay import epoch
from rapport.model import AccountRef, Direction, Interaction, Kind

EGO = AccountRef("test", "ego")
T0 = datetime(2024, 1, 1, tzinfo=UTC)
HORIZON_DAYS = 400
COUNTERPARTS = ["ann", "bob", "cy", "dee"]


@st.composite
def interactions(draw: st.DrawFn, counterparts: list[str] | None = None) -> Interaction:
    """One event of the ego, anywhere in a 400-day window, of any kind."""
    names = counterparts or COUNTERPARTS
    offset = draw(st.integers(min_value=0, max_value=HORIZON_DAYS * 86_400))
    return Interaction(
        platform=EGO.platform,
        ego=EGO.account,
        counterpart=draw(st.sampled_from(names)),
        direction=draw(st.sampled_from(list(Direction))),
        kind=draw(st.sampled_from(list(Kind))),
        at=T0 + timedelta(seconds=offset),
        event_id=f"e{draw(st.integers(min_value=0, max_value=10**9))}",
        text_len=draw(st.none() | st.integers(min_value=0, max_value=400)),
    )


def histories(max_size: int = 60) -> st.SearchStrategy[list[Interaction]]:
    """Event lists with unique event ids (duplicates are a separate property)."""
    return st.lists(interactions(), max_size=max_size, unique_by=lambda e: e.event_id)


def as_of_after(events: list[Interaction], extra_days: float = 0.0) -> float:
    latest = max((epoch(e.at) for e in events), default=epoch(T0))
    return latest + extra_days * 86_400


def account_events(events: list[Interaction]) -> AccountEvents:
    bucket = AccountEvents(EGO)
    for event in events:
        bucket.add(event)
    return bucket


def score(
    events: list[Interaction], as_of: float, config: MetricConfig | None = None, **kw: object
) -> ScoreReport:
    return score_events(account_events(events), as_of=as_of, config=config, **kw)  # type: ignore[arg-type]


def chronological(events: list[Interaction]) -> list[Interaction]:
    """The order a live stream delivers: by time, an answer after what it answers."""
    return sorted(events, key=lambda e: (e.at, e.direction != Direction.OUT))
