"""Reading normalised events and profiles from JSON Lines, with errors a person can act on.

A bad line stops the read with the file, the line and the field named ("events.jsonl:12: field
`kind`: invalid value 'hug' (expected one of like, repost, ...)"), because a score computed
from a silently skipped subset of someone's data would be a wrong score that looks right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import msgspec

from rapport.errors import EventsFileError
from rapport.model import Interaction, Profile
from rapport.validation import describe_validation_error

__all__ = ["read_events", "read_profiles"]

T = TypeVar("T")


def _read_lines(
    lines: Iterable[bytes], source: str, decode: Callable[[bytes], T]
) -> Iterator[tuple[int, T]]:
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        try:
            yield number, decode(line)
        except msgspec.ValidationError as exc:
            raise EventsFileError(source, number, describe_validation_error(exc)) from None
        except msgspec.DecodeError as exc:
            raise EventsFileError(source, number, _undecodable(line, str(exc))) from None
        except UnicodeDecodeError as exc:
            # msgspec before 0.23 raised this for invalid UTF-8 inside a string.
            raise EventsFileError(source, number, f"not UTF-8 text ({exc.reason})") from None


def _undecodable(line: bytes, detail: str) -> str:
    """Why a line is not JSON, in our words: msgspec's own wording changes between releases
    (0.23 reports invalid UTF-8 as a DecodeError), so the line is checked here, off the
    happy path."""
    try:
        line.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text ({exc.reason} at byte {exc.start})"
    return "the line is truncated" if "truncated" in detail else f"not a JSON object ({detail})"


def read_events(stream: Iterable[bytes], source: str) -> Iterator[Interaction]:
    """Yield the events of a JSON Lines stream, in file order; blank lines are skipped."""
    decoder = msgspec.json.Decoder(Interaction)
    for _number, event in _read_lines(stream, source, decoder.decode):
        yield event


def read_profiles(stream: Iterable[bytes], source: str) -> dict[tuple[str, str], Profile]:
    """Read a JSON Lines file of profiles, keyed by (platform, account); the last line wins."""
    decoder = msgspec.json.Decoder(Profile)
    return {(p.platform, p.account): p for _n, p in _read_lines(stream, source, decoder.decode)}
