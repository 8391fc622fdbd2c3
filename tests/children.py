"""Child processes of the tests: each in its own process group, killed with its whole group.

Why: a test that starts `rapport up` (which starts redis-server), `rapport api` or Chromium and
then fails or times out used to kill only the direct child, leaving its children running after
the suite (an orphaned redis-server was seen on a loaded machine). A group is killed whole, and
tests/conftest.py fails the session if any process the suite started outlives it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.deadlines import scaled

#: Set for the whole session (tests/conftest.py); every child inherits it, so a process that
#: outlives the suite can be recognised as ours, whoever its parent is by then.
SESSION_MARKER = "RAPPORT_TEST_SESSION"

#: Programs the suite starts whose survival is a leak (the pytest workers themselves are not).
LEAKABLE = ("redis-server", "redis-sentinel", "rapport", "uvicorn", "chromium", "chrome")


def popen(argv: list[str], **kwargs: Any) -> subprocess.Popen[Any]:
    """`subprocess.Popen` in a new session (its own process group)."""
    return subprocess.Popen(argv, start_new_session=True, **kwargs)


def kill_group(process: subprocess.Popen[Any], grace: float = 10.0) -> None:
    """SIGTERM the process's group, wait up to `scaled(grace)`, then SIGKILL what is left.
    The group id is the child's pid (it leads its own session), valid even after it exited."""
    group = process.pid
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(scaled(grace))
    with contextlib.suppress(ProcessLookupError):
        os.killpg(group, signal.SIGKILL)  # the grandchildren too, even if the leader exited
    process.wait()


@contextlib.contextmanager
def child(argv: list[str], grace: float = 10.0, **kwargs: Any) -> Iterator[subprocess.Popen[Any]]:
    """A child process for the duration of a `with` block, its group killed on the way out."""
    process = popen(argv, **kwargs)
    try:
        yield process
    finally:
        kill_group(process, grace)


def survivors(marker: str, basetemp: Path | None = None) -> list[tuple[int, str]]:
    """Processes of this session that run one of `LEAKABLE` (pid, command): those carrying the
    session's marker, or working in its temporary directory. (The second because redis-server
    rewrites its process title over the memory that /proc shows as its environment, but it
    works in its data directory, which the tests put under the session's basetemp.)"""
    found = []
    needle = f"{SESSION_MARKER}={marker}".encode()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            ours = needle in (entry / "environ").read_bytes().split(b"\0")
            if not ours and basetemp is not None:
                ours = Path(os.readlink(entry / "cwd")).is_relative_to(basetemp)
            if not ours:
                continue
            argv = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:  # gone meanwhile, or not ours to read
            continue
        # First word only: a rewritten title ("redis-server unixsocket:/a/b") is one string.
        names = {Path(a.decode(errors="replace").split()[0]).name for a in argv[:3] if a.strip()}
        if any(name.startswith(LEAKABLE) for name in names):
            found.append((int(entry.name), " ".join(a.decode(errors="replace") for a in argv)))
    return found
