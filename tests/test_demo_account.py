"""`rapport up --demo`'s account: loaded month by month through the service's own storage, so
its history has months of points, and its score is the offline demo's at the same as_of."""

from __future__ import annotations

from datetime import timedelta

import pytest
from redis.asyncio import Redis

from rapport.demo import load_demo
from rapport.demo_account import HISTORY_STEP, history_cuts, load_demo_account
from rapport.metric import MetricConfig, group_by_account, score_events
from rapport.metric.decay import from_epoch
from rapport.model import AccountRef
from rapport.settings import Settings
from rapport.storage import accounts, scores

pytestmark = pytest.mark.anyio
NOW = 1_796_222_808.25  # some afternoon in December 2026
ADA = AccountRef("mastodon", "ada@example.social")
CONFIG = MetricConfig()


def test_cuts_step_back_from_the_export_and_stop_at_the_first_event() -> None:
    step = HISTORY_STEP.total_seconds()
    assert history_cuts(0.0, 3.5 * step) == [0.5 * step, 1.5 * step, 2.5 * step]
    assert history_cuts(0.0, 3 * step) == [step, 2 * step]  # not at the first event itself
    assert history_cuts(0.0, step) == []


async def test_the_demo_account_has_months_of_plausible_history(redis: Redis) -> None:
    loaded = await load_demo_account(redis, "default", now=NOW, config=CONFIG, settings=Settings())
    demo = load_demo(from_epoch(NOW))
    assert loaded == len(demo.events)
    points = await scores.history(redis, "default", ADA)
    assert len(points) >= 6
    as_of = [p.as_of for p in points]
    assert as_of == sorted(set(as_of), reverse=True)  # distinct, newest first
    assert as_of[0] == NOW
    span = as_of[0] - as_of[-1]
    assert span >= 5 * HISTORY_STEP.total_seconds()  # months, not minutes
    assert all(30 < p.score < 90 for p in points)  # a mixed network, every month
    assert all(p.genuine_connections >= 5 for p in points)
    current = await scores.get_current(redis, "default", ADA)
    assert current is not None
    assert current.score == points[0].score
    first, last = min(demo.events, key=lambda e: e.at), max(demo.events, key=lambda e: e.at)
    assert first.at.timestamp() < as_of[-1] < last.at.timestamp()
    record = await accounts.get(redis, "default", ADA)
    assert record is not None
    assert record.events == len(demo.events)


async def test_the_stored_score_is_the_offline_demo_at_the_same_as_of(redis: Redis) -> None:
    await load_demo_account(redis, "default", now=NOW, config=CONFIG, settings=Settings())
    stored = await scores.get_current(redis, "default", ADA)
    demo = load_demo(from_epoch(NOW))
    offline = score_events(
        group_by_account(demo.events)[ADA],
        as_of=NOW,
        config=CONFIG,
        profiles={a: p for (_, a), p in demo.profiles.items()},
    )
    assert stored is not None
    assert [r.rule for r in stored.rules_fired] == [r.rule for r in offline.rules_fired]
    assert [r.accounts for r in stored.rules_fired] == [r.accounts for r in offline.rules_fired]
    assert "new_account" in [r.rule for r in stored.rules_fired]
    assert stored.score == offline.score


async def test_loading_it_again_changes_nothing(redis: Redis) -> None:
    await load_demo_account(redis, "default", now=NOW, config=CONFIG, settings=Settings())
    before = await scores.history(redis, "default", ADA)
    later = NOW + timedelta(days=3).total_seconds()
    again = await load_demo_account(redis, "default", now=later, config=CONFIG, settings=Settings())
    assert again == 0
    assert await scores.history(redis, "default", ADA) == before
