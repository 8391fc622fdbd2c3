"""The Python client against the real app served by uvicorn on a free loopback port, on the
worker's real Redis."""

from __future__ import annotations

import asyncio
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
import uvicorn

from rapport.api import create_app
from rapport.client import (
    AsyncRapportClient,
    BadRequestError,
    NotFoundError,
    RapportClient,
    RateLimitedError,
    ServiceUnavailableError,
    UnauthorizedError,
)
from rapport.model import AccountRef, Direction, Interaction, Kind, Profile
from rapport.settings import Settings
from tests.api.conftest import Clock, make_keys
from tests.deadlines import scaled

T0 = datetime(2026, 3, 1, tzinfo=UTC)


def _events(count: int, ego: str = "alice") -> list[Interaction]:
    kinds = [Kind.REPLY, Kind.MESSAGE, Kind.LIKE, Kind.MENTION]
    return [
        Interaction(
            platform="mastodon",
            ego=ego,
            counterpart=f"friend{i % 6}",
            direction=Direction.OUT if i % 2 else Direction.IN,
            kind=kinds[i % 4],
            at=T0 + timedelta(hours=7 * i),
            event_id=f"c{i}",
            text_len=50,
        )
        for i in range(count)
    ]


class Served:
    def __init__(self, base_url: str, keys: list[str], clock: Clock) -> None:
        self.base_url, self.keys, self.clock = base_url, keys, clock


@pytest.fixture
def serve(redis_url: str) -> Iterator[Callable[..., Served]]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(**settings: object) -> Served:
        clock = Clock()
        app = create_app(Settings(**settings), redis_url=redis_url, load_plugins=False, clock=clock)  # type: ignore[arg-type]
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)
        )
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(500):
            if server.started:
                break
            threading.Event().wait(scaled(0.01))
        assert server.started
        servers.append((server, thread))
        return Served(f"http://127.0.0.1:{port}", make_keys(redis_url, "acme", "rival"), clock)

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def test_sync_client_end_to_end(serve: Callable[..., Served]) -> None:
    served = serve(events_retention_days=3650)
    acme_key, rival_key = served.keys
    with RapportClient(served.base_url, api_key=acme_key) as rapport:
        assert rapport.ready()
        assert rapport.track("mastodon", "alice").events == 0
        result = rapport.ingest(_events(80))
        assert result.accepted == 80
        assert rapport.ingest(_events(80)).duplicates == 80
        report = rapport.score("mastodon", "alice")
        assert report.ego == "alice"
        assert report.score == result.scores["mastodon/alice"]
        past = rapport.score("mastodon", "alice", as_of=T0 + timedelta(days=5), top=1)
        assert len(past.relationships) <= 1
        many = rapport.scores([("mastodon", "alice")] + [("x", str(i)) for i in range(1500)])
        assert len(many) == 1501
        assert many[0].status == "ok"
        assert many[0].score == report.score
        assert {item.status for item in many[1:]} == {"not_found"}
        assert len(rapport.history("mastodon", "alice").history) == 1
        assert rapport.list_accounts().total == 1
        hook = rapport.create_webhook("https://hooks.example/a", threshold=2)
        assert [h.id for h in rapport.webhooks().webhooks] == [hook.id]
        rapport.delete_webhook(hook.id)
        assert rapport.connectors().connectors == []
        with RapportClient(served.base_url, api_key=rival_key) as rival:
            with pytest.raises(NotFoundError) as caught:
                rival.score("mastodon", "alice")
            assert caught.value.problem.status == 404
        rapport.delete_account("mastodon", "alice")
        with pytest.raises(NotFoundError):
            rapport.account("mastodon", "alice")


def test_async_client(serve: Callable[..., Served]) -> None:
    served = serve(events_retention_days=3650)

    async def run() -> None:
        async with AsyncRapportClient(served.base_url, api_key=served.keys[0]) as rapport:
            assert await rapport.ready()
            result = await rapport.ingest(_events(40, ego="bob"))
            assert result.accounts[0].account == "bob"
            report = await rapport.score("mastodon", "bob")
            [item] = await rapport.scores([AccountRef("mastodon", "bob")])
            assert item.score == report.score
            assert (await rapport.account("mastodon", "bob")).events == 40
            with pytest.raises(BadRequestError) as caught:
                await rapport.track("Not A Platform", "x")
            assert caught.value.problem.errors
            assert caught.value.problem.errors[0]["field"] == "platform"

    asyncio.run(run())


def test_wrong_key(serve: Callable[..., Served]) -> None:
    served = serve()
    with (
        RapportClient(served.base_url, api_key="rpk_wrong") as rapport,
        pytest.raises(UnauthorizedError, match="HTTP 401"),
    ):
        rapport.list_accounts()


