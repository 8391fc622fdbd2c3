"""Parsing the JavaScript files of an X data export.

Every data file of the export is one JavaScript assignment whose right-hand side is JSON:
`window.YTD.tweets.part0 = [ ... ]` for the data, `window.__THAR_CONFIG = { ... }` for
`manifest.js`. No JavaScript engine is needed: the prefix is matched and the rest decoded.

Two decoders, for two reasons. msgspec decodes straight into the typed structs, skipping the
fields Rapport does not read, so a `tweets.js` of hundreds of megabytes does not become
gigabytes of Python dicts. When msgspec refuses a file, the standard library decodes it again:
it accepts what msgspec does not (an escaped lone surrogate, as old tweets truncated mid-emoji
hold), and when the file really is broken its error carries the line and column a user needs
to find the truncated or hand-edited spot.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import msgspec

from rapport.errors import ArchiveError
from rapport.json_errors import describe_json_error

__all__ = ["decode_items", "decode_value", "parse_assignment", "position_of"]

T = TypeVar("T")

# `window.YTD.<type>.part<N> = ` or `window.__THAR_CONFIG = `, after optional whitespace.
_ASSIGNMENT = re.compile(r"\s*window\.(?:YTD\.[A-Za-z0-9_-]+\.part\d+|__THAR_CONFIG)\s*=\s*")
_LIST_OF_RAW = list[msgspec.Raw]
_BOX = dict[str, msgspec.Raw]


def position_of(text: str, index: int) -> str:
    """`line L, column C` (both 1-based) of the character at `index` of `text`."""
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"line {line}, column {column}"


def _body_start(text: str, archive: str, member: str) -> int:
    match = _ASSIGNMENT.match(text)
    if match is None:
        raise ArchiveError(
            archive,
            "not an X export data file (expected `window.YTD.<type>.part<N> = [...]`)",
            member=member,
            position="line 1, column 1",
        )
    return match.end()


def parse_assignment(text: str, *, archive: str, member: str) -> Any:
    """The JSON value assigned in one export file (standard library), or `ArchiveError`
    naming the line and column where it breaks.

    Only an optional `;` and whitespace may follow the value: anything else means the file
    was concatenated or edited, and a guess about what was meant would import wrong data.
    """
    start = _body_start(text, archive, member)
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            archive,
            describe_json_error(text, exc),
            member=member,
            position=position_of(text, exc.pos),
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


def _body(text: str, start: int) -> str:
    body = text[start:].rstrip()
    return body[:-1] if body.endswith(";") else body


def _unwrap(item: Any) -> Any:
    """`{"tweet": {...}}` -> `{...}`; older exports (`tweet.js`) hold the bare object."""
    if isinstance(item, dict) and len(item) == 1:
        (inner,) = item.values()
        if isinstance(inner, dict):
            return inner
    return item


def _unwrap_raw(raw: msgspec.Raw) -> msgspec.Raw:
    """The same unboxing on an undecoded item: only its top-level keys are looked at."""
    if bytes(memoryview(raw)[:1]) != b"{":
        return raw
    box = msgspec.json.decode(raw, type=_BOX)
    if len(box) == 1:
        (inner,) = box.values()
        if bytes(memoryview(inner)[:1]) == b"{":
            return inner
    return raw


def _not_a_list(archive: str, member: str, value: Any) -> ArchiveError:
    return ArchiveError(
        archive,
        f"expected a list of items, found {type(value).__name__}",
        member=member,
        position="line 1",
    )


def _too_deep(
    archive: str, member: str, text: str, start: int, position: str | None = None
) -> ArchiveError:
    """msgspec recurses once per nesting level too (RecursionError, not DecodeError)."""
    where = position or position_of(text, start)
    return ArchiveError(archive, "JSON nested too deeply", member=member, position=where)


def decode_items(text: str, type_: type[T], *, archive: str, member: str) -> list[T]:
    """The items of one `window.YTD.<type>.partN = [...]` file, each unboxed from its
    `{"<type>": {...}}` wrapper and decoded as `type_`.

    A broken file raises `ArchiveError` with its line and column; an item of the wrong shape
    raises it with `item N` (1-based) and the field at fault.
    """
    start = _body_start(text, archive, member)
    try:
        raws = msgspec.json.decode(_body(text, start), type=_LIST_OF_RAW)
    except RecursionError:
        raise _too_deep(archive, member, text, start) from None
    except msgspec.ValidationError:
        value = parse_assignment(text, archive=archive, member=member)
        raise _not_a_list(archive, member, value) from None
    except msgspec.DecodeError:
        return _decode_items_slowly(text, type_, archive=archive, member=member)
    items = []
    for index, raw in enumerate(raws, start=1):
        try:
            items.append(msgspec.json.decode(_unwrap_raw(raw), type=type_))
        except RecursionError:
            raise _too_deep(archive, member, text, start, f"item {index}") from None
        except msgspec.ValidationError as exc:
            raise ArchiveError(
                archive, f"unexpected item: {exc}", member=member, position=f"item {index}"
            ) from None
        except msgspec.DecodeError:
            return _decode_items_slowly(text, type_, archive=archive, member=member)
    return items


def _decode_items_slowly(text: str, type_: type[T], *, archive: str, member: str) -> list[T]:
    value = parse_assignment(text, archive=archive, member=member)
    if not isinstance(value, list):
        raise _not_a_list(archive, member, value)
    items = []
    for index, item in enumerate(value, start=1):
        try:
            items.append(msgspec.convert(_unwrap(item), type_))
        except msgspec.ValidationError as exc:
            raise ArchiveError(
                archive, f"unexpected item: {exc}", member=member, position=f"item {index}"
            ) from None
    return items


def decode_value(text: str, type_: type[T], *, archive: str, member: str) -> T:
    """The single value of an assignment (`manifest.js`), decoded as `type_`."""
    start = _body_start(text, archive, member)
    try:
        return msgspec.json.decode(_body(text, start), type=type_)
    except RecursionError:
        raise _too_deep(archive, member, text, start) from None
    except msgspec.ValidationError as exc:
        raise ArchiveError(archive, f"unexpected content: {exc}", member=member) from None
    except msgspec.DecodeError:
        value = parse_assignment(text, archive=archive, member=member)
    try:
        return msgspec.convert(value, type_)
    except msgspec.ValidationError as exc:
        raise ArchiveError(archive, f"unexpected content: {exc}", member=member) from None
