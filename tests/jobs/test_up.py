"""`rapport up` as a user runs it: a subprocess on a free port with its own data directory;
wait for /readyz, use the printed key, ingest and score, Ctrl-C, start again, same data. Other
commands run next to it find its private Redis without RAPPORT_REDIS_URL, and the demo it
loads tells the offline demo's story, with a history.

Every process a test starts is in a process group of its own (`rapport up` with its Redis,
`rapport worker`), and the `groups` fixture kills every group when the test ends, so not even
the Redis that a SIGKILLed `rapport up` leaves behind outlives its test."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import stat
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
from tests.children import kill_group, popen
from tests.deadlines import scaled
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
        deadline = time.monotonic() + scaled(START_TIMEOUT)
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
        assert self.process.wait(scaled(60)) == 0
        while (line := self.queue.get(timeout=scaled(10))) is not None:
            self.lines.append(line)
        return self.lines


def _pump(stream: IO[str], queue: Queue[str | None]) -> None:
    for line in stream:
        queue.put(line.rstrip("\n"))
    queue.put(None)


#: The processes a test started, each leading its own process group (tests.children.popen).
Started = list["subprocess.Popen[str]"]


@pytest.fixture
def groups() -> Iterator[Started]:
    """Process groups started by the test, each killed whole when it ends."""
    started: Started = []
    try:
        yield started
    finally:
        for process in started:
            kill_group(process)


def _env(data: Path) -> dict[str, str]:
    """A user's environment: no RAPPORT_* but the data directory (so no RAPPORT_REDIS_URL)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    return env | {"RAPPORT_DATA_DIR": str(data), "RAPPORT_WORKER_SHUTDOWN_SECONDS": "2"}


