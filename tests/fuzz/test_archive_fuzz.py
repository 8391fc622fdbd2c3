"""Archive and events fuzzing: mutated real export files (tests/fixtures) through every archive
reader, and mutated real event lines through the events parser.

The property: every input ends in a result or a clear `InputError` (an `ArchiveError` naming
the archive, an `EventsFileError` naming the line), never another exception. A reader is a
pure function of the archive (the worker writes only after it returned), so "no partial
import" is: a read that fails returns nothing, and a read that succeeds returns a complete,
valid import. Inputs are bounded (a fixture plus at most a few KiB), so no example can hang
on size alone; a reader that loops would hang the suite, which is a failure too.

The mutations: byte flips, truncation, inserted garbage, a JSON value swapped for another type
(object, array, string, null, bool), huge or non-finite numbers, and deep nesting.

Examples per reader: `RAPPORT_FUZZ_ARCHIVE_EXAMPLES` (default 40, the CI bound); a long run:
`RAPPORT_FUZZ_ARCHIVE_EXAMPLES=2000 .venv/bin/pytest -q -n 2 tests/fuzz/test_archive_fuzz.py`.
"""

from __future__ import annotations

import io
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rapport.errors import ArchiveError, EventsFileError, InputError
from rapport.eventsfile import read_events, read_profiles
from rapport.model import Interaction
from rapport.plugins.archive import ArchiveLimits
from rapport.plugins.host import ConnectorRegistry, load_connectors
from rapport.settings import Settings
from tests.conftest import FIXTURES, ROOT

EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_ARCHIVE_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=list(HealthCheck),
)
LIMITS = ArchiveLimits(max_members=200, max_member_bytes=1 << 20, max_total_bytes=4 << 20)

#: Real exports, by the platform whose reader they are for.
ARCHIVES = {
    "twitter": FIXTURES / "twitter" / "handmade" / "archive",
    "twitter-community": FIXTURES / "twitter" / "archive" / "community-archive_docs",
    "mastodon": FIXTURES / "mastodon" / "archive",
    "linkedin": FIXTURES / "linkedin" / "export",
}

_SCALAR = re.compile(
    rb'(?<=[:\[,])\s*("(?:[^"\\\n]|\\.)*"|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)'
)
_NUMBER = re.compile(rb"\d+")
SWAPS = [
    b"{}",
    b"[]",
    b'""',
    b'"x"',
    b"null",
    b"true",
    b"0",
    b"-1",
    b"1e999",
    b"-1e999",
    b"123456789012345678901234567890123456789",
    b"1.5",
    b'{"a": [1, {"b": null}]}',
    b'"2026-13-45T99:99:99Z"',
    b'"\\ud800"',
    b'"' + b"A" * 3000 + b'"',
]


