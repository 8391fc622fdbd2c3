"""Web page tests: the real app on the worker's real Redis, with two tenants, driven by
litestar's test client (fast checks) or by headless Chromium (test_browser.py,
test_schema_browser.py) against `rapport api` as deployed."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import redis as redis_sync
from litestar import Litestar
from litestar.testing import TestClient
from playwright.sync_api import Browser, Page, expect, sync_playwright

from rapport.api import create_app
from rapport.redis_launcher import free_port
from rapport.settings import Settings
from tests.api.conftest import NDJSON, Clock, bearer, make_keys, ndjson_events
from tests.children import kill_group, popen
from tests.conftest import ROOT
from tests.deadlines import scaled

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_TIMEOUT = 60.0
WAIT_MS = 60_000  # a bound on waiting for the worker, not a timing assertion
expect.set_options(timeout=WAIT_MS)  # the same bound for Playwright's waiting assertions
ARTIFACTS = ROOT / "test-artifacts" / "web"
BIN = Path(sys.executable).parent


@dataclass
class Web:
    client: TestClient[Litestar]
    acme_key: str
    rival_key: str

    def csrf(self) -> str:
        """The CSRF token of the current session (set by the sign-in page)."""
        page = self.client.get("/ui/sign-in")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match is not None, page.text
        return match.group(1)

    def sign_in(self, key: str) -> None:
        answer = self.client.post(
            "/ui/sign-in",
            data={"api_key": key, "csrf_token": self.csrf()},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/ui/accounts"

    def ingest(self, key: str, *, ego: str = "alice", count: int = 60) -> None:
        answer = self.client.post(
            "/v1/ingest", content=ndjson_events(count, ego=ego), headers=bearer(key) | NDJSON
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def web(redis_url: str, tmp_path: Path) -> Iterator[Web]:
    acme_key, rival_key = make_keys(redis_url, "acme", "rival")
    app = create_app(
        Settings(upload_dir=str(tmp_path / "uploads")),
        redis_url=redis_url,
        load_plugins=False,
        clock=Clock(),
    )
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Web(client, acme_key, rival_key)


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis_sync.Redis]:
    client = redis_sync.Redis.from_url(redis_url)
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One Chromium for a module's tests, each in a fresh context (Playwright launches it
    with a fresh, temporary user-data-dir). Module scope, not session: Playwright's sync API
    keeps an event loop running in this thread while it is open, which would break other
    modules' `asyncio.run`."""
    if os.environ.get("RAPPORT_TEST_SKIP_BROWSER"):
        pytest.skip("RAPPORT_TEST_SKIP_BROWSER is set: browser tests NOT run (CI runs them)")
    if not Path(CHROMIUM).exists():
        raise AssertionError(f"{CHROMIUM} is missing: scripts/test installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


def _wait_ready(base: str, processes: list[subprocess.Popen[bytes]]) -> None:
    deadline = time.monotonic() + scaled(START_TIMEOUT)
    while True:
        for process in processes:
            assert process.poll() is None, f"{process.args} exited with {process.returncode}"
        try:
            if httpx.get(f"{base}/readyz", timeout=scaled(2)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert time.monotonic() < deadline, "the API did not become ready"
        time.sleep(0.1)


@contextmanager
def serve_rapport(redis_url: str, tmp_path: Path, *, worker: bool) -> Iterator[str]:
    """`rapport api` on a free loopback port (and `rapport worker`, sharing its upload
    directory, when asked), as deployed; yields the API's base URL and stops both."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_UPLOAD_DIR": str(tmp_path / "uploads"),
        "RAPPORT_WORKER_SHUTDOWN_SECONDS": "2",
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    commands = [["api", "--port", str(port)]] + ([["worker"]] if worker else [])
    processes: list[subprocess.Popen[bytes]] = []
    with ExitStack() as logs:
        try:
            for command in commands:
                log = logs.enter_context((tmp_path / f"{command[0]}.log").open("wb"))
                processes.append(
                    popen(
                        [str(BIN / "rapport"), *command],
                        env=env,
                        stdout=log,
                        stderr=subprocess.STDOUT,
                    )
                )
            _wait_ready(base, processes)
            yield base
        finally:
            for process in processes:
                kill_group(process, grace=30)


def shot(page: Page, name: str) -> None:
    """A full-page screenshot, kept in test-artifacts/web/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
