"""Shared helpers for the Mastodon connector tests: archives built in tmp_path from the
hand-made, real-shaped archive members in tests/fixtures/mastodon/archive/ (see its README)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

ARCHIVE_FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mastodon" / "archive"

BuildArchive = Callable[..., Path]


@pytest.fixture
def build_archive(tmp_path: Path) -> BuildArchive:
    """Build a Mastodon archive as a folder or a zip from the fixture members.

    `omit` leaves members out, `replace` overrides members' bytes, `prefix` puts every member
    in a sub-folder (people re-zip an unpacked archive).
    """
    counter = iter(range(1000))

    def build(
        *,
        as_zip: bool = False,
        omit: tuple[str, ...] = (),
        replace: dict[str, bytes] | None = None,
        prefix: str = "",
    ) -> Path:
        members = {
            p.name: p.read_bytes()
            for p in sorted(ARCHIVE_FIXTURES.iterdir())
            if p.is_file() and p.name not in omit and p.name != "README.md"
        }
        members.update(replace or {})
        n = next(counter)
        if as_zip:
            target = tmp_path / f"archive-{n}.zip"
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
                for name, data in members.items():
                    zf.writestr(prefix + name, data)
            return target
        target = tmp_path / f"archive-{n}"
        folder = target / prefix if prefix else target
        folder.mkdir(parents=True)
        for name, data in members.items():
            (folder / name).write_bytes(data)
        return target

    return build


@pytest.fixture
def archive_fixture_dir() -> Path:
    return ARCHIVE_FIXTURES