@contextmanager
def rapport_up(groups: Started, data: Path, port: int, *args: str) -> Iterator[Up]:
    process = popen(  # its own process group, with the Redis it starts
        [RAPPORT, "up", "--port", str(port), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(data),
    )
    groups.append(process)
    up = Up(process)
    try:
        assert process.stdout is not None
        threading.Thread(target=_pump, args=(process.stdout, up.queue), daemon=True).start()
        up.read_until("Press Ctrl-C")
        yield up
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(scaled(10))


def _ready(base: str) -> None:
    deadline = time.monotonic() + scaled(START_TIMEOUT)
    while True:
        try:
            if httpx.get(f"{base}/readyz", timeout=scaled(2)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "no /readyz"
        time.sleep(0.1)


def test_rapport_up_serves_persists_and_stops_cleanly(tmp_path: Path, groups: Started) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    with rapport_up(groups, data, port) as up:
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
        assert httpx.get(f"{base}/schema", timeout=scaled(10)).status_code == 200

        # A user uploads a real export archive and sees its score appear.
        archive = zip_archive(tmp_path / "my-x-archive.zip").read_bytes()
        uploaded = httpx.post(
            f"{base}/v1/accounts/twitter/me/archive",
            content=archive,
            headers=auth | {"Content-Type": "application/zip"},
        )
        assert uploaded.status_code == 202, uploaded.text
        status_url = base + uploaded.json()["status_url"]
        deadline = time.monotonic() + scaled(START_TIMEOUT)
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

    with rapport_up(groups, data, port) as up:
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
    tmp_path: Path, groups: Started
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
            timeout=scaled(60),
        )
    assert failed.returncode == 2
    assert failed.stderr.startswith("rapport: error: cannot listen on 127.0.0.1:")
    assert len(failed.stderr.strip().splitlines()) == 1

    port = free_port()
    with rapport_up(groups, tmp_path / "demo", port, "--demo") as up:
        lines = up.lines
        assert any(re.search(r"demo:\s+\d+ new example events", line) for line in lines)
        key = next(m.group(1) for line in lines if (m := re.search(r"API key:\s+(rpk_\S+)", line)))
        base = f"http://127.0.0.1:{port}"
        _ready(base)
        auth = {"Authorization": f"Bearer {key}"}
        listed = httpx.get(f"{base}/v1/accounts", headers=auth)
        (account,) = listed.json()["accounts"]
        assert account["events"] > 0
        assert account["score"] > 0
        demo_account = f"{base}/v1/accounts/{account['platform']}/{account['account']}"

        # A history to draw: months of points, each the account scored at its own date.
        history = httpx.get(f"{demo_account}/score/history", headers=auth).json()["history"]
        dates = [point["as_of"] for point in history]
        assert len(dates) >= 6
        assert len(set(dates)) == len(dates)
        assert all(30 < point["score"] < 90 for point in history)
        assert history[0]["score"] == account["score"]

        # The server demo is the offline demo: the same rules, the same score, at one as_of.
        stored = httpx.get(f"{demo_account}/score", headers=auth).json()
        as_of = stored["as_of"].split(".")[0].rstrip("Z") + "Z"  # whole seconds, same day
        online = httpx.get(f"{demo_account}/score", params={"as_of": as_of}, headers=auth)
        assert online.status_code == 200, online.text
        offline = subprocess.run(
            [RAPPORT, "score", "--demo", "--as-of", as_of, "--format", "json"],
            capture_output=True,
            text=True,
            env=_env(tmp_path / "offline"),
            timeout=scaled(60),
        )
        assert offline.returncode == 0, offline.stderr
        server, local = online.json(), json.loads(offline.stdout)
        assert server["as_of"] == local["as_of"] == as_of
        rules = {rule["rule"]: rule["accounts"] for rule in local["rules_fired"]}
        assert "new_account" in rules
        assert {rule["rule"]: rule["accounts"] for rule in server["rules_fired"]} == rules
        assert {rule["rule"] for rule in stored["rules_fired"]} == set(rules)
        assert server["score"] == local["score"]
        up.stop()


def _redis_pid(data: Path) -> int:
    client = redis_sync.Redis(unix_socket_path=str(data / "redis" / "redis.sock"))
    try:
        return int(client.info("server")["process_id"])  # type: ignore[index]
    finally:
        client.close()


def _start(groups: Started, data: Path, *args: str) -> Queue[str | None]:
    """A long-running `rapport` command without RAPPORT_REDIS_URL, in its own process group
    (killed when the test ends); its stderr lines, None at the end."""
    process = popen(
        [RAPPORT, *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(data),
    )
    groups.append(process)
    lines: Queue[str | None] = Queue()
    assert process.stderr is not None
    threading.Thread(target=_pump, args=(process.stderr, lines), daemon=True).start()
    return lines


def _events(base: str, auth: dict[str, str]) -> int:
    response = httpx.get(f"{base}/v1/accounts/mastodon/alice", headers=auth, timeout=scaled(10))
    assert response.status_code == 200, response.text
    return int(response.json()["events"])


def test_kill_9_of_redis_and_of_rapport_up_loses_nothing(tmp_path: Path, groups: Started) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    with rapport_up(groups, data, port) as up:
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
        up.process.wait(scaled(10))

    with rapport_up(groups, data, port) as up:
        _ready(base)
        assert _redis_pid(data) != orphan  # the orphan was shut down, not shared
        assert _events(base, auth) == 40
        up.stop()
    with pytest.raises(redis_sync.ConnectionError):
        _redis_pid(data)  # a clean stop leaves no Redis behind


def _rapport(data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A `rapport` command as a user runs it next to `rapport up`: no RAPPORT_REDIS_URL."""
    return subprocess.run(
        [RAPPORT, *args], capture_output=True, text=True, env=_env(data), timeout=scaled(60)
    )


def test_commands_find_the_private_redis_of_rapport_up(tmp_path: Path, groups: Started) -> None:
    data, port = tmp_path / "data", free_port()
    base = f"http://127.0.0.1:{port}"
    redis_at = f"unix://{data / 'redis' / 'redis.sock'}"
    using = f"rapport: using the Redis of `rapport up` at {redis_at} (data dir {data})"
    record = data / "rapport-up.json"
    with rapport_up(groups, data, port) as up:
        assert f"  Redis:     {redis_at}" in up.lines
        assert stat.S_IMODE(record.stat().st_mode) == 0o600
        assert json.loads(record.read_text()) | {"started_at": 0} == {
            "pid": up.process.pid,
            "redis_url": redis_at,
            "api_url": base,
            "started_at": 0,
        }

        created = _rapport(data, "keys", "create", "--tenant", "acme")
        assert created.returncode == 0, created.stderr
        assert created.stderr.splitlines()[0] == using
        key = created.stdout.strip()
        _ready(base)
        # The key landed in the Redis `rapport up` serves from: its API accepts it.
        answer = httpx.get(f"{base}/v1/accounts", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200, answer.text
        listed = _rapport(data, "keys", "list", "--tenant", "acme")
        assert listed.stdout.split("\t")[0] == key.split("_")[1]
        assert listed.stderr.splitlines() == [using]

        # `rapport api` serves from it: the key made above works there too.
        api_port = free_port()
        assert _start(groups, data, "api", "--port", str(api_port)).get(timeout=scaled(60)) == using
        _ready(f"http://127.0.0.1:{api_port}")
        auth = {"Authorization": f"Bearer {key}"}
        assert httpx.get(f"http://127.0.0.1:{api_port}/v1/accounts", headers=auth).is_success

        # `rapport worker` connects to it (arq logs the server it reached).
        lines = _start(groups, data, "worker")
        assert lines.get(timeout=START_TIMEOUT) == using
        while "redis_version=" not in (line := lines.get(timeout=START_TIMEOUT) or ""):
            assert line, "rapport worker exited"
        up.stop()
    assert not record.exists()  # a clean stop takes its record away

    after = _rapport(data, "keys", "create", "--tenant", "acme")
    assert after.returncode == 2
    assert after.stderr == (
        "rapport: error: no Redis: set RAPPORT_REDIS_URL (e.g. redis://localhost:6379/0) or "
        f"start `rapport up` (no `rapport up` is running with data dir {data})\n"
    )


def test_a_killed_rapport_up_leaves_a_record_known_as_stale(
    tmp_path: Path, groups: Started
) -> None:
    data, port = tmp_path / "data", free_port()
    with rapport_up(groups, data, port) as up:
        killed = up.process.pid
        up.process.kill()  # SIGKILL: its record stays, and its Redis too (an orphan)
        up.process.wait(scaled(10))
    assert (data / "rapport-up.json").exists()
    assert _redis_pid(data) > 0  # the orphan answers: only the dead process tells it is stale

    stale = _rapport(data, "keys", "create", "--tenant", "acme")
    assert stale.returncode == 2
    assert stale.stderr == (
        "rapport: error: no Redis: set RAPPORT_REDIS_URL (e.g. redis://localhost:6379/0) or "
        f"start `rapport up` (the `rapport up` recorded in {data / 'rapport-up.json'} is not "
        f"usable: its process {killed} has exited)\n"
    )

    with rapport_up(groups, data, port) as up:  # a new one replaces the record
        found = _rapport(data, "keys", "list", "--tenant", "default")
        assert found.returncode == 0, found.stderr
        assert len(found.stdout.splitlines()) == 1  # the key of the first start
        up.stop()
