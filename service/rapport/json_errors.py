"""What is wrong with a JSON text that does not parse, said in our words.

The standard library's messages are fragments meant to be followed by a position
("Unterminated string starting at: line 3 column 7 (char 41)"), and msgspec's change between
releases ("Input data was truncated", "JSON is malformed: invalid character (byte 12)"). A
person reading `rapport: error: ...` wants a whole sentence: was the file cut short, or is
something wrong at a place they can go and look at? Every reader of JSON input (events files,
export archives, config files) says it through `describe_json_error`.
"""

from __future__ import annotations

import json
import re

__all__ = ["describe_json_error", "describe_undecodable_json"]

#: The standard library's fixed messages (json.decoder, json.scanner), as clauses that end a
#: sentence; `{at}` is where the reader can look ("there", "at column 12").
_CLAUSES = {
    "Expecting value": "a value was expected {at}",
    "Expecting property name enclosed in double quotes": "a key in double quotes was expected {at}",
    "Expecting ':' delimiter": "a ':' was expected {at}, after the key",
    "Expecting ',' delimiter": "a ',' or a closing bracket was expected {at}",
    "Unterminated string starting at": "the string that starts {at} is never closed",
    "Invalid control character at": "a string holds an unescaped control character {at} "
    "(a tab or a line break must be written \\t or \\n)",
    "Invalid \\escape": "a string holds an invalid backslash escape {at}",
    "Invalid \\uXXXX escape": "a string holds an invalid \\uXXXX escape {at}",
    "Extra data": "more text follows the JSON value {at}",
    "Illegal trailing comma before end of object": "a comma {at} comes right before the "
    "closing brace",
    "Illegal trailing comma before end of array": "a comma {at} comes right before the "
    "closing bracket",
}

_MSGSPEC_OFFSET = re.compile(r"\(byte (\d+)\)")


def describe_json_error(text: str, error: json.JSONDecodeError, *, at: str = "there") -> str:
    """`truncated JSON: ...` when the text stops before its value is complete (a file cut
    short), else `malformed JSON: ...`; `at` names the error's position for the reader."""
    clause = _CLAUSES.get(error.msg)
    if clause is None:  # a message this table does not know yet: still one whole sentence
        clause = error.msg.removesuffix(" at").rstrip(":") + " {at}"
        clause = clause[:1].lower() + clause[1:]
    unterminated = error.msg.startswith("Unterminated string")
    truncated = unterminated or error.pos >= len(text.rstrip())
    return f"{'truncated' if truncated else 'malformed'} JSON: {clause.format(at=at)}"


def describe_undecodable_json(data: bytes, msgspec_message: str) -> str:
    """Why a line or a document that msgspec refused to decode is not JSON, found again with
    the standard library (off the happy path) so that the wording and the position are ours.

    Positions count characters from 1: a column on one line, a line and a column in a longer
    document. Where the standard library accepts what msgspec refused (NaN, Infinity),
    msgspec's byte offset still places the error.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text: {exc.reason} at byte offset {exc.start}"
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return describe_json_error(text, exc, at=_where(text, exc.pos))
    except RecursionError:
        return "malformed JSON: it is nested too deeply"
    match = _MSGSPEC_OFFSET.search(msgspec_message)
    if match is None:
        return "malformed JSON: it cannot be read as JSON"
    pos = len(data[: int(match.group(1))].decode("utf-8", errors="replace"))
    return f"malformed JSON: a value JSON does not allow (such as NaN) {_where(text, pos)}"


def _where(text: str, pos: int) -> str:
    line = text.count("\n", 0, pos) + 1
    column = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return f"at line {line}, column {column}" if "\n" in text.strip() else f"at column {column}"
