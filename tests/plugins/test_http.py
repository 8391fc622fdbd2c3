"""The shared HTTP layer, replayed against real recorded responses (tests/plugins/fixtures).

Time is a fake clock whose `sleep` advances it: the tests check *what* was slept and *whether*
a request was sent, never how long anything took.
"""

from __future__ import annotations

import json
import logging
import random
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest

from rapport.errors import PlatformError, RateLimited
from rapport.plugins.connector import ConnectorConfig
from rapport.plugins.http import (
    PlatformHttp,
    next_link,
    next_utc_midnight,
    paginate,
    parse_rate_limit,
    parse_retry_after,
)

pytestmark = pytest.mark.anyio

HERE = Path(__file__).parent / "fixtures"
TOKEN = "AAAA-secret-bearer-token-do-not-leak"


def recording(name: str) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads((HERE / name).read_text())
    return data


def replay(entry: dict[str, Any]) -> httpx.Response:
    """An httpx response built from one recorded interaction, headers unchanged."""
    response = entry["response"]
    headers = {k: v for k, v in response["headers"].items() if k != "content-length"}
    return httpx.Response(response["status"], headers=headers, json=response["json"])


class FakeTime:
    """A clock and a sleep that advances it, so waits are observable and instant."""

    def __init__(self, start: datetime) -> None:
        self.now = start
        self.slept: list[float] = []

    def clock(self) -> datetime:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += timedelta(seconds=seconds)


class Server:
    """A MockTransport handler answering from a queue and recording what it was sent."""

    def __init__(self, *answers: httpx.Response | Callable[[httpx.Request], httpx.Response]):
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0)
        return answer(request) if callable(answer) else answer


def make_http(server: Server, time: FakeTime, **kwargs: Any) -> PlatformHttp:
    return PlatformHttp(
        transport=httpx.MockTransport(server),
        clock=time.clock,
        sleep=time.sleep,
        rng=random.Random(7),
        **kwargs,
    )


X_RECORDED_AT = datetime(2021, 4, 13, 3, 51, 13, tzinfo=UTC)
X_CONFIG = ConnectorConfig(base_url="https://api.x.test", token=TOKEN)


class User(msgspec.Struct):
    id: str
    username: str


class Meta(msgspec.Struct):
    result_count: int
    next_token: str | None = None


class Users(msgspec.Struct):
    data: list[User]
    meta: Meta


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


async def test_x_pages_by_next_token_and_books_the_rate_limit_headers() -> None:
    followers = recording("test_client_get_users_followers.json")[0]
    following = recording("test_client_get_users_following.json")[0]
    server = Server(replay(followers), replay(following))
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        api = http.bind("twitter", X_CONFIG)

        async def page(cursor: str | None) -> tuple[Users, str | None]:
            params = {"max_results": 100} | ({"pagination_token": cursor} if cursor else {})
            users = await api.get_json(
                "/2/users/783214/followers", Users, endpoint="followers", params=params
            )
            return users, users.meta.next_token

        pages = [p async for p in paginate(page)]

    assert [len(users.data) for users, _ in pages] == [100, 35]
    assert [cursor for _, cursor in pages] == ["5CS0O0C6II61EZZZ", None]
    assert server.requests[1].url.params["pagination_token"] == "5CS0O0C6II61EZZZ"
    assert server.requests[0].headers["authorization"] == f"Bearer {TOKEN}"
    state = api.rate_state("followers")
    assert state is not None
    assert (state.limit, state.remaining) == (15, 14)
    assert state.reset_at == datetime(2021, 4, 13, 4, 6, 13, tzinfo=UTC)  # epoch 1618286773
    assert time.slept == []


async def test_mastodon_link_header_and_iso_reset() -> None:
    entry = recording("mastodon_account_statuses.json")[0]
    server = Server(replay(entry), httpx.Response(200, json=[]))
    time = FakeTime(datetime(2026, 8, 1, 13, 0, tzinfo=UTC))
    config = ConnectorConfig(base_url="http://localhost:3000", token=TOKEN)
    async with make_http(server, time) as http:
        api = http.bind("mastodon", config)
        first = await api.get(
            "/api/v1/accounts/117020565966271181/statuses", params={"limit": 5}, endpoint="statuses"
        )
        url = next_link(first)
        assert url is not None
        last = await api.get(url, endpoint="statuses")
        assert next_link(last) is None
        state = api.rate_state("statuses")

    assert server.requests[1].url.params["max_id"] == "117020581882406424"
    assert state is not None
    assert state.limit == 300
    headers = entry["response"]["headers"]
    assert state.remaining == int(headers["x-ratelimit-remaining"])
    assert state.reset_at == datetime.fromisoformat(headers["x-ratelimit-reset"])


