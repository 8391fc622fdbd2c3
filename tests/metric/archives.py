"""The recorded export archives of tests/fixtures, read by their connectors and scored."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec

from rapport.metric import ScoreReport, group_by_account, score_events
from rapport.model import MissingData
from rapport.plugins.connector import ArchiveImport
from rapport.plugins.host import read_archive
from tests.conftest import FIXTURES

MASTODON = FIXTURES / "mastodon" / "archive"  # hand-made, real-shaped (see its README)
X_REAL = FIXTURES / "twitter" / "archive" / "community-archive_docs"  # real 2023 excerpts
X_HANDMADE = FIXTURES / "twitter" / "handmade" / "archive"  # manifest, DMs, blocks, likes


def x_archive(root: Path) -> Path:
    """The real X excerpts with the hand-made members that complete them, as an export folder
    (the same archive as tests/connectors/twitter: one account, id 322603863)."""
    data = root / "data"
    data.mkdir(parents=True)
    for folder in (X_REAL, X_HANDMADE):
        for path in sorted(folder.glob("*.js")):
            shutil.copy(path, data / path.name)
    return root


def read(path: Path, platform: str) -> ArchiveImport:
    return read_archive(path, platform)[1]


def score_archive(
    imported: ArchiveImport, *, missing: list[MissingData] | None = None, top: int = 0
) -> ScoreReport:
    """Score an archive as `rapport score --archive` does (at its own date, its profiles)."""
    (_ref, events), *others = group_by_account(imported.interactions).items()
    assert not others
    profiles = {p.account: p for p in imported.profiles}
    as_of = imported.generated_at or max(e.at for e in imported.interactions)
    return score_events(
        events,
        as_of=as_of.timestamp(),
        profiles=profiles,
        ego_profile=imported.ego_profile,
        top=top,
        missing=imported.missing if missing is None else missing,
    )


def without_hides(missing: list[MissingData]) -> list[MissingData]:
    """The same gaps, as a source that does not say which side they hide would report them."""
    return [msgspec.structs.replace(m, hides=()) for m in missing]
