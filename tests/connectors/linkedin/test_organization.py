"""The Community Management API client for organisation pages, over HTTP.

No real recording exists: every page in tests/fixtures/linkedin/community/ is HAND-MADE in the
shape of the response examples of LinkedIn's Community Management API documentation (Posts API
`q=author`, Comments API `socialActions/{urn}/comments`, Reactions API `q=entity`). People,
posts and texts are invented.
"""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from rapport.errors import PlatformError, RateLimited
from rapport.model import Direction, Kind
from rapport.plugins.connector import FetchPage
from rapport.plugins.http import PlatformHttp
from rapport_connectors.linkedin import LinkedInConfig, LinkedInConnector
from rapport_connectors.linkedin.organization import member_id, organization_id

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin" / "community"
BASE = "https://api.linkedin.test"
TOKEN = "test-token-not-a-secret"
NOW = datetime(2026, 8, 1, 13, 0, tzinfo=UTC)
CONNECTOR = LinkedInConnector()
ORG = "urn:li:organization:12345"
P1 = "urn:li:share:7000000000000000001"
P2 = "urn:li:ugcPost:7000000000000000002"
P3 = "urn:li:share:7000000000000000003"
A1 = "urn:li:activity:7000000000000000101"
Route = tuple[int, Any]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def routes() -> dict[tuple[str, str], Route]:
    """(decoded path, start) -> (status, body)."""
    empty = (200, load("empty.json"))
    return {
        ("/rest/posts", "0"): (200, load("posts_page1.json")),
        ("/rest/posts", "2"): (200, load("posts_page2.json")),
        (f"/rest/socialActions/{P1}/comments", "0"): (200, load("comments_share1_page1.json")),
        (f"/rest/socialActions/{P1}/comments", "3"): (200, load("comments_share1_page2.json")),
        (f"/rest/reactions/(entity:{P1})", "0"): (200, load("reactions_share1.json")),
        (f"/rest/socialActions/{P2}/comments", "0"): empty,
        (f"/rest/reactions/(entity:{P2})", "0"): (200, load("reactions_ugcpost2.json")),
        (f"/rest/socialActions/{P3}/comments", "0"): empty,
        (f"/rest/reactions/(entity:{P3})", "0"): empty,
    }


class Server:
    def __init__(self, table: dict[tuple[str, str], Route]) -> None:
        self.table = table
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        key = (request.url.path, request.url.params.get("start", "0"))
        if key not in self.table:
            raise AssertionError(f"unexpected request {request.url}")
        status, body = self.table[key]
        return httpx.Response(status, json=body)

    def sent(self) -> list[tuple[str, str]]:
        return [(r.url.path, r.url.params.get("start", "0")) for r in self.requests]


def run(
    server: Server, *, account: str = ORG, since: str | None = None, max_posts: int = 20
) -> FetchPage:
    async def sleep(seconds: float) -> None:
        raise AssertionError(f"no wait expected, asked for {seconds}s")

    async def go() -> list[FetchPage]:
        async with PlatformHttp(
            transport=httpx.MockTransport(server.handler),
            clock=lambda: NOW,
            sleep=sleep,
            rng=random.Random(3),
        ) as http:
            config = LinkedInConfig(base_url=BASE, token=TOKEN, max_posts=max_posts)
            fetched = CONNECTOR.fetch(account, http=http, config=config, since=since)
            return [p async for p in fetched]

    pages = asyncio.run(go())
    return FetchPage(
        interactions=[i for p in pages for i in p.interactions],
        profiles=[x for p in pages for x in p.profiles],
        missing=[m for p in pages for m in p.missing],
        cursor=pages[-1].cursor,
    )


def test_account_forms() -> None:
    assert organization_id("urn:li:organization:12345") == "12345"
    assert organization_id(" org:12345 ") == "12345"
    assert organization_id("tom-cruise") is None
    assert organization_id("urn:li:organization:abc") is None
    assert member_id("urn:li:person:abc") == "abc"
    assert member_id("urn:li:organization:1") is None


