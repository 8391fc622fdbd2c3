"""Shared pieces of the job tests: the X connector replayed from its recorded responses."""

from __future__ import annotations

import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import httpx

from rapport.plugins.host import ConnectorRegistry, load_connectors
from rapport.settings import Settings
from tests.connectors.twitter.replay import full_replay

BASE = "http://127.0.0.1:9"  # never contacted in-process: MockTransport answers
TOKEN = "test-bearer-token"  # a fake
TWITTER_ENV = {"RAPPORT_TWITTER_BASE_URL": BASE, "RAPPORT_TWITTER_TOKEN": TOKEN}
HANDLE = "Twitter"
EGO = "783214"  # @Twitter's account id in the recordings

Handler = Callable[[httpx.Request], httpx.Response]


def twitter_registry() -> ConnectorRegistry:
    registry = load_connectors(Settings(plugins_allow="twitter"))
    assert "twitter" in registry.connectors, registry.errors
    return registry


def replay() -> Handler:
    return full_replay()


def rate_limited_followers(reset_in: float = 3600.0) -> tuple[Handler, float]:
    """The full replay, but the followers list answers 429 until an hour from now."""
    reset = int(time.time() + reset_in)
    inner = full_replay()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/followers"):
            return httpx.Response(
                429,
                headers={
                    "x-rate-limit-limit": "15",
                    "x-rate-limit-remaining": "0",
                    "x-rate-limit-reset": str(reset),
                },
                json={"title": "Too Many Requests", "status": 429},
            )
        return inner(request)

    return handler, float(reset)


ARCHIVE_DIR = Path(__file__).resolve().parents[1] / "fixtures" / "twitter" / "handmade" / "archive"
ARCHIVE_EGO = "322603863"


def zip_archive(target: Path, source: Path = ARCHIVE_DIR) -> Path:
    """`source` (an export folder) zipped to `target`, as a user would upload it."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source).as_posix())
    return target
