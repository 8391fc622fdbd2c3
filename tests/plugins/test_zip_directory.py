"""The member count of a zip, read from its end records and its directory walk, before
`zipfile` builds anything (issue 16: a million members took 573 MB to count)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rapport.errors import ArchiveError
from rapport.plugins.archive import ArchiveLimits, ArchiveSource
from rapport.plugins.zip_directory import count_entries
from tests.security.hostile_zips import many_members


def _count(path: Path, stop_after: int) -> tuple[int, int] | None:
    with path.open("rb") as handle:
        return count_entries(handle, path.stat().st_size, stop_after)


def test_a_zip64_count_is_read_and_the_walk_stops_past_the_limit(tmp_path: Path) -> None:
    path = many_members(tmp_path / "many.zip", count=500)
    assert len(zipfile.ZipFile(path).infolist()) == 500  # a valid zip64 file
    assert _count(path, 1000) == (500, 500)
    assert _count(path, 10) == (500, 11)


def test_a_zip_that_understates_its_count_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for index in range(30):
            archive.writestr(f"{index}.txt", b"")
    raw = bytearray(path.read_bytes())
    end = raw.rfind(b"PK\x05\x06")
    raw[end + 8 : end + 12] = (1).to_bytes(2, "little") * 2  # "1 entry"
    path.write_bytes(bytes(raw))
    assert _count(path, 10) == (1, 11)
    with pytest.raises(ArchiveError, match=r"more than 10 files, more than the limit of 10"):
        ArchiveSource(path, ArchiveLimits(max_members=10))


def test_not_a_zip_is_left_to_zipfile_to_describe(tmp_path: Path) -> None:
    path = tmp_path / "text.zip"
    path.write_bytes(b"hello")
    assert _count(path, 10) is None
    with pytest.raises(ArchiveError, match="not a zip file"):
        ArchiveSource(path)
