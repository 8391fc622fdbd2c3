"""API tests: the real app (litestar's TestClient runs its lifespan) on the worker's real
Redis, with two tenants' keys, so every route can be tried with the other tenant's key."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import msgspec
import pytest
import redis as redis_sync
from litestar import Litestar
from litestar.testing import TestClient
from redis.asyncio import Redis

from rapport.api import create_app
from rapport.settings import Settings
from rapport.storage import apikeys

NOW = 1_800_000_000.0  # 2027-01-15, after every test event


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@dataclass
class Api:
    client: TestClient[Litestar]
    acme: dict[str, str]
    rival: dict[str, str]
    acme_key: str
    redis: redis_sync.Redis
    clock: Clock


def make_keys(url: str, *tenants: str) -> list[str]:
    async def create() -> list[str]:
        client = Redis.from_url(url)
        try:
            return [(await apikeys.create(client, t, now=NOW))[0] for t in tenants]
        finally:
            await client.aclose()

    return asyncio.run(create())


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def make_api(redis_url: str) -> Iterator[Callable[..., Api]]:
    opened: list[tuple[TestClient[Litestar], redis_sync.Redis]] = []

    def build(**settings: Any) -> Api:
        acme_key, rival_key = make_keys(redis_url, "acme", "rival")
        clock = Clock()
        app = create_app(Settings(**settings), redis_url=redis_url, load_plugins=False, clock=clock)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        sync = redis_sync.Redis.from_url(redis_url)
        opened.append((client, sync))
        return Api(client, bearer(acme_key), bearer(rival_key), acme_key, sync, clock)

    yield build
    for client, sync in opened:
        client.__exit__(None, None, None)
        sync.close()


@pytest.fixture
def api(make_api: Callable[..., Api]) -> Api:
    return make_api()


def snapshot(client: redis_sync.Redis, match: str = "*") -> dict[str, Any]:
    """Every matching key's logical content (rate-limit counters excluded: they count
    requests, not data)."""
    out: dict[str, Any] = {}
    for key in client.scan_iter(match=match, count=1000):
        name = key.decode()
        if name.startswith("rapport:{rl:"):
            continue
        kind = client.type(key).decode()
        if kind == "string":
            out[name] = client.get(key)
        elif kind == "hash":
            out[name] = client.hgetall(key)
        elif kind == "zset":
            out[name] = client.zrange(key, 0, -1, withscores=True)
        elif kind == "list":
            out[name] = client.lrange(key, 0, -1)
        elif kind == "set":
            out[name] = sorted(client.smembers(key))
    return out


def ndjson_events(count: int, *, ego: str = "alice", platform: str = "mastodon") -> bytes:
    kinds = ["reply", "like", "message", "mention", "repost"]
    lines = []
    for i in range(count):
        day = 1 + i // 24
        event = {
            "platform": platform,
            "ego": ego,
            "counterpart": f"friend{i % 5}",
            "direction": "out" if i % 3 else "in",
            "kind": kinds[i % 5],
            "at": f"2026-03-{day:02d}T{i % 24:02d}:00:00Z",
            "event_id": f"ev{i}",
            "text_len": 60,
        }
        lines.append(msgspec.json.encode(event).decode())
    return ("\n".join(lines) + "\n").encode()


NDJSON = {"Content-Type": "application/x-ndjson"}
