"""What the archive and events fuzzer (test_archive_fuzz.py) found, pinned as regression tests:
each input was an exception other than an InputError (a crash of `rapport score`, a job that
died with a traceback instead of a dead letter saying what is wrong)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rapport.errors import ArchiveError, EventsFileError
from rapport.eventsfile import read_events
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.host import load_connectors
from rapport.settings import Settings
from tests.conftest import FIXTURES
from tests.fuzz.test_archive_fuzz import EVENT_LINES, _members, _zip

DEEP = b"[" * 5000 + b"1" + b"]" * 5000


def _with(tmp_path: Path, folder: Path, member: str, data: bytes) -> Path:
    members = _members(folder)
    members[member] = data
    path = tmp_path / "a.zip"
    path.write_bytes(_zip(members))
    return path


def test_deep_nesting_in_a_mastodon_member_names_the_member(tmp_path: Path) -> None:
    """The standard library's JSON decoder raised RecursionError."""
    folder = FIXTURES / "mastodon" / "archive"
    text = (folder / "actor.json").read_bytes().replace(b'"Person"', DEEP, 1)
    path = _with(tmp_path, folder, "actor.json", text)
    with pytest.raises(ArchiveError, match="nested too deeply") as caught:
        load_connectors(Settings()).read_archive(path, "mastodon")
    assert caught.value.member == "actor.json"


def test_deep_nesting_in_an_x_member_names_the_member(tmp_path: Path) -> None:
    """msgspec raised RecursionError too (not a DecodeError)."""
    folder = FIXTURES / "twitter" / "handmade" / "archive"
    text = (folder / "like.js").read_bytes().replace(b"[", b"[" + DEEP + b",", 1)
    path = _with(tmp_path, folder, "like.js", text)
    with pytest.raises(ArchiveError, match="nested too deeply") as caught:
        load_connectors(Settings()).read_archive(path, "twitter")
    assert caught.value.member == "like.js"


def test_a_like_with_a_huge_tweet_id_is_not_a_date(tmp_path: Path) -> None:
    """`snowflake_time` of a 40-digit id raised OverflowError (and a Unicode digit
    ValueError): such an id dates nothing, like any id before snowflakes."""
    from rapport_connectors.twitter.text import snowflake_time

    assert snowflake_time("9" * 40) is None
    assert snowflake_time("1" + "0" * 400) is None
    assert snowflake_time("²³") is None
    assert snowflake_time(str(2**63)) is None
    assert snowflake_time("1584954213148495873") is not None


def test_a_corrupt_deflate_stream_is_an_archive_error_naming_the_member(tmp_path: Path) -> None:
    """zlib.error escaped `ArchiveSource.read_bytes`."""
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("data.json", b'{"a": 1}' * 200)
    raw = bytearray(path.read_bytes())
    start = 30 + len("data.json")  # the local header, then the compressed stream
    raw[start] = 0xFF  # an invalid block type
    path.write_bytes(bytes(raw))
    with ArchiveSource(path) as source, pytest.raises(ArchiveError) as caught:
        source.read_bytes("data.json")
    assert caught.value.member == "data.json"


def test_invalid_utf8_in_an_event_names_the_line() -> None:
    """msgspec raised UnicodeDecodeError, which `rapport score` showed as a traceback."""
    good = EVENT_LINES[0]
    lines = [good, good.replace(b"mastodon", b"\xff")]
    with pytest.raises(EventsFileError, match="not UTF-8") as caught:
        list(read_events(lines, "events.jsonl"))
    assert caught.value.line == 2


def test_an_unsupported_zip_version_is_an_archive_error(tmp_path: Path) -> None:
    """zipfile raises NotImplementedError for a "version needed" it cannot read, which escaped
    `ArchiveSource`."""
    path = tmp_path / "a.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("like.js", b"[]")
    raw = bytearray(path.read_bytes())
    central = raw.index(b"PK\x01\x02")
    raw[central + 6] = 84  # "version needed to extract": 8.4
    path.write_bytes(bytes(raw))
    with pytest.raises(ArchiveError, match="not a zip file"):
        ArchiveSource(path)
