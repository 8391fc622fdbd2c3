"""`ArchiveSource` reads members with bounded memory (issue 16): whole only up to the
per-member cap, as a stream within the archive's total budget."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from rapport.errors import ArchiveError
from rapport.plugins.archive import ArchiveLimits, ArchiveSource


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_member_over_the_in_memory_cap_names_the_setting(tmp_path: Path) -> None:
    path = _zip(tmp_path / "a.zip", {"big.js": b" " * (3 << 20), "small.js": b"[]"})
    with ArchiveSource(path, ArchiveLimits(max_member_bytes=1 << 20)) as source:
        assert source.read_bytes("small.js") == b"[]"
        with pytest.raises(ArchiveError, match="RAPPORT_ARCHIVE_MAX_MEMBER_BYTES") as caught:
            source.read_bytes("big.js")
        assert caught.value.member == "big.js"


def test_a_stream_reads_past_the_member_cap_within_the_total(tmp_path: Path) -> None:
    data = bytes(range(256)) * (3 << 12)  # 3 MiB
    path = _zip(tmp_path / "a.zip", {"big.csv": data, "other.csv": data})
    limits = ArchiveLimits(max_member_bytes=1 << 20, max_total_bytes=5 << 20)
    with ArchiveSource(path, limits) as source:
        with source.open("big.csv") as stream:
            assert stream.read() == data
        with source.open("other.csv") as stream:
            stream.read(1 << 20)
            with pytest.raises(ArchiveError, match="RAPPORT_ARCHIVE_MAX_UNPACKED_BYTES"):
                stream.read()


def test_a_folder_member_is_capped_too(tmp_path: Path) -> None:
    (tmp_path / "dir").mkdir()
    (tmp_path / "dir" / "big.js").write_bytes(b"x" * (2 << 20))
    with ArchiveSource(tmp_path / "dir", ArchiveLimits(max_member_bytes=1 << 20)) as source:
        with pytest.raises(ArchiveError, match="RAPPORT_ARCHIVE_MAX_MEMBER_BYTES"):
            source.read_bytes("big.js")
        with source.open("big.js") as stream:
            assert len(stream.read()) == 2 << 20
