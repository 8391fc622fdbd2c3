"""Web page tests: the real app on the worker's real Redis, with two tenants, driven by
litestar's test client (fast checks) or by headless Chromium (test_browser.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis as redis_sync
from litestar import Litestar
from litestar.testing import TestClient

from rapport.api import create_app
from rapport.settings import Settings
from tests.api.conftest import NDJSON, Clock, bearer, make_keys, ndjson_events


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
