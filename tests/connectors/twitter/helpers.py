"""Building X export archives (zip or folder) in a temporary directory from fixture files."""

from __future__ import annotations

import zipfile
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import FIXTURES

TWITTER = FIXTURES / "twitter"
REAL_2023 = TWITTER / "archive" / "community-archive_docs"  # real excerpts
REAL_OLD = TWITTER / "archive" / "simonw_twitter-to-sqlite"  # real excerpts
HANDMADE = TWITTER / "handmade" / "archive"  # invented, documented formats
HANDMADE_OLD = TWITTER / "handmade" / "archive-old"


def files_of(*folders: Path) -> dict[str, str]:
    """`data/<name>` -> text of every `.js` file of the folders (later folders win)."""
    files: dict[str, str] = {}
    for folder in folders:
        for path in sorted(folder.glob("*.js")):
            files[f"data/{path.name}"] = path.read_text(encoding="utf-8")
    return files


def build(root: Path, files: Mapping[str, str], *, as_zip: bool) -> Path:
    """Write `files` as an unpacked export folder under `root`, or as `root.zip`."""
    if as_zip:
        target = root.with_suffix(".zip")
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, text in files.items():
                archive.writestr(name, text.encode("utf-8"))
        return target
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def full_archive_files() -> dict[str, str]:
    """The real 2023 excerpts plus every hand-made file (one account, id 322603863)."""
    return files_of(REAL_2023, HANDMADE)