def _members(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@st.composite
def mutated(draw: st.DrawFn, data: bytes) -> bytes:
    """`data` with one to three mutations."""
    for _ in range(draw(st.integers(1, 3), label="mutations")):
        kind = draw(
            st.sampled_from(["flip", "truncate", "insert", "swap", "huge", "nest"]), label="kind"
        )
        size = len(data)
        if kind == "flip" and size:
            at = draw(st.integers(0, size - 1))
            data = data[:at] + bytes([data[at] ^ draw(st.integers(1, 255))]) + data[at + 1 :]
        elif kind == "truncate":
            data = data[: draw(st.integers(0, size))]
        elif kind == "insert":
            at = draw(st.integers(0, size))
            data = data[:at] + draw(st.binary(max_size=64)) + data[at:]
        elif kind == "swap":
            spots = list(_SCALAR.finditer(data))
            if spots:
                spot = draw(st.sampled_from(spots))
                value = draw(st.sampled_from(SWAPS))
                data = data[: spot.start(1)] + value + data[spot.end(1) :]
        elif kind == "huge":
            spots = list(_NUMBER.finditer(data))
            if spots:
                spot = draw(st.sampled_from(spots))
                value = draw(st.sampled_from([b"9" * 40, b"1" + b"0" * 400, b"0" * 30]))
                data = data[: spot.start()] + value + data[spot.end() :]
        elif kind == "nest":
            depth = draw(st.integers(50, 3000))
            spots = list(_SCALAR.finditer(data))
            if spots:
                spot = draw(st.sampled_from(spots))
                value = b"[" * depth + b"1" + b"]" * depth
                data = data[: spot.start(1)] + value + data[spot.end(1) :]
    return data


@dataclass(frozen=True)
class Outcome:
    error: InputError | None


@pytest.fixture(scope="module")
def registry() -> ConnectorRegistry:
    return load_connectors(Settings())


def _read(registry: ConnectorRegistry, path: Path, platform: str) -> Outcome:
    """Read `path`: a complete import or an InputError; anything else fails the test."""
    error: InputError | None = None
    try:
        _, result = registry.read_archive(path, platform, limits=LIMITS)
    except InputError as exc:
        error = exc
    if error is not None:
        assert str(error), "an error without a message"
        if isinstance(error, ArchiveError):
            assert error.archive == str(path)
        return Outcome(error)
    assert result.account.platform == platform
    for event in result.interactions:
        assert isinstance(event, Interaction)
        assert event.platform == platform
    return Outcome(None)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_the_real_archive_reads(registry: ConnectorRegistry, tmp_path: Path, name: str) -> None:
    """The control: unmutated, every fixture is a complete import (so the fuzzing below starts
    from archives the readers accept, and mutations are what it tests)."""
    path = tmp_path / "a.zip"
    path.write_bytes(_zip(_members(ARCHIVES[name])))
    outcome = _read(registry, path, name.split("-")[0])
    assert outcome.error is None, outcome.error


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_a_mutated_member_is_a_result_or_a_clear_error(
    registry: ConnectorRegistry, tmp_path: Path, name: str
) -> None:
    members = _members(ARCHIVES[name])
    platform = name.split("-")[0]
    path = tmp_path / "a.zip"

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        member = data.draw(st.sampled_from(sorted(members)), label="member")
        changed = dict(members)
        changed[member] = data.draw(mutated(members[member]), label="content")
        path.write_bytes(_zip(changed))
        _read(registry, path, platform)

    run()


@pytest.mark.parametrize("name", sorted(ARCHIVES))
def test_a_mutated_zip_container_is_a_result_or_a_clear_error(
    registry: ConnectorRegistry, tmp_path: Path, name: str
) -> None:
    """Mutations of the zip file itself (headers, directory, compressed streams)."""
    original = _zip(_members(ARCHIVES[name]))
    platform = name.split("-")[0]
    path = tmp_path / "a.zip"

    @FUZZ
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        path.write_bytes(data.draw(mutated(original), label="zip"))
        _read(registry, path, platform)

    run()


DEMO = ROOT / "service" / "rapport" / "data" / "demo"
EVENT_LINES = (DEMO / "events.jsonl").read_bytes().splitlines()[:30]
PROFILE_LINES = (DEMO / "profiles.jsonl").read_bytes().splitlines()[:10]


def _parse_all(lines: list[bytes]) -> None:
    """A read is all lines or an EventsFileError naming a line of the file."""
    events: list[Interaction] = []
    error: EventsFileError | None = None
    try:
        events = list(read_events(lines, "events.jsonl"))
    except EventsFileError as exc:
        error = exc
    if error is not None:
        assert error.source == "events.jsonl"
        assert 1 <= error.line <= len(lines)
        return
    assert len(events) <= len(lines)
    assert all(isinstance(e, Interaction) for e in events)


def test_the_real_events_parse() -> None:
    assert len(list(read_events(EVENT_LINES, "events.jsonl"))) == len(EVENT_LINES)
    assert read_profiles(PROFILE_LINES, "profiles.jsonl")


@FUZZ
@given(data=st.data())
def test_mutated_events_are_events_or_a_clear_error(data: st.DataObject) -> None:
    blob = b"\n".join(EVENT_LINES)
    _parse_all(data.draw(mutated(blob), label="events").split(b"\n"))


@FUZZ
@given(data=st.data())
def test_mutated_profiles_are_profiles_or_a_clear_error(data: st.DataObject) -> None:
    blob = b"\n".join(PROFILE_LINES)
    lines = data.draw(mutated(blob), label="profiles").split(b"\n")
    error: EventsFileError | None = None
    try:
        read_profiles(lines, "profiles.jsonl")
    except EventsFileError as exc:
        error = exc
    assert error is None or 1 <= error.line <= len(lines)
