"""Parsing the JavaScript files of an X data export.

Every data file of the export is one JavaScript assignment whose right-hand side is JSON:
`window.YTD.tweets.part0 = [ ... ]` for the data, `window.__THAR_CONFIG = { ... }` for
`manifest.js`. The files are read as text and the JSON after the `=` is decoded with the
standard library, because its errors carry the line and column that a user needs to find a
truncated or hand-edited spot; a real export never needs a JavaScript engine.
"""

from __future__ import annotations

import json
import re
from typing import Any

from service.errors import ArchiveError

__all__ = ["parse_assignment", "position_of"]

# `window.YTD.<type>.part<N> = ` or `window.__THAR_CONFIG = `, after optional whitespace/BOM.
_ASSIGNMENT = re.compile(r"\s*window\.(?:YTD\.[A-Za-z0-9_-]+\.part\d+|__THAR_CONFIG)\s*=\s*")


def position_of(text: str, index: int) -> str:
    """`line L, column C` (both 1-based) of the character at `index` of `text`."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def parse_assignment(text: str, *, archive: str, member: str) -> Any:
    """The JSON value assigned in one export file, or `ArchiveError` naming where it breaks.

    Only an optional `;` and whitespace may follow the value: anything else means the file
    was concatenated or edited, and a guess about what was meant would import wrong data.
    """
    match = _ASSIGNMENT.match(text)
    if match is None:
        raise ArchiveError(
            archive,
            "not an X export data file (expected `window.YTD.<type>.part<N> = [...]`)",
            member=member,
            position="line 1, column 1",
        )
    start = match.end()
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        what = "truncated" if exc.pos >= len(text.rstrip()) else "malformed"
        raise ArchiveError(
            archive, f"{what} JSON: {exc.msg}", member=member, position=position_of(text, exc.pos)
        ) from None
    except RecursionError:
        raise ArchiveError(
            archive, "JSON nested too deeply", member=member, position=position_of(text, start)
        ) from None
    rest = text[end:].strip()
    if rest not in ("", ";"):
        offset = end + (len(text[end:]) - len(text[end:].lstrip()))
        raise ArchiveError(
            archive,
            "unexpected content after the data",
            member=member,
            position=position_of(text, offset),
        )
    return value
