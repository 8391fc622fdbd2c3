"""What each source of an account's data reported missing, kept with the account.

A connector says what it could not read: an export archive has no likes received, a token may
not read direct messages. That report is part of the score's explanation for as long as the
data it describes is what the account is built from, so it is stored per account and per
source (`archive` for an uploaded export, `api` for a refresh through the platform's API) and
read into every score document (`rapport.storage.scores.compute`).

Per source, the latest report replaces the one before: an export archive holds the account's
whole history up to its date, and a refresh asks every endpoint the connector reads, so what
the newer import lacked is what the account lacks from that source. Reports of different
sources are kept side by side: a refresh does not erase what the archive lacked, and the other
way round.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

import msgspec
from redis.asyncio import Redis

from rapport.model import AccountRef, MissingData
from rapport.storage import keys
from rapport.storage._redis import aw
from rapport.storage.records import AccountRecord, SourceReport, decode, encode

__all__ = [
    "API",
    "ARCHIVE",
    "SOURCES",
    "data_end",
    "get_all",
    "labelled",
    "merged_missing",
    "put",
    "why_scores_differ",
]

ARCHIVE = "archive"
API = "api"
#: Every source, in the order their notes are listed.
SOURCES = (ARCHIVE, API)
#: Scores dated closer than this are one score: no second figure, no explanation.
_SAME_DAY_SECONDS = 86_400.0


def labelled(notes: Iterable[MissingData], source: str) -> list[MissingData]:
    """The notes of one import, each naming its source, one per data item (a connector may
    report the same item on several pages of a refresh: the last one says it best)."""
    by_data = {note.data: msgspec.structs.replace(note, source=source) for note in notes}
    return list(by_data.values())


async def put(redis: Redis, tenant: str, ref: AccountRef, report: SourceReport) -> None:
    """Keep `report` as the latest of its source for the account (replacing the previous)."""
    if report.source not in SOURCES:
        raise ValueError(f"unknown source {report.source!r}: expected one of {SOURCES}")
    kept = msgspec.structs.replace(report, missing=labelled(report.missing, report.source))
    key = keys.AccountKeys(tenant, ref.platform, ref.account).sources
    await aw(redis.hset(key, mapping={report.source: encode(kept)}))


async def get_all(redis: Redis, tenant: str, ref: AccountRef) -> dict[str, SourceReport]:
    """The latest report of each source that reported, in `SOURCES` order."""
    key = keys.AccountKeys(tenant, ref.platform, ref.account).sources
    raws: list[bytes | None] = await aw(redis.hmget(key, list(SOURCES)))
    return {
        source: decode(raw, SourceReport)
        for source, raw in zip(SOURCES, raws, strict=True)
        if raw is not None
    }


def merged_missing(reports: dict[str, SourceReport]) -> list[MissingData]:
    """Every source's notes, archive first, each labelled with its source."""
    return [note for source in SOURCES if source in reports for note in reports[source].missing]


def data_end(record: AccountRecord | None, reports: dict[str, SourceReport]) -> float | None:
    """The instant the account's data reaches: its newest event, or an archive's own date when
    that is later (an export is complete up to the day it was made, events or not)."""
    archive = reports.get(ARCHIVE)
    candidates = [
        value
        for value in (
            None if record is None else record.newest_event_at,
            None if archive is None else archive.data_until,
        )
        if value is not None
    ]
    return max(candidates) if candidates else None


def _day(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d")


def why_scores_differ(end: float | None, at_end: float, as_of: float, now: float) -> str | None:
    """The sentence shown next to the two scores (`at_end` as of `end`, the data's end, and
    `now` as of `as_of`) when the data ends at least a day before the current score's date;
    None otherwise."""
    if end is None or as_of - end < _SAME_DAY_SECONDS:
        return None
    head = f"Your data ends on {_day(end)}; relationships fade without contact"
    if round(now, 1) == round(at_end, 1):
        return (
            f"{head}, though none this score counts has faded enough by {_day(as_of)} to move it."
        )
    moved = "is lower than" if now < at_end else "differs from"
    return (
        f"{head}, which is why the score as of {_day(as_of)} {moved} the score as of {_day(end)}."
    )
