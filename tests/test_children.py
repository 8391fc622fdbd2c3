"""The suite's own guards against leaked processes and against deadlines too short for a busy
machine (tests/children.py, tests/deadlines.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from rapport.redis_launcher import find_redis_server
from tests.children import SESSION_MARKER, kill_group, popen, survivors
from tests.deadlines import ENV_FACTOR, factor, scaled, wait_until

ROOT = Path(__file__).resolve().parent.parent


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _server(tmp_path: Path) -> list[str]:
    """A redis-server that runs until killed (on a socket in tmp_path, no port)."""
    socket = tmp_path / "r.sock"
    return [str(find_redis_server()), "--port", "0", "--save", "", "--unixsocket", str(socket)]


def test_killing_a_child_kills_its_whole_group(tmp_path: Path) -> None:
    """A child's own children (redis-server under `rapport up`) die with it."""
    server = " ".join(f"'{arg}'" for arg in _server(tmp_path))
    process = popen(
        ["sh", "-c", f"{server} & echo $!; wait"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    grandchild = int(process.stdout.readline())
    time.sleep(0.5)  # not a timing claim: a server that exits at start must be seen dead
    assert _alive(grandchild), "the redis-server must run until killed for this test to mean much"
    kill_group(process)
    process.stdout.close()
    wait_until(lambda: not _alive(grandchild), "the grandchild redis-server exits")


def test_a_process_that_outlives_the_session_fails_it(tmp_path: Path) -> None:
    """A nested session whose test leaves a redis-server running exits failed, names it, and
    kills it."""
    test = tmp_path / "test_leaks.py"
    test.write_text(
        textwrap.dedent(f"""
            import subprocess
            import time
            from pathlib import Path

            def test_leaves_a_server_behind(tmp_path):
                server = {_server(tmp_path)!r} + ["--dir", str(tmp_path)]
                leaked = subprocess.Popen(server, start_new_session=True)
                # Until redis-server has rewritten its title over its environment, the marker
                # would find it; wait, so that the working-directory rule is what is tested.
                title = Path(f"/proc/{{leaked.pid}}/cmdline")
                deadline = time.monotonic() + 600
                while b"unixsocket:" not in title.read_bytes():
                    assert time.monotonic() < deadline, "redis-server never set its title"
                    time.sleep(0.05)
        """)
    )
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_ADDOPTS"}
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-p",
            "no:xdist",
            "-p",
            "tests.conftest",
            "--rootdir",
            str(tmp_path),
            str(test),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(120),
        check=False,
    )
    assert run.returncode == pytest.ExitCode.TESTS_FAILED, run.stdout + run.stderr
    assert "1 passed" in run.stdout
    assert "processes outlived the test session" in run.stderr
    assert "redis-server unixsocket:" in run.stderr  # its title: not found by environment
    leaked = [int(line.split(":")[0]) for line in run.stderr.splitlines() if "redis-server" in line]
    assert leaked
    assert not any(_alive(pid) for pid in leaked)


def test_this_session_is_marked_and_has_no_stray_children_now() -> None:
    assert os.environ[SESSION_MARKER]
    assert survivors("not-a-session") == []
    assert survivors("not-a-session", Path("/nonexistent")) == []


def test_deadlines_stretch_with_the_factor(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_FACTOR, "7.5")
    assert factor() >= 7.5
    assert scaled(2) >= 15
    monkeypatch.setenv(ENV_FACTOR, "0.1")
    assert factor() >= 1  # never shorter than nominal
    monkeypatch.setenv(ENV_FACTOR, "slow")
    with pytest.raises(AssertionError, match="RAPPORT_TEST_TIME_FACTOR must be a number"):
        factor()


def test_wait_until_returns_the_value_or_names_what_never_happened(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert wait_until(lambda: 42, "an answer") == 42
    monkeypatch.setenv(ENV_FACTOR, "1")
    with pytest.raises(AssertionError, match=r"never happened within \d+ s: the impossible"):
        wait_until(lambda: None, "the impossible", seconds=0.05)
