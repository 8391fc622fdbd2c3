"""Reading normalised events and profiles from JSON Lines, with errors a person can act on.

A bad line stops the read with the file, the line and the field named ("events.jsonl:12: field
`kind`: invalid value 'hug' (expected one of like, repost, ...)", "events.jsonl:40: truncated
JSON: the string that starts at column 61 is never closed"), because a score computed from a
silently skipped subset of someone's data would be a wrong score that looks right.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

import msgspec

from rapport.errors import EventsFileError
from rapport.json_errors import describe_undecodable_json
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
        except (msgspec.DecodeError, UnicodeDecodeError) as exc:
            # msgspec before 0.23 raised UnicodeDecodeError for invalid UTF-8 in a string.
            raise EventsFileError(
                source, number, describe_undecodable_json(line, str(exc))
            ) from None


def read_events(stream: Iterable[bytes], source: str) -> Iterator[Interaction]:
    """Yield the events of a JSON Lines stream, in file order; blank lines are skipped."""
    decoder = msgspec.json.Decoder(Interaction)
    for _number, event in _read_lines(stream, source, decoder.decode):
        yield event


def read_profiles(stream: Iterable[bytes], source: str) -> dict[tuple[str, str], Profile]:
    """Read a JSON Lines file of profiles, keyed by (platform, account); the last line wins."""
    decoder = msgspec.json.Decoder(Profile)
    return {(p.platform, p.account): p for _n, p in _read_lines(stream, source, decoder.decode)}
