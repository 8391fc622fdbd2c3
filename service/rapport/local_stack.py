"""Where a running `rapport up` can be reached, for the other commands on the same machine.

`rapport up` runs a private Redis on a unix socket in its data directory; `rapport keys`,
`rapport worker` and `rapport api`, run next to it without `RAPPORT_REDIS_URL`, need that
address. So while it runs, `rapport up` keeps a record of it, `rapport-up.json` in the data
directory: its process id, the Redis URL and the API URL.

The record is written atomically (a temporary file renamed over it, so a reader never sees half
of it), readable by the user only (0600: it says where the data is, and the socket it names
gives full access to it), and removed on a clean stop. A `rapport up` that was killed cannot
remove it, so a reader trusts a record only when its process is still alive *and* its Redis
answers PING; otherwise the record is stale, and says why. A record that another user owns or
that others can read is not trusted either (a shared `./.rapport` must not redirect anyone).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

import msgspec
import redis

__all__ = ["RECORD_NAME", "LocalStack", "StaleRecord", "find", "record_path", "remove", "write"]

RECORD_NAME = "rapport-up.json"


class LocalStack(msgspec.Struct, kw_only=True, frozen=True):
    """A running `rapport up`: who it is and where its parts listen."""

    pid: int
    redis_url: str
    api_url: str
    started_at: float


@dataclass(frozen=True, slots=True)
class StaleRecord:
    """A record left behind, or one not to trust; `reason` says which, for the user."""

    path: Path
    reason: str


def record_path(data: Path) -> Path:
    return data / RECORD_NAME


def write(data: Path, stack: LocalStack) -> Path:
    """Write the record for `stack` into the data directory `data`, atomically, mode 0600."""
    path = record_path(data)
    fd, temporary = tempfile.mkstemp(dir=data, prefix=f".{RECORD_NAME}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o600)  # mkstemp's mode already, whatever the umask: said, not assumed
        with os.fdopen(fd, "wb") as handle:
            handle.write(msgspec.json.encode(stack) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    return path


def remove(data: Path, pid: int | None) -> None:
    """Remove the record if process `pid` wrote it (a stop never removes another's record);
    with None, whatever record there is (a starting `rapport up`, holding the data directory's
    lock, knows any record there is left over)."""
    path = record_path(data)
    with contextlib.suppress(FileNotFoundError):
        if pid is not None:
            try:
                if msgspec.json.decode(path.read_bytes(), type=LocalStack).pid != pid:
                    return
            except msgspec.DecodeError:
                return
        path.unlink()


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists; it is not ours to signal
    return True


def _answers(url: str) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError, ValueError):
        return False


def find(data: Path) -> LocalStack | StaleRecord | None:
    """The `rapport up` running with data directory `data`; a `StaleRecord` when its record is
    left over or not to be trusted; None when there is no record."""
    path = record_path(data)
    try:
        info = path.stat()
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        return StaleRecord(path, f"it cannot be read: {exc.strerror or exc}")
    if info.st_uid != os.getuid() or info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        return StaleRecord(path, "it is not trusted: another user owns it or others can read it")
    try:
        stack = msgspec.json.decode(raw, type=LocalStack)
    except msgspec.DecodeError as exc:  # also a ValidationError
        return StaleRecord(path, f"it is not a record of `rapport up`: {exc}")
    if not _alive(stack.pid):
        return StaleRecord(path, f"its process {stack.pid} has exited")
    if not _answers(stack.redis_url):
        return StaleRecord(path, f"its Redis at {stack.redis_url} does not answer")
    return stack