def test_comments_and_reactions_map_with_the_page_as_ego() -> None:
    server = Server(routes())
    page = run(server)

    got = [
        (i.at.isoformat(), i.kind, i.direction, i.counterpart, i.event_id, i.text_len)
        for i in page.interactions
    ]
    assert got == [
        (
            "2024-06-02T07:00:00+00:00",
            Kind.LIKE,
            Direction.IN,
            "dEvR4o04",
            f"urn:li:reaction:(urn:li:person:dEvR4o04,{P2})",
            None,
        ),
        (
            "2024-06-03T08:45:00+00:00",
            Kind.LIKE,
            Direction.IN,
            "aNa5ilva01",
            f"urn:li:reaction:(urn:li:person:aNa5ilva01,{P1})",
            None,
        ),
        (
            "2024-06-03T09:00:00+00:00",
            Kind.REPLY,
            Direction.IN,
            "aNa5ilva01",
            f"urn:li:comment:({A1},7000000000000000201)",
            len("Is remote work possible for these roles?"),
        ),
        (  # the page answers Ana's comment
            "2024-06-03T10:30:00+00:00",
            Kind.REPLY,
            Direction.OUT,
            "aNa5ilva01",
            f"urn:li:comment:({A1},7000000000000000202)",
            len("Hi Ana, yes: two of the three are fully remote."),
        ),
        (
            "2024-06-03T11:00:00+00:00",
            Kind.REPLY,
            Direction.IN,
            "bEnK0h02",
            f"urn:li:comment:({A1},7000000000000000203)",
            len("Shared with my team!"),
        ),
        (
            "2024-06-03T13:00:00+00:00",
            Kind.LIKE,
            Direction.IN,
            "cHl0eM03",
            f"urn:li:reaction:(urn:li:person:cHl0eM03,{P1})",
            None,
        ),
    ]
    assert {i.ego for i in page.interactions} == {"org:12345"}
    assert {i.platform for i in page.interactions} == {"linkedin"}
    # the page's own reaction and top-level comment are no relationship; another page's
    # comment is not a member's: that one is counted as left out
    missing = {m.data for m in page.missing}
    assert "1 comments or reactions by other pages or without a known author" in missing
    assert [p.account for p in page.profiles] == ["org:12345"]
    assert page.cursor == "2024-06-03T13:00:00+00:00"

    assert server.sent() == [
        ("/rest/posts", "0"),
        ("/rest/posts", "2"),  # paging.links rel=next
        (f"/rest/socialActions/{P1}/comments", "0"),
        (f"/rest/socialActions/{P1}/comments", "3"),  # paging.total says more remain
        (f"/rest/reactions/(entity:{P1})", "0"),
        (f"/rest/socialActions/{P2}/comments", "0"),
        (f"/rest/reactions/(entity:{P2})", "0"),
        (f"/rest/socialActions/{P3}/comments", "0"),
        (f"/rest/reactions/(entity:{P3})", "0"),
    ]
    first = server.requests[0]
    assert first.url.params["q"] == "author"
    assert first.url.params["author"] == ORG
    assert server.requests[4].url.params["q"] == "entity"
    for request in server.requests:
        assert request.headers["LinkedIn-Version"] == "202312"
        assert request.headers["X-Restli-Protocol-Version"] == "2.0.0"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    # Rest.li 2.0: the URN inside the path is percent-encoded
    assert b"urn%3Ali%3Ashare%3A7000000000000000001" in server.requests[2].url.raw_path


def test_short_account_form_and_refresh_give_the_same_ids() -> None:
    full = run(Server(routes()))
    short = run(Server(routes()), account="org:12345")
    assert [i.event_id for i in short.interactions] == [i.event_id for i in full.interactions]
    later = run(Server(routes()), since="2024-06-03T10:30:00+00:00")
    assert [i.at.isoformat() for i in later.interactions] == [
        "2024-06-03T10:30:00+00:00",
        "2024-06-03T11:00:00+00:00",
        "2024-06-03T13:00:00+00:00",
    ]
    assert later.cursor == full.cursor


def test_max_posts_bounds_the_posts_read() -> None:
    server = Server(routes())
    page = run(server, max_posts=1)
    assert [p for p, _ in server.sent()] == [
        "/rest/posts",
        f"/rest/socialActions/{P1}/comments",
        f"/rest/socialActions/{P1}/comments",
        f"/rest/reactions/(entity:{P1})",
    ]
    assert {i.thread_id for i in page.interactions} == {A1, P1}


@pytest.mark.parametrize("status", [401, 403])
def test_refused_posts_are_missing_not_an_error(status: int) -> None:
    table = routes()
    table["/rest/posts", "0"] = (
        status,
        {"message": "Not enough permissions to access: posts.FINDER-author", "status": status},
    )
    server = Server(table)
    page = run(server)
    assert page.interactions == []
    assert f"posts, comments and reactions of {ORG}" in {m.data for m in page.missing}
    assert server.sent() == [("/rest/posts", "0")]


def test_refused_comments_cost_only_the_comments() -> None:
    table = routes()
    table[f"/rest/socialActions/{P1}/comments", "0"] = (403, {"status": 403})
    page = run(Server(table))
    assert {i.kind for i in page.interactions} == {Kind.LIKE}
    assert len(page.interactions) == 3
    assert f"comments on some posts of {ORG}" in {m.data for m in page.missing}


def test_header_less_429_is_rate_limited_until_utc_midnight() -> None:
    table = routes()
    table[f"/rest/reactions/(entity:{P1})", "0"] = (
        429,
        {"message": "Resource level throttle limit reached", "status": 429},
    )
    with pytest.raises(RateLimited) as info:
        run(Server(table))
    assert info.value.reset_at == datetime(2026, 8, 2, tzinfo=UTC)
    assert info.value.platform == "linkedin"


def test_not_found_post_is_an_error_naming_the_status() -> None:
    table = routes()
    table[f"/rest/reactions/(entity:{P2})", "0"] = (404, {"status": 404})
    with pytest.raises(PlatformError) as info:
        run(Server(table))
    assert info.value.status == 404
    assert TOKEN not in str(info.value)


def test_no_token_names_the_community_management_api() -> None:
    server = Server(routes())

    async def go() -> None:
        async with PlatformHttp(transport=httpx.MockTransport(server.handler)) as http:
            fetched = CONNECTOR.fetch(ORG, http=http, config=LinkedInConfig(base_url=BASE))
            [p async for p in fetched]

    with pytest.raises(PlatformError, match="Community Management API"):
        asyncio.run(go())
    assert server.requests == []
