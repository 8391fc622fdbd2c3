"""`rapport api` started while its Redis is down (issue 18: it exited with code 2, and
Kubernetes put the pod into CrashLoopBackOff): it starts, answers /healthz, reports not-ready
on /readyz (503 problem+json) until Redis answers, and then serves, in the same process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx

from rapport.redis_launcher import RedisServer, free_port
from tests.api.conftest import bearer, make_keys
from tests.children import kill_group, popen
from tests.deadlines import scaled

RAPPORT = str(Path(sys.executable).parent / "rapport")


def _answer(url: str, process: subprocess.Popen[bytes], log: Path) -> httpx.Response:
    """The first answer of `url` (any status); fails if the process exits before."""
    deadline = time.monotonic() + scaled(60)
    while True:
        assert process.poll() is None, f"rapport api exited:\n{log.read_text()[-3000:]}"
        try:
            return httpx.get(url, timeout=scaled(10))
        except httpx.TransportError:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)


def test_api_starts_without_redis_and_serves_once_it_answers(tmp_path: Path) -> None:
    redis_port = free_port()
    server = RedisServer(tmp_path / "redis", port=redis_port)  # not started yet
    api_port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env["RAPPORT_REDIS_URL"] = f"redis://127.0.0.1:{redis_port}/0"
    log = tmp_path / "api.log"
    with log.open("wb") as out:
        process = popen([RAPPORT, "api", "--port", str(api_port)], env=env, stdout=out, stderr=out)
    base = f"http://127.0.0.1:{api_port}"
    try:
        assert _answer(f"{base}/healthz", process, log).status_code == 200
        down = httpx.get(f"{base}/readyz", timeout=scaled(10))
        assert down.status_code == 503
        assert down.headers["content-type"].startswith("application/problem+json")
        assert "Redis" in down.json()["title"] + down.json().get("detail", "")

        server.start()
        [key] = make_keys(server.url, "acme")
        deadline = time.monotonic() + scaled(60)
        while httpx.get(f"{base}/readyz", timeout=scaled(10)).status_code != 200:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"never ready:\n{log.read_text()[-3000:]}"
            time.sleep(0.1)
        served = httpx.get(f"{base}/v1/accounts", headers=bearer(key), timeout=scaled(10))
        assert served.status_code == 200, served.text
        assert process.poll() is None  # the same process: no restart was needed
    finally:
        kill_group(process)
        server.stop()
