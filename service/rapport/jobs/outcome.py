"""What an import job (an uploaded archive, a refresh) says it did, in counts that explain
themselves: events read, stored, already there, and refused with the reason for each refusal,
plus one sentence a person can read. The job page shows the same fields the API returns."""

from __future__ import annotations

import msgspec

from rapport.storage.ingest import REFUSALS, IngestResult

__all__ = ["ImportCounts", "Refusal", "counts_of"]


class Refusal(msgspec.Struct, kw_only=True, frozen=True):
    """Events not counted for one reason (`reason` is a stable code, `explanation` says it)."""

    reason: str
    count: int
    explanation: str


class ImportCounts(msgspec.Struct, kw_only=True):
    """`read` = `stored` + `duplicates` + the refused counts."""

    read: int
    stored: int
    duplicates: int
    refused: list[Refusal]
    message: str


def _plural(n: int, word: str) -> str:
    return f"{n:,} {word}{'' if n == 1 else 's'}"


def _message(result: IngestResult, what: str, earlier: str) -> str:
    read, stored, duplicates = result.read, result.accepted, result.duplicates
    refused = sum(result.refused.values())
    if read == 0:
        return f"The {what} held no events."
    if stored == 0 and refused == 0:
        every = (
            f"the one event of this {what} was"
            if read == 1
            else f"all {read:,} events of this {what} were"
        )
        return f"Nothing new: {every} already stored ({earlier})."
    parts = [f"{_plural(stored, 'new event')} stored"]
    if duplicates:
        parts.append(f"{duplicates:,} already there ({earlier})")
    if refused:
        parts.append(f"{refused:,} refused (reasons below)")
    return f"Read {_plural(read, 'event')}: " + ", ".join(parts) + "."


def counts_of(result: IngestResult, *, what: str, earlier: str) -> ImportCounts:
    """The counts of an ingest, explained; `what` names the import ("archive", "refresh") and
    `earlier` where duplicates came from."""
    return ImportCounts(
        read=result.read,
        stored=result.accepted,
        duplicates=result.duplicates,
        refused=[
            Refusal(reason=reason, count=count, explanation=REFUSALS[reason])
            for reason, count in result.refused.items()
        ],
        message=_message(result, what, earlier),
    )
