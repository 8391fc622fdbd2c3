"""The record of a running `rapport up`: written whole and 0600, trusted only while its process
lives and its Redis answers, removed only by the process that wrote it. Real processes and a
real Redis; the end-to-end use by `rapport keys` is in tests/jobs/test_up.py."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from rapport import local_stack
from rapport.local_stack import LocalStack, StaleRecord
from tests.deadlines import scaled


def _stack(redis_url: str, pid: int | None = None) -> LocalStack:
    return LocalStack(
        pid=os.getpid() if pid is None else pid,
        redis_url=redis_url,
        api_url="http://127.0.0.1:8000",
        started_at=1.0,
    )


@pytest.fixture
def open_umask() -> Iterator[None]:
    """A umask that lets everyone read new files, as on a carelessly set up machine."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _exited_pid() -> int:
    """The id of a process that has exited and been reaped."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait(scaled(60))
    return child.pid


def test_the_record_is_readable_by_the_user_only_whatever_the_umask(
    tmp_path: Path, redis_url: str, open_umask: None
) -> None:
    path = local_stack.write(tmp_path, _stack(redis_url))
    assert path == tmp_path / "rapport-up.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["rapport-up.json"]  # no temporary left


def test_a_new_record_replaces_the_old_one_whole(tmp_path: Path, redis_url: str) -> None:
    """Renamed over, not rewritten in place: a reader holding the old file reads all of it."""
    old_path = local_stack.write(tmp_path, _stack(redis_url, pid=1))
    with old_path.open("rb") as reader:
        local_stack.write(tmp_path, _stack(redis_url))
        assert b'"pid":1,' in reader.read()
    assert local_stack.find(tmp_path) == _stack(redis_url)


def test_a_live_stack_is_found(tmp_path: Path, redis_url: str) -> None:
    assert local_stack.find(tmp_path) is None
    local_stack.write(tmp_path, _stack(redis_url))
    assert local_stack.find(tmp_path) == _stack(redis_url)


def test_a_record_whose_process_is_gone_is_stale(tmp_path: Path, redis_url: str) -> None:
    """Its Redis still answers (an orphan, as after `kill -9` of `rapport up`): still stale."""
    gone = _exited_pid()
    local_stack.write(tmp_path, _stack(redis_url, pid=gone))
    found = local_stack.find(tmp_path)
    assert found == StaleRecord(tmp_path / "rapport-up.json", f"its process {gone} has exited")


def test_a_record_whose_redis_does_not_answer_is_stale(tmp_path: Path) -> None:
    url = f"unix://{tmp_path / 'gone.sock'}"
    local_stack.write(tmp_path, _stack(url))
    found = local_stack.find(tmp_path)
    assert isinstance(found, StaleRecord)
    assert found.reason == f"its Redis at {url} does not answer"


def test_a_record_others_can_read_is_not_trusted(tmp_path: Path, redis_url: str) -> None:
    path = local_stack.write(tmp_path, _stack(redis_url))
    path.chmod(0o644)
    found = local_stack.find(tmp_path)
    assert isinstance(found, StaleRecord)
    assert "not trusted" in found.reason


def test_a_damaged_record_is_stale_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "rapport-up.json"
    path.write_bytes(b'{"pid": 12')
    path.chmod(0o600)
    found = local_stack.find(tmp_path)
    assert isinstance(found, StaleRecord)
    assert found.reason.startswith("it is not a record of `rapport up`")


def test_a_stop_removes_only_its_own_record(tmp_path: Path, redis_url: str) -> None:
    path = local_stack.write(tmp_path, _stack(redis_url))
    local_stack.remove(tmp_path, os.getpid() + 1)
    assert path.exists()
    local_stack.remove(tmp_path, os.getpid())
    assert not path.exists()
    local_stack.remove(tmp_path, os.getpid())  # nothing there: nothing to do
    local_stack.write(tmp_path, _stack(redis_url, pid=1))
    local_stack.remove(tmp_path, None)  # a starting `rapport up` clears a leftover
    assert not path.exists()