async def test_short_429_is_slept_with_jitter_then_retried() -> None:
    # Hand-made 429 with the real X header shape: the window resets in 3 s.
    reset = int(X_RECORDED_AT.timestamp()) + 3
    limited = httpx.Response(
        429,
        headers={
            "x-rate-limit-limit": "15",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
        json={"title": "Too Many Requests", "status": 429},
    )
    ok = replay(recording("test_client_get_users_following.json")[0])
    server = Server(limited, ok)
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time, max_sleep=5) as http:
        users = await http.bind("twitter", X_CONFIG).get_json(
            "/2/users/783214/following", Users, endpoint="following"
        )
    assert len(users.data) == 35
    assert len(server.requests) == 2
    assert len(time.slept) == 1
    assert 3 <= time.slept[0] <= 4  # the wait plus a little jitter, never more than a second


async def test_long_429_raises_rate_limited_at_once_and_books_it() -> None:
    reset = int(X_RECORDED_AT.timestamp()) + 900
    limited = httpx.Response(
        429,
        headers={
            "x-rate-limit-limit": "15",
            "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(reset),
        },
    )
    server = Server(limited)
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        api = http.bind("twitter", X_CONFIG)
        with pytest.raises(RateLimited) as caught:
            await api.get("/2/users/783214/followers", endpoint="followers")
        # The budget is booked: the next call is refused without asking the platform again.
        with pytest.raises(RateLimited):
            await api.get("/2/users/783214/followers", endpoint="followers")
        # Another endpoint has its own budget.
        server.answers.append(httpx.Response(200, json={"data": [], "meta": {"result_count": 0}}))
        await api.get("/2/users/783214/following", endpoint="following")

    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert caught.value.endpoint == "followers"
    assert caught.value.platform == "twitter"
    assert len(server.requests) == 2
    assert time.slept == []


async def test_remaining_zero_on_success_defers_the_next_call() -> None:
    entry = recording("test_client_get_users_following.json")[0]
    headers = dict(entry["response"]["headers"]) | {"x-rate-limit-remaining": "0"}
    exhausted = httpx.Response(200, headers=headers, json=entry["response"]["json"])
    server = Server(exhausted)
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        api = http.bind("twitter", X_CONFIG)
        await api.get("/2/users/783214/following", endpoint="following")
        with pytest.raises(RateLimited):
            await api.get("/2/users/783214/following", endpoint="following")
        # Once the window has passed, requests go out again.
        time.now = datetime.fromtimestamp(int(headers["x-rate-limit-reset"]) + 1, UTC)
        server.answers.append(replay(entry))
        await api.get("/2/users/783214/following", endpoint="following")
    assert len(server.requests) == 2


async def test_exhausted_budget_without_reset_uses_the_default_then_passes() -> None:
    # Hand-made: remaining 0 but no reset header; the platform default (60 s) is fixed once.
    server = Server(
        httpx.Response(200, headers={"x-ratelimit-remaining": "0"}, json={}),
        httpx.Response(200, json={}),
    )
    time = FakeTime(datetime(2026, 8, 1, 13, 0, tzinfo=UTC))
    async with make_http(server, time) as http:
        api = http.bind("mastodon", ConnectorConfig(base_url="https://social.test"))
        await api.get("/api/v1/timelines/home", endpoint="home")
        with pytest.raises(RateLimited) as caught:
            await api.get("/api/v1/timelines/home", endpoint="home")
        assert caught.value.reset_at == datetime(2026, 8, 1, 13, 1, tzinfo=UTC)
        time.now += timedelta(seconds=61)
        await api.get("/api/v1/timelines/home", endpoint="home")
    assert len(server.requests) == 2


async def test_rate_limits_are_booked_per_token() -> None:
    headers = {"x-rate-limit-remaining": "0", "x-rate-limit-reset": "1618287673"}
    server = Server(httpx.Response(200, headers=headers, json={}), httpx.Response(200, json={}))
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        await http.bind("twitter", X_CONFIG).get("/2/x", endpoint="e")
        other = ConnectorConfig(base_url="https://api.x.test", token="another-token")
        await http.bind("twitter", other).get("/2/x", endpoint="e")
    assert len(server.requests) == 2


async def test_linkedin_headerless_429_defers_to_next_utc_midnight() -> None:
    # Hand-made: LinkedIn's daily throttle answers a bare 429 with no rate-limit headers.
    server = Server(httpx.Response(429, json={"status": 429, "message": "Resource level throttle"}))
    time = FakeTime(datetime(2026, 11, 26, 14, 30, tzinfo=UTC))
    async with make_http(server, time) as http:
        api = http.bind("linkedin", ConnectorConfig(base_url="https://api.li.test", token=TOKEN))
        with pytest.raises(RateLimited) as caught:
            await api.get("/rest/memberSnapshotData", endpoint="snapshot")
    assert caught.value.reset_at == datetime(2026, 11, 27, tzinfo=UTC)
    assert len(server.requests) == 1


