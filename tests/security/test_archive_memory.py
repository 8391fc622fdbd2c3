"""Issue 16: a hostile archive cannot take the worker out of memory. The real `rapport worker`
process (real Redis) imports generated hostile zips (tests/security/hostile_zips.py): a 1 MB
zip bomb of a 1 GiB member, a zip of a million empty members, a member declaring a 4 GiB size,
a member of exactly the in-memory cap (read whole, then parsed) and an honest export of 100,000
tweets; its peak resident memory (VmHWM) must stay within `BOUND` of what it took for a small
import. The same archives through the real `rapport score --archive` process, measured with
`getrusage` of a child. The bound and the figures are in docs/security.md."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import ARCHIVE, JobState
from rapport.plugins.archive import ArchiveLimits
from tests.children import child
from tests.deadlines import wait_until
from tests.jobs.conftest import finished
from tests.jobs.helpers import zip_archive
from tests.security import hostile_zips

BIN = Path(sys.executable).parent
#: The documented bound (docs/security.md): peak memory above a worker that did a small import.
BOUND = 256 << 20
_CAP = ArchiveLimits().max_member_bytes
_VMHWM = re.compile(rb"^VmHWM:\s+(\d+) kB$", re.MULTILINE)

#: Archive -> the job's end state and a phrase of its failure.
EXPECTED: dict[str, tuple[JobState, str]] = {
    "bomb.zip": (JobState.FAILED, "RAPPORT_ARCHIVE_MAX_MEMBER_BYTES"),
    "many.zip": (JobState.FAILED, "holds 1000000 files, more than the limit of 50000"),
    "declared.zip": (JobState.FAILED, "RAPPORT_ARCHIVE_MAX_MEMBER_BYTES"),
    "at-cap.zip": (JobState.COMPLETE, ""),
    "large.zip": (JobState.COMPLETE, ""),
}


@pytest.fixture(scope="module")
def archives(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("hostile")
    made = {name: make(folder / name) for name, make in hostile_zips.ALL.items()}
    made["at-cap.zip"] = hostile_zips.zip_bomb(folder / "at-cap.zip", unpacked=_CAP - (1 << 20))
    made["small.zip"] = zip_archive(folder / "small.zip")
    assert made["bomb.zip"].stat().st_size < 2 << 20  # a 1 GiB member in a small upload
    return made


def _peak(pid: int) -> int:
    """The process's peak resident memory so far, in bytes (Linux: VmHWM)."""
    match = _VMHWM.search(Path(f"/proc/{pid}/status").read_bytes())
    assert match is not None
    return int(match.group(1)) * 1024


@pytest.fixture
def worker_pid(redis_url: str, tmp_path: Path) -> Iterator[int]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
        "RAPPORT_WORKER_MAX_JOBS": "1",  # one import at a time: the bound is per import
        "RAPPORT_JOB_MAX_TRIES": "1",
        "RAPPORT_JOB_TIMEOUT_SECONDS": "3600",
        "RAPPORT_WORKER_SHUTDOWN_SECONDS": "2",
        "RAPPORT_LOG_LEVEL": "INFO",
    }
    (tmp_path / "uploads").mkdir()
    log = tmp_path / "worker.log"
    with log.open("wb") as out, child([str(BIN / "rapport"), "worker"], env=env, stderr=out) as p:
        wait_until(lambda: b"Starting worker" in log.read_bytes(), "the worker starts")
        yield p.pid


async def _import(queue: ArqJobQueue, upload_dir: Path, archive: Path) -> tuple[JobState, str]:
    (upload_dir / archive.name).write_bytes(archive.read_bytes())
    payload = {"tenant": "acme", "platform": "twitter", "account": "me", "upload": archive.name}
    await queue.enqueue(ARCHIVE, payload, job_id=archive.name)
    info = await finished(queue, archive.name, timeout=600)
    return info.state, info.error or ""


@pytest.mark.anyio
async def test_the_worker_imports_hostile_archives_within_the_bound(
    worker_pid: int, queue: ArqJobQueue, archives: dict[str, Path], tmp_path: Path
) -> None:
    uploads = tmp_path / "uploads"
    state, error = await _import(queue, uploads, archives["small.zip"])
    assert state is JobState.COMPLETE, error
    baseline = _peak(worker_pid)
    peaks = {}
    for name, (expected, phrase) in EXPECTED.items():
        state, error = await _import(queue, uploads, archives[name])
        assert state is expected, (name, error)
        assert phrase in error, (name, error)
        peaks[name] = _peak(worker_pid) - baseline
        assert peaks[name] < BOUND, f"{name}: {peaks[name] >> 20} MiB above the small import"
    print({name: f"{peak >> 20} MiB" for name, peak in peaks.items()})


def _cli_peak(archive: Path) -> tuple[int, int, str]:
    """Exit code, peak memory (bytes) and stderr of `rapport score --archive` in a fresh
    process whose only child is the CLI (so `RUSAGE_CHILDREN` is the CLI's own peak)."""
    measure = (
        "import resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], capture_output=True)\n"
        "sys.stderr.buffer.write(done.stderr)\n"
        "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)\n"
    )
    command = [str(BIN / "rapport"), "score", "--archive", str(archive), "--format", "json"]
    done = subprocess.run(
        [sys.executable, "-c", measure, *command], capture_output=True, text=True, check=True
    )
    code, kib = done.stdout.split()
    return int(code), int(kib) * 1024, done.stderr


def test_rapport_score_reads_hostile_archives_within_the_bound(
    archives: dict[str, Path],
) -> None:
    code, baseline, err = _cli_peak(archives["small.zip"])
    assert code == 0, err
    for name, (expected, phrase) in EXPECTED.items():
        code, peak, err = _cli_peak(archives[name])
        assert code == (0 if expected is JobState.COMPLETE else 2), (name, err)
        assert phrase in err, (name, err)
        if code == 2:
            assert err.startswith("rapport: error: "), err
            assert err.count("\n") == 1, err
        assert peak - baseline < BOUND, f"{name}: {(peak - baseline) >> 20} MiB above small"
