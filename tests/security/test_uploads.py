"""Hostile archive uploads: the worker reads an upload within the deployment's limits
(`RAPPORT_ARCHIVE_MAX_FILES`, `RAPPORT_ARCHIVE_MAX_UNPACKED_BYTES`), so a zip bomb or an archive
of a million files is a dead letter with nothing imported, and member names never become paths
(nothing is extracted, so `../` names write nothing anywhere)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from redis.asyncio import Redis

from rapport.errors import ArchiveError
from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import ARCHIVE, JobState
from rapport.plugins.archive import ArchiveLimits, ArchiveSource
from rapport.settings import Settings
from tests.api.conftest import Api
from tests.jobs.conftest import WorkerHarness, finished
from tests.jobs.helpers import ARCHIVE_DIR

ZIP = {"Content-Type": "application/zip"}


def _archive(target: Path, extra: dict[str, bytes] | None = None, pad_like: int = 0) -> Path:
    """The real handmade X archive, zipped, with `extra` members and `like.js` padded by
    `pad_like` bytes of trailing whitespace (still valid; compresses a thousandfold)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(ARCHIVE_DIR.rglob("*")):
            data = path.read_bytes()
            if path.name == "like.js":
                data += b" " * pad_like
            archive.writestr(path.relative_to(ARCHIVE_DIR).as_posix(), data)
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return target


def _payload(upload: str) -> dict[str, str]:
    return {"tenant": "acme", "platform": "twitter", "account": "me", "upload": upload}


async def _tenant_keys(redis: Redis) -> list[bytes]:
    return [key async for key in redis.scan_iter(match="rapport:{t:*")]


@pytest.mark.anyio
async def test_a_zip_bomb_and_too_many_files_are_dead_letters_that_import_nothing(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings
) -> None:
    assert settings.upload_dir is not None
    folder = Path(settings.upload_dir)
    bomb = _archive(folder / "bomb.zip", pad_like=8 << 20)
    assert bomb.stat().st_size < 64 << 10
    _archive(folder / "many.zip", extra={f"pad/{i}.txt": b"" for i in range(80)})
    worker.start(archive_max_unpacked_bytes=1 << 20, archive_max_files=50)
    await queue.enqueue(ARCHIVE, _payload("bomb.zip"), job_id="bomb")
    await queue.enqueue(ARCHIVE, _payload("many.zip"), job_id="many")
    for job_id in ("bomb", "many"):
        info = await finished(queue, job_id)
        assert info.state is JobState.FAILED
    reasons = sorted(letter.reason for letter in await queue.dead_letters("acme"))
    assert any("larger than 1048576 bytes" in r for r in reasons), reasons
    assert any("more than the limit of 50" in r for r in reasons), reasons
    assert await _tenant_keys(redis) == []
    assert not bomb.exists()


@pytest.mark.anyio
async def test_the_same_archives_import_under_the_default_limits(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis, settings: Settings
) -> None:
    """The control: it is the limits that refused them above, not a broken archive."""
    assert settings.upload_dir is not None
    _archive(Path(settings.upload_dir) / "bomb.zip", pad_like=8 << 20)
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("bomb.zip"), job_id="bomb")
    info = await finished(queue, "bomb")
    assert info.state is JobState.COMPLETE, info.error
    assert await _tenant_keys(redis) != []


@pytest.mark.anyio
async def test_traversal_member_names_write_nothing_outside(
    queue: ArqJobQueue, worker: WorkerHarness, settings: Settings, tmp_path: Path
) -> None:
    assert settings.upload_dir is not None
    names = ["../../escaped.txt", "/abs-escaped.txt", "..\\..\\win-escaped.txt", "a/../../up.txt"]
    _archive(Path(settings.upload_dir) / "trav.zip", extra=dict.fromkeys(names, b"pwned"))
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("trav.zip"), job_id="trav")
    info = await finished(queue, "trav")
    assert info.state is JobState.COMPLETE, info.error
    for root in (tmp_path, tmp_path.parent, Path.cwd(), Path("/")):
        for name in ("escaped.txt", "abs-escaped.txt", "up.txt"):
            assert not (root / name).exists()
    assert list(tmp_path.rglob("*escaped*")) == []


def test_a_member_whose_header_lies_about_its_size_is_still_capped(tmp_path: Path) -> None:
    """A zip's declared size is the attacker's word: reading stops at the cap regardless."""
    path = tmp_path / "liar.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.bin", b"\0" * (4 << 20))
    raw = bytearray(path.read_bytes())
    size = (4 << 20).to_bytes(4, "little")
    small = (100).to_bytes(4, "little")
    assert raw.count(size) == 2  # local header and central directory
    path.write_bytes(bytes(raw.replace(size, small)))
    source = ArchiveSource(path, ArchiveLimits(max_member_bytes=1 << 20))
    with source, pytest.raises(ArchiveError, match=r"big\.bin"):
        source.read_bytes("big.bin")


def test_an_upload_over_the_cap_is_413_problem_json(
    make_api: Callable[..., Api], tmp_path: Path
) -> None:
    api = make_api(upload_dir=str(tmp_path / "uploads"), upload_max_bytes=4096)
    r = api.client.post(
        "/v1/accounts/twitter/me/archive", content=b"PK" + b"\0" * 8000, headers=api.acme | ZIP
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    leftovers = list((tmp_path / "uploads").glob("*")) if (tmp_path / "uploads").exists() else []
    assert leftovers == []


@pytest.mark.anyio
@pytest.mark.parametrize(
    ("member", "damage"),
    [
        ("like.js", lambda data: data.replace(b"[", b"[" + b"[" * 5000, 1)),
        ("tweets-part1.js", lambda data: data[: len(data) * 2 // 3]),
        ("direct-messages.js", lambda data: data.replace(b'"', b"\xff", 3)),
    ],
)
async def test_an_archive_failing_late_imports_nothing(
    queue: ArqJobQueue,
    worker: WorkerHarness,
    redis: Redis,
    settings: Settings,
    member: str,
    damage: Callable[[bytes], bytes],
) -> None:
    """One bad member, whatever its place in the read order: a dead letter naming it, and no
    event, relationship, profile or account of the archive's other, good members is written."""
    assert settings.upload_dir is not None
    path = Path(settings.upload_dir) / "late.zip"
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for source in sorted(ARCHIVE_DIR.rglob("*")):
            data = source.read_bytes()
            archive.writestr(source.name, damage(data) if source.name == member else data)
    worker.start()
    await queue.enqueue(ARCHIVE, _payload("late.zip"), job_id="late")
    info = await finished(queue, "late")
    assert info.state is JobState.FAILED
    (letter,) = await queue.dead_letters("acme")
    assert member in letter.reason
    assert await _tenant_keys(redis) == []