async def test_retry_after_seconds_is_honoured() -> None:
    server = Server(httpx.Response(429, headers={"Retry-After": "2"}), httpx.Response(200, json={}))
    time = FakeTime(datetime(2026, 11, 26, 14, 30, tzinfo=UTC))
    async with make_http(server, time) as http:
        api = http.bind("linkedin", ConnectorConfig(base_url="https://api.li.test"))
        await api.get("/rest/memberSnapshotData")
    assert len(server.requests) == 2
    assert len(time.slept) == 1
    assert 2 <= time.slept[0] <= 3


async def test_5xx_is_retried_then_succeeds() -> None:
    server = Server(httpx.Response(503), httpx.Response(502), httpx.Response(200, json={"ok": 1}))
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time, max_tries=3) as http:
        body = await http.bind("twitter", X_CONFIG).get_json("/2/x", dict[str, int])
    assert body == {"ok": 1}
    assert len(server.requests) == 3
    assert len(time.slept) == 2  # jittered back-off between the tries


async def test_persistent_5xx_gives_up_with_platform_error() -> None:
    server = Server(*(httpx.Response(503) for _ in range(3)))
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time, max_tries=3) as http:
        with pytest.raises(PlatformError) as caught:
            await http.bind("twitter", X_CONFIG).get("/2/x")
    assert caught.value.status == 503
    assert len(server.requests) == 3


async def test_connection_errors_are_retried_and_bounded() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    server = Server(refuse, refuse, refuse)
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time, max_tries=3) as http:
        with pytest.raises(PlatformError, match="connection failed"):
            await http.bind("twitter", X_CONFIG).get("/2/x")
    assert len(server.requests) == 3
    assert all(0 <= s <= 8 for s in time.slept)


async def test_errors_and_logs_never_carry_the_token(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    # The platform echoes the token back in its error body and the URL carries a query.
    answer = httpx.Response(401, json={"error": f"invalid token {TOKEN}"})
    server = Server(httpx.Response(500), answer)
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        api = http.bind("twitter", X_CONFIG)
        with pytest.raises(PlatformError) as caught:
            await api.get("/2/users/me", params={"access_token": TOKEN})
    error = caught.value
    assert error.status == 401
    assert TOKEN not in str(error)
    assert error.url == "https://api.x.test/2/users/me"
    assert "[redacted]" in str(error)
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(api)


async def test_token_is_never_sent_to_another_origin() -> None:
    server = Server()
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        api = http.bind("mastodon", ConnectorConfig(base_url="https://social.test", token=TOKEN))
        with pytest.raises(PlatformError, match="another origin"):
            await api.get("https://evil.test/api/v1/accounts/1/statuses?max_id=2")
    assert server.requests == []
    async with make_http(server, time) as http:
        api = http.bind("mastodon", ConnectorConfig(token=TOKEN))  # no base URL to compare
        with pytest.raises(PlatformError, match="another origin"):
            await api.get("https://evil.test/api/v1/accounts")
    assert server.requests == []


async def test_unreadable_body_is_a_platform_error() -> None:
    server = Server(httpx.Response(200, content=b'{"data": [tru'))
    time = FakeTime(X_RECORDED_AT)
    async with make_http(server, time) as http:
        with pytest.raises(PlatformError, match="unreadable response body"):
            await http.bind("twitter", X_CONFIG).get_json("/2/x", Users)


async def test_relative_url_without_base_url_is_a_clear_error() -> None:
    async with make_http(Server(), FakeTime(X_RECORDED_AT)) as http:
        with pytest.raises(PlatformError, match="no base URL"):
            await http.bind("bluesky", ConnectorConfig()).get("/xrpc/app.bsky.graph.getFollows")


async def test_paginate_stops_on_a_repeated_cursor_and_at_max_pages() -> None:
    calls: list[str | None] = []

    async def stuck(cursor: str | None) -> tuple[int, str | None]:
        calls.append(cursor)
        return len(calls), "same"

    assert [p async for p, _ in paginate(stuck)] == [1, 2]
    assert calls == [None, "same"]

    async def endless(cursor: int | None) -> tuple[int, int | None]:
        return (cursor or 0), (cursor or 0) + 1

    assert [p async for p, _ in paginate(endless, max_pages=3)] == [0, 1, 2]


def test_header_parsing_variants() -> None:
    now = datetime(2026, 1, 1, tzinfo=UTC)
    draft = parse_rate_limit(
        httpx.Headers({"RateLimit-Remaining": "0", "RateLimit-Reset": "30"}), now
    )
    assert draft is not None
    assert draft.reset_at == now + timedelta(seconds=30)
    garbage = parse_rate_limit(httpx.Headers({"x-rate-limit-remaining": "many"}), now)
    assert garbage is None
    date = parse_retry_after(httpx.Headers({"Retry-After": "Thu, 01 Jan 2026 00:01:00 GMT"}), now)
    assert date == now + timedelta(minutes=1)
    assert parse_retry_after(httpx.Headers({"Retry-After": "soon"}), now) is None
    assert next_utc_midnight(datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == datetime(
        2026, 3, 2, tzinfo=UTC
    )
