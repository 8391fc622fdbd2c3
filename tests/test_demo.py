"""The bundled demo, moved in time as a whole: events and profile dates by the same whole days,
so it tells the same story (the same rules, the same score) whatever day it is read."""

from __future__ import annotations

from datetime import timedelta

import pytest

from rapport.demo import DEMO_AS_OF, demo_shift, load_demo
from rapport.metric import ScoreReport, group_by_account, score_events

LATER = DEMO_AS_OF + timedelta(days=523, hours=13, minutes=7)


def _score(as_of_delta: timedelta) -> ScoreReport:
    as_of = DEMO_AS_OF + as_of_delta
    demo = load_demo(as_of)
    ((ref, events),) = group_by_account(demo.events).items()
    return score_events(
        events,
        as_of=as_of.timestamp(),
        profiles={a: p for (platform, a), p in demo.profiles.items() if platform == ref.platform},
    )


def test_the_shift_is_whole_days_and_never_backwards() -> None:
    assert demo_shift(DEMO_AS_OF) == timedelta(0)
    assert demo_shift(LATER) == timedelta(days=523)
    assert demo_shift(DEMO_AS_OF - timedelta(days=40)) == timedelta(0)


def test_events_and_profile_dates_move_together() -> None:
    original, moved = load_demo(), load_demo(LATER)
    assert moved.exported_at == DEMO_AS_OF + timedelta(days=523)
    assert [e.at + timedelta(days=523) for e in original.events] == [e.at for e in moved.events]
    dated = [k for k, p in original.profiles.items() if p.created_at is not None]
    assert dated
    for key in dated:
        before, after = original.profiles[key].created_at, moved.profiles[key].created_at
        assert before is not None
        assert after is not None
        assert after - before == timedelta(days=523)


def test_the_story_is_the_same_on_any_day() -> None:
    """`new_account` is the rule a shift of the events alone lost (the bot ring's accounts
    were made weeks before their first contact, not a year and a half)."""
    at_export, later = _score(timedelta(0)), _score(timedelta(days=523))
    fired = [r.rule for r in at_export.rules_fired]
    assert "new_account" in fired
    assert [r.rule for r in later.rules_fired] == fired
    assert later.score == pytest.approx(at_export.score, abs=1e-9)
