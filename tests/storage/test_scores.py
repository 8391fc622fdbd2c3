"""Scores computed from stored aggregates, the current document, the bounded history, and a
past `as_of` recomputed from the kept raw events."""

from __future__ import annotations

import asyncio
from collections import Counter

import msgspec
import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig, ScoreReport, group_by_account, score_events
from rapport.model import AccountRef
from rapport.storage import keys, scores
from rapport.storage.ingest import ingest
from tests.storage.conftest import conversation

pytestmark = pytest.mark.anyio
NOW = 1_800_000_000.0
ALICE = AccountRef("mastodon", "alice")
CONFIG = MetricConfig()


async def _load(redis: Redis, count: int = 120) -> None:
    await ingest(
        redis,
        "acme",
        conversation(count),
        now=NOW,
        config=CONFIG,
        max_ids=1_000_000,
        events_retention_days=3650,
    )


async def test_stored_score_matches_the_batch_metric(redis: Redis) -> None:
    events = conversation(120)
    await _load(redis)
    as_of = events[-1].at.timestamp() + 3600
    report = await scores.compute(redis, "acme", ALICE, now=NOW, config=CONFIG, as_of=as_of)
    batch = score_events(group_by_account(events)[ALICE], as_of=as_of, config=CONFIG)
    assert report.score == pytest.approx(batch.score, abs=1e-6)
    assert report.genuine_connections == batch.genuine_connections
    assert report.score > 0


async def test_refresh_stores_current_and_bounded_history(redis: Redis) -> None:
    await _load(redis)
    assert await scores.get_current(redis, "acme", ALICE) is None
    previous, report = await scores.refresh(
        redis, "acme", ALICE, now=NOW, config=CONFIG, history_len=3
    )
    assert previous is None
    assert await scores.get_current(redis, "acme", ALICE) == report
    for i in range(5):
        previous, _ = await scores.refresh(
            redis, "acme", ALICE, now=NOW + i, config=CONFIG, history_len=3
        )
        assert previous == report.score
    points = await scores.history(redis, "acme", ALICE)
    assert [p.computed_at for p in points] == [NOW + 4, NOW + 3, NOW + 2]
    assert await scores.get_current(redis, "other", ALICE) is None


async def test_past_as_of_is_recomputed_from_raw_events(redis: Redis) -> None:
    events = conversation(120)
    await _load(redis)
    middle = events[60].at.timestamp()
    report = await scores.compute(redis, "acme", ALICE, now=NOW, config=CONFIG, as_of=middle)
    batch = score_events(group_by_account(events)[ALICE], as_of=middle, config=CONFIG)
    assert report.score == pytest.approx(batch.score, abs=1e-9)
    assert not any("retention" in m.data for m in report.missing)


async def test_past_as_of_reports_events_lost_to_retention(redis: Redis) -> None:
    events = conversation(40)
    await ingest(
        redis,
        "acme",
        events,
        now=NOW,
        config=CONFIG,
        max_ids=1_000_000,
        events_retention_days=1,  # every test event is older than a day before NOW
    )
    report = await scores.compute(
        redis, "acme", ALICE, now=NOW, config=CONFIG, as_of=events[20].at.timestamp()
    )
    assert report.relationships_total == 0
    assert any("40 raw events older than the retention window" in m.data for m in report.missing)


async def test_get_many_keeps_order_and_marks_missing(redis: Redis) -> None:
    await _load(redis)
    await scores.refresh(redis, "acme", ALICE, now=NOW, config=CONFIG, history_len=3)
    nobody = AccountRef("mastodon", "nobody")
    got = await scores.get_many(redis, "acme", [nobody, ALICE, nobody])
    assert got[0] is None
    assert got[2] is None
    assert got[1] is not None
    assert got[1].ego == "alice"


async def test_concurrent_refreshes_chain_and_keep_the_newest_data(redis: Redis) -> None:
    """Found by bench/soak.py: two ingests of one account at once each read the same previous
    score, so both webhook deliveries said "from S0", and the later write could store a score
    computed before the other's events landed. Each refresh must replace exactly the score it
    read, from the data as it is when it writes."""
    events = conversation(160)

    async def ingest_then_refresh(chunk: int) -> tuple[float | None, float]:
        await ingest(
            redis,
            "acme",
            events[chunk * 20 : (chunk + 1) * 20],
            now=NOW,
            config=CONFIG,
            max_ids=1_000_000,
            events_retention_days=3650,
        )
        previous, report = await scores.refresh(
            redis, "acme", ALICE, now=NOW, config=CONFIG, history_len=100
        )
        return previous, report.score

    changes = await asyncio.gather(*(ingest_then_refresh(chunk) for chunk in range(8)))
    stored = await scores.get_current(redis, "acme", ALICE)
    assert stored is not None
    fresh = await scores.compute(redis, "acme", ALICE, now=NOW, config=CONFIG)
    assert stored.score == fresh.score
    # One chain None -> ... -> stored: every score but the last is some later change's previous.
    previous = Counter(p for p, _ in changes)
    assert previous == Counter([None, *(s for _, s in changes)]) - Counter([stored.score])


async def test_a_document_an_earlier_metric_version_stored_is_replaced_not_a_failure(
    redis: Redis,
) -> None:
    """1.1 renamed the evidence fields (`in` became `volume_in_decayed`, ...): a 1.0 document
    left in Redis by an upgrade reads as not scored yet, and the next refresh replaces it and
    still reports the old number as the previous score (webhooks say "from 42.5")."""
    await _load(redis)
    _, report = await scores.refresh(redis, "acme", ALICE, now=NOW, config=CONFIG, history_len=3)
    old = msgspec.to_builtins(report)
    old["metric_version"], old["score"] = "1.0", 42.5
    for relationship in old["relationships"]:
        relationship["in"] = relationship.pop("volume_in_decayed")
        relationship["out"] = relationship.pop("volume_out_decayed")
    key = keys.AccountKeys("acme", ALICE.platform, ALICE.account).score
    await redis.set(key, msgspec.msgpack.encode(old))
    with pytest.raises(msgspec.ValidationError):  # the shape this test stands for
        msgspec.msgpack.decode(await redis.get(key), type=ScoreReport)

    assert await scores.get_current(redis, "acme", ALICE) is None
    assert await scores.get_many(redis, "acme", [ALICE]) == [None]
    previous, fresh = await scores.refresh(
        redis, "acme", ALICE, now=NOW + 1, config=CONFIG, history_len=3
    )
    assert previous == 42.5
    assert await scores.get_current(redis, "acme", ALICE) == fresh
