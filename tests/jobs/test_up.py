"""`rapport up` as a user runs it: a subprocess on a free port with its own data directory;
wait for /readyz, use the printed key, ingest and score, Ctrl-C, start again, same data."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import IO

import httpx
import pytest
import redis as redis_sync

from rapport.redis_launcher import free_port
from tests.api.conftest import ndjson_events
from tests.jobs.helpers import ARCHIVE_EGO, zip_archive

START_TIMEOUT = 60.0
RAPPORT = str(Path(sys.executable).with_name("rapport"))  # the console script


@dataclass
class Up:
    """A running `rapport up` and what it printed (a reader thread collects the lines, so a
    `rapport up` that hangs silently fails the test instead of blocking it)."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    queue: Queue[str | None] = field(default_factory=Queue)

    def read_until(self, prefix: str) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not (self.lines and self.lines[-1].startswith(prefix)):
            try:
                line = self.queue.get(timeout=max(0.1, deadline - time.monotonic()))
            except Empty:
                raise AssertionError(f"no {prefix!r} from rapport up: {self.lines}") from None
            assert line is not None, f"rapport up exited: {self.lines}"
            self.lines.append(line)

    def stop(self) -> list[str]:
        """Ctrl-C; a clean exit; every line printed."""
        self.process.send_signal(signal.SIGINT)
        assert self.process.wait(60) == 0
        while (line := self.queue.get(timeout=10)) is not None:
            self.lines.append(line)
        return self.lines


def _pump(stream: IO[str], queue: Queue[str | None]) -> None:
    for line in stream:
        queue.put(line.rstrip("\n"))
    queue.put(None)


@contextmanager
def rapport_up(data: Path, port: int, *args: str) -> Iterator[Up]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {"RAPPORT_DATA_DIR": str(data), "RAPPORT_WORKER_SHUTDOWN_SECONDS": "2"}
    process = subprocess.Popen(
        [RAPPORT, "up", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    up = Up(process)
    try:
        assert process.stdout is not None
        threading.Thread(target=_pump, args=(process.stdout, up.queue), daemon=True).start()
        up.read_until("Press Ctrl-C")
        yield up
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def _ready(base: str) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "no /readyz"
        time.sleep(0.1)


def test_rapport_up_serves_persists_and_stops_cleanly(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    with rapport_up(data, port) as up:
        lines = up.lines
        assert f"Rapport is up: {base}" in lines
        assert f"  API docs:  {base}/schema" in lines
        assert f"  web page:  {base}/ui  (sign in with the API key)" in lines
        key = next(m.group(1) for line in lines if (m := re.search(r"API key:\s+(rpk_\S+)", line)))
        _ready(base)
        auth = {"Authorization": f"Bearer {key}"}
        ingested = httpx.post(
            f"{base}/v1/ingest",
            content=ndjson_events(60),
            headers=auth | {"Content-Type": "application/x-ndjson"},
        )
        assert ingested.status_code == 200, ingested.text
        score = ingested.json()["scores"]["mastodon/alice"]
        assert httpx.get(f"{base}/schema", timeout=10).status_code == 200

        # A user uploads a real export archive and sees its score appear.
        archive = zip_archive(tmp_path / "my-x-archive.zip").read_bytes()
        uploaded = httpx.post(
            f"{base}/v1/accounts/twitter/me/archive",
            content=archive,
            headers=auth | {"Content-Type": "application/zip"},
        )
        assert uploaded.status_code == 202, uploaded.text
        status_url = base + uploaded.json()["status_url"]
        deadline = time.monotonic() + START_TIMEOUT
        while (job := httpx.get(status_url, headers=auth).json())["state"] != "complete":
            assert job["state"] in {"queued", "running"}, job
            assert time.monotonic() < deadline, job
            time.sleep(0.1)
        scored = httpx.get(f"{base}/v1/accounts/twitter/{ARCHIVE_EGO}", headers=auth)
        assert scored.status_code == 200
        assert scored.json()["events"] == job["result"]["stored"] > 0
        assert scored.json()["score"] is not None
        tail = up.stop()
        assert tail[-1] == "Stopped."
    assert (data / "redis").is_dir()

    with rapport_up(data, port) as up:
        lines = up.lines
        assert not any("rpk_" in line for line in lines)  # the key is shown only once
        assert any("--new-key" in line for line in lines)
        _ready(base)
        account = httpx.get(f"{base}/v1/accounts/mastodon/alice", headers=auth)
        assert account.status_code == 200
        assert account.json()["events"] == 60
        assert account.json()["score"] == score
        up.stop()


def test_rapport_up_demo_loads_the_example_and_a_busy_port_is_one_line_exit_2(
    tmp_path: Path,
) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        taken = busy.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
        failed = subprocess.run(
            [RAPPORT, "up", "--port", str(taken)],
            capture_output=True,
            text=True,
            env=env | {"RAPPORT_DATA_DIR": str(tmp_path / "busy")},
            timeout=60,
        )
    assert failed.returncode == 2
    assert failed.stderr.startswith("rapport: error: cannot listen on 127.0.0.1:")
    assert len(failed.stderr.strip().splitlines()) == 1

    port = free_port()
    with rapport_up(tmp_path / "demo", port, "--demo") as up:
        lines = up.lines
        assert any(re.search(r"demo:\s+\d+ new example events", line) for line in lines)
        key = next(m.group(1) for line in lines if (m := re.search(r"API key:\s+(rpk_\S+)", line)))
        base = f"http://127.0.0.1:{port}"
        _ready(base)
        listed = httpx.get(f"{base}/v1/accounts", headers={"Authorization": f"Bearer {key}"})
        (account,) = listed.json()["accounts"]
        assert account["events"] > 0
        assert account["score"] > 0
        up.stop()


def _redis_pid(data: Path) -> int:
    client = redis_sync.Redis(unix_socket_path=str(data / "redis" / "redis.sock"))
    try:
        return int(client.info("server")["process_id"])  # type: ignore[index]
    finally:
        client.close()


def _events(base: str, auth: dict[str, str]) -> int:
    response = httpx.get(f"{base}/v1/accounts/mastodon/alice", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    return int(response.json()["events"])


def test_kill_9_of_redis_and_of_rapport_up_loses_nothing(tmp_path: Path) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    with rapport_up(data, port) as up:
        key = next(
            m.group(1) for line in up.lines if (m := re.search(r"API key:\s+(rpk_\S+)", line))
        )
        auth = {"Authorization": f"Bearer {key}"}
        _ready(base)
        ingested = httpx.post(
            f"{base}/v1/ingest",
            content=ndjson_events(40),
            headers=auth | {"Content-Type": "application/x-ndjson"},
        )
        assert ingested.status_code == 200
        first_redis = _redis_pid(data)
        os.kill(first_redis, signal.SIGKILL)
        up.read_until("Redis stopped unexpectedly")
        _ready(base)  # the private Redis was restarted, the API recovered by itself
        assert _redis_pid(data) != first_redis
        assert _events(base, auth) == 40

        orphan = _redis_pid(data)
        up.process.kill()  # SIGKILL: no clean-up at all, its Redis is left running
        up.process.wait(10)

    with rapport_up(data, port) as up:
        _ready(base)
        assert _redis_pid(data) != orphan  # the orphan was shut down, not shared
        assert _events(base, auth) == 40
        up.stop()
    with pytest.raises(redis_sync.ConnectionError):
        _redis_pid(data)  # a clean stop leaves no Redis behind
