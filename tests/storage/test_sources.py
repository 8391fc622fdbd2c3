"""What each source reported missing, kept per account on the real Redis: labelled, replaced
by the same source only, read into every score document; where the data ends, and the
sentence that explains two scores."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis

from rapport.metric import MetricConfig
from rapport.model import AccountRef, MissingData
from rapport.storage import scores, sources
from rapport.storage.ingest import ingest
from rapport.storage.records import AccountRecord, SourceReport
from tests.storage.conftest import T0, conversation

pytestmark = pytest.mark.anyio
ALICE = AccountRef("mastodon", "alice")
NOW = 1_900_000_000.0


def _report(source: str, *data: str, until: float | None = None) -> SourceReport:
    return SourceReport(
        source=source,
        reported_at=NOW,
        data_until=until,
        missing=[MissingData(data=d, effect=f"no {d}") for d in data],
    )


async def test_each_source_replaces_only_its_own_report(redis: Redis) -> None:
    await sources.put(redis, "acme", ALICE, _report("api", "direct messages", "likes"))
    await sources.put(redis, "acme", ALICE, _report("archive", "likes", "followers"))
    merged = sources.merged_missing(await sources.get_all(redis, "acme", ALICE))
    assert [(m.source, m.data) for m in merged] == [
        ("archive", "likes"),
        ("archive", "followers"),
        ("api", "direct messages"),
        ("api", "likes"),
    ]
    await sources.put(redis, "acme", ALICE, _report("api", "likes"))  # DMs readable now
    merged = sources.merged_missing(await sources.get_all(redis, "acme", ALICE))
    assert [(m.source, m.data) for m in merged] == [
        ("archive", "likes"),
        ("archive", "followers"),
        ("api", "likes"),
    ]
    assert await sources.get_all(redis, "other", ALICE) == {}  # another tenant's account


async def test_an_unknown_source_is_refused(redis: Redis) -> None:
    with pytest.raises(ValueError, match="unknown source 'upload'"):
        await sources.put(redis, "acme", ALICE, _report("upload", "x"))


async def test_every_score_document_lists_the_stored_notes(redis: Redis) -> None:
    config = MetricConfig()
    await ingest(
        redis,
        "acme",
        conversation(40),
        now=NOW,
        config=config,
        max_ids=1_000_000,
        events_retention_days=3650,
    )
    await sources.put(redis, "acme", ALICE, _report("archive", "likes received"))
    _, stored = await scores.refresh(redis, "acme", ALICE, now=NOW, config=config, history_len=5)
    past = await scores.compute(
        redis, "acme", ALICE, now=NOW, config=config, as_of=T0.timestamp() + 3600
    )
    for report in (stored, past):
        notes = [(m.source, m.data) for m in report.missing]
        assert notes[0] == ("archive", "likes received")
        assert ("archive", "likes received") not in notes[1:]  # listed once
    (summary,) = await scores.summaries(redis, "acme", [ALICE])
    assert summary is not None
    assert summary.missing == [m.data for m in stored.missing]


def test_the_data_ends_at_the_newest_event_or_the_archives_own_date() -> None:
    record = AccountRecord(
        platform="mastodon", account="alice", tracked_at=NOW, newest_event_at=100.0
    )
    assert sources.data_end(None, {}) is None
    assert sources.data_end(record, {}) == 100.0
    assert sources.data_end(record, {"archive": _report("archive", until=250.0)}) == 250.0
    assert sources.data_end(record, {"archive": _report("archive", until=50.0)}) == 100.0


def test_the_sentence_says_why_two_scores_differ_and_only_when_they_are_days_apart() -> None:
    end = datetime(2024, 8, 21, 10, tzinfo=UTC).timestamp()
    later = datetime(2026, 12, 2, tzinfo=UTC).timestamp()
    assert sources.why_scores_differ(end, 36.6, end + 3600, 36.0) is None
    assert sources.why_scores_differ(None, 36.6, later, 15.0) is None
    assert sources.why_scores_differ(end, 36.6, later, 15.0) == (
        "Your data ends on 2024-08-21; relationships fade without contact, which is why the "
        "score as of 2026-12-02 is lower than the score as of 2024-08-21."
    )
    assert sources.why_scores_differ(end, 20.82, later, 20.8) == (
        "Your data ends on 2024-08-21; relationships fade without contact, though none this "
        "score counts has faded enough by 2026-12-02 to move it."
    )