def test_429_is_retried_after_retry_after(serve: Callable[..., Served]) -> None:
    served = serve(rate_limit_per_minute=2)
    served.clock.now = 1_800_000_030.0  # 30 s into a one-minute window
    waited: list[float] = []

    def sleep(seconds: float) -> None:  # the server's clock moves as the client waits
        waited.append(seconds)
        served.clock.now += seconds

    with RapportClient(served.base_url, api_key=served.keys[0], sleep=sleep) as rapport:
        for _ in range(3):
            rapport.list_accounts()
    assert waited == [30.0]
    served.clock.now = 1_800_000_160.0  # a fresh window, 20 s before its end
    with RapportClient(
        served.base_url, api_key=served.keys[0], sleep=sleep, max_retries=0
    ) as rapport:
        rapport.list_accounts()
        rapport.list_accounts()
        with pytest.raises(RateLimitedError) as caught:
            rapport.list_accounts()
    assert caught.value.retry_after == 20.0


def test_503_with_an_http_date_is_retried_then_raised() -> None:
    calls: list[int] = []
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=120), usegmt=True)

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        problem = {"type": "about:blank", "title": "Service Unavailable", "status": 503}
        return httpx.Response(503, json=problem, headers={"Retry-After": when})

    waited: list[float] = []
    with (
        RapportClient(
            "http://rapport.test",
            api_key="k",
            transport=httpx.MockTransport(handler),
            sleep=waited.append,
            max_retries=2,
            max_retry_wait=90,
        ) as rapport,
        pytest.raises(ServiceUnavailableError),
    ):
        rapport.connectors()
    assert len(calls) == 3
    assert waited == [90, 90]  # about 120 s, capped by max_retry_wait


def test_connection_refused_is_retried_with_backoff() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    waited: list[float] = []
    with (
        RapportClient(
            f"http://127.0.0.1:{port}", api_key="k", sleep=waited.append, max_retries=2
        ) as rapport,
        pytest.raises(httpx.ConnectError),
    ):
        rapport.list_accounts()
    assert waited == [0.5, 1.0]


def _suspicious(count: int) -> list[Profile]:
    """Counterparts of `_events` that trip the authenticity rules (mass following, no
    followers, default avatar)."""
    return [
        Profile(
            platform="mastodon",
            account=f"friend{i}",
            followers_count=0,
            following_count=9000,
            default_avatar=True,
        )
        for i in range(count)
    ]


def test_push_profiles(serve: Callable[..., Served]) -> None:
    served = serve(events_retention_days=3650)
    acme_key, rival_key = served.keys
    with RapportClient(served.base_url, api_key=acme_key) as rapport:
        prior = rapport.ingest(_events(80)).scores["mastodon/alice"]
        ego = Profile(platform="mastodon", account="alice", following_count=120)
        result = rapport.push_profiles("mastodon", "alice", [ego, *_suspicious(6)])
        assert result.stored == 7
        report = rapport.score("mastodon", "alice")
        # Before, no profile was known: authenticity was not measurable and earned nothing (the
        # one-way events earn nothing else). Now it is measured, and at 0.
        assert report.score == result.score <= prior
        assert report.components["authenticity"].measurable
        assert report.components["authenticity"].value == 0.0
        with pytest.raises(BadRequestError) as caught:
            rapport.push_profiles("mastodon", "alice", [Profile(platform="x", account="a")])
        assert caught.value.problem.errors == [
            {"field": "platform", "line": "1", "message": caught.value.problem.errors[0]["message"]}
        ]
        with pytest.raises(NotFoundError):
            rapport.push_profiles("mastodon", "nobody", [ego])
        with (
            RapportClient(served.base_url, api_key=rival_key) as rival,
            pytest.raises(NotFoundError),
        ):
            rival.push_profiles("mastodon", "alice", _suspicious(1))
        assert rapport.score("mastodon", "alice").score == result.score


def test_async_push_profiles(serve: Callable[..., Served]) -> None:
    served = serve(events_retention_days=3650)

    async def run() -> None:
        async with AsyncRapportClient(served.base_url, api_key=served.keys[0]) as rapport:
            prior = (await rapport.ingest(_events(40, ego="bob"))).scores["mastodon/bob"]
            result = await rapport.push_profiles("mastodon", "bob", _suspicious(6))
            assert result.stored == 6
            assert result.score <= prior
            report = await rapport.score("mastodon", "bob")
            assert report.score == result.score
            assert report.components["authenticity"].value == 0.0

    asyncio.run(run())
