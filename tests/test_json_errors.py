"""Every way a JSON text can fail to parse ends in a whole sentence in our words: truncated or
malformed, what is wrong, and where (no "Unterminated string starting at")."""

from __future__ import annotations

import json
import re

import msgspec
import pytest

from rapport.json_errors import describe_json_error, describe_undecodable_json

# (text, what the standard library says, what we say)
CASES = [
    ('{"a": "b', "Unterminated string starting at", "truncated JSON: the string that starts there"),
    ('{"a": ', "Expecting value", "truncated JSON: a value was expected there"),
    ('{"a": 1', "Expecting ',' delimiter", "truncated JSON: a ',' or a closing bracket"),
    ('{"a" 1}', "Expecting ':' delimiter", "malformed JSON: a ':' was expected there"),
    ("{a: 1}", "Expecting property name", "malformed JSON: a key in double quotes was expected"),
    ('{"a": "\x01"}', "Invalid control character at", "malformed JSON: a string holds an"),
    ('{"a": "\\q"}', "Invalid \\escape", "malformed JSON: a string holds an invalid backslash"),
    ('{"a": "\\u12"}', "Invalid \\uXXXX escape", "malformed JSON: a string holds an invalid \\u"),
    ('{"a": 1} x', "Extra data", "malformed JSON: more text follows the JSON value there"),
    ("[1 2]", "Expecting ',' delimiter", "malformed JSON: a ',' or a closing bracket was"),
]


def decode_error(text: str) -> json.JSONDecodeError:
    with pytest.raises(json.JSONDecodeError) as caught:
        json.loads(text)
    return caught.value


@pytest.mark.parametrize(("text", "stdlib", "ours"), CASES)
def test_each_standard_library_message_in_our_words(text: str, stdlib: str, ours: str) -> None:
    error = decode_error(text)
    assert error.msg.startswith(stdlib)
    described = describe_json_error(text, error)
    assert described.startswith(ours)
    assert error.msg not in described
    assert not re.search(r"(\bat|:)$", described)


def test_a_message_not_in_the_table_still_reads_whole() -> None:
    error = json.JSONDecodeError("Unpaired surrogate at", "x", 0)
    assert describe_json_error("xy", error) == "malformed JSON: unpaired surrogate there"


@pytest.mark.parametrize(
    ("data", "ours"),
    [
        (b'{"a": "b', "truncated JSON: the string that starts at column 7 is never closed"),
        (
            b'{"a": 1,\n "b" 2}',
            "malformed JSON: a ':' was expected at line 2, column 6, after the key",
        ),
        (b'{"a": NaN}', "malformed JSON: a value JSON does not allow (such as NaN) at column 7"),
        (b'{"a": "\xff"}', "not UTF-8 text: invalid start byte at byte offset 7"),
        (b"[" * 100_000, "malformed JSON: it is nested too deeply"),
    ],
)
def test_what_msgspec_refused_is_found_again(data: bytes, ours: str) -> None:
    with pytest.raises((msgspec.DecodeError, UnicodeDecodeError)) as caught:
        msgspec.json.decode(data, type=dict[str, object])
    assert describe_undecodable_json(data, str(caught.value)) == ours
