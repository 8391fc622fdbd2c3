"""The counts an import job reports, and the sentence that says them."""

from __future__ import annotations

from rapport.jobs.outcome import Refusal, counts_of
from rapport.storage.ingest import AHEAD_OF_CLOCK, REFUSALS, IngestResult

EARLIER = "from an earlier upload"


def test_new_events_with_duplicates_and_refusals_say_each_count_and_reason() -> None:
    result = IngestResult(accepted=12, duplicates=3, refused={AHEAD_OF_CLOCK: 2})
    counts = counts_of(result, what="archive", earlier=EARLIER)
    assert (counts.read, counts.stored, counts.duplicates) == (17, 12, 3)
    assert counts.refused == [
        Refusal(reason=AHEAD_OF_CLOCK, count=2, explanation=REFUSALS[AHEAD_OF_CLOCK])
    ]
    assert counts.message == (
        "Read 17 events: 12 new events stored, 3 already there (from an earlier upload), "
        "2 refused (reasons below)."
    )


def test_nothing_new_says_every_event_was_already_there() -> None:
    many = counts_of(IngestResult(duplicates=1200), what="archive", earlier=EARLIER)
    assert many.message.startswith("Nothing new: all 1,200 events of this archive were already")
    counts = counts_of(IngestResult(duplicates=1), what="archive", earlier=EARLIER)
    assert counts.message == (
        "Nothing new: the one event of this archive was already stored (from an earlier upload)."
    )
    empty = counts_of(IngestResult(), what="refresh", earlier=EARLIER)
    assert (empty.read, empty.message) == (0, "The refresh held no events.")
