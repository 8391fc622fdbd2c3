"""The Member Data Portability API client over HTTP, through the shared `PlatformHttp`.

No real LinkedIn recording exists under a usable licence: the PROFILE page is LinkedIn's own
documentation sample (tests/fixtures/linkedin/memberSnapshotData_PROFILE.docs-sample.json);
CONNECTIONS and INBOX pages are HAND-MADE in its shape (tests/fixtures/linkedin/api/), with the
export's column names, as the API returns them.
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

from rapport.errors import InputError, PlatformError, RateLimited
from rapport.model import Direction, Kind
from rapport.plugins.connector import FetchPage
from rapport.plugins.http import PlatformHttp
from rapport_connectors.linkedin import LinkedInConfig, LinkedInConnector

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "linkedin"
BASE = "https://api.linkedin.test"
TOKEN = "test-token-not-a-secret"
NOW = datetime(2026, 8, 1, 13, 0, tzinfo=UTC)
CONNECTOR = LinkedInConnector()
Route = tuple[int, Any]


def load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def routes() -> dict[tuple[str, str], Route]:
    """(domain, start) -> (status, body)."""
    return {
        ("PROFILE", "0"): (200, load("memberSnapshotData_PROFILE.docs-sample.json")),
        # the sample's next link (start=1): LinkedIn answers "no more data" with a 404
        ("PROFILE", "1"): (404, {"message": "No data found for the member", "status": 404}),
        ("CONNECTIONS", "0"): (200, load("api/connections.json")),
        ("INBOX", "0"): (200, load("api/inbox_page1.json")),
        ("INBOX", "1"): (200, load("api/inbox_page2.json")),
    }


class Server:
    def __init__(self, table: dict[tuple[str, str], Route]) -> None:
        self.table = table
        self.requests: list[httpx.Request] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        assert request.url.path == "/rest/memberSnapshotData"
        assert request.url.params["q"] == "criteria"
        key = (request.url.params["domain"], request.url.params.get("start", "0"))
        status, body = self.table[key]
        return httpx.Response(status, json=body)


def run(
    server: Server,
    *,
    token: str | None = TOKEN,
    account: str = "tom-cruise",
    since: str | None = None,
) -> FetchPage:
    """The pages of one fetch, merged (network first, then messages; the last cursor)."""

    async def sleep(seconds: float) -> None:
        raise AssertionError(f"no wait expected, asked for {seconds}s")

    async def go() -> list[FetchPage]:
        async with PlatformHttp(
            transport=httpx.MockTransport(server.handler),
            clock=lambda: NOW,
            sleep=sleep,
            rng=random.Random(3),
        ) as http:
            config = LinkedInConfig(base_url=BASE, token=token)
            fetched = CONNECTOR.fetch(account, http=http, config=config, since=since)
            return [p async for p in fetched]

    pages = asyncio.run(go())
    assert len(pages) == 2
    assert pages[0].interactions == []
    return FetchPage(
        interactions=[i for p in pages for i in p.interactions],
        profiles=[x for p in pages for x in p.profiles],
        missing=[m for p in pages for m in p.missing],
        cursor=pages[-1].cursor,
    )


def test_snapshot_domains_map_to_profiles_and_messages() -> None:
    server = Server(routes())
    page = run(server)

    assert [(i.at.date().isoformat(), i.direction, i.counterpart) for i in page.interactions] == [
        ("2024-06-03", Direction.IN, "ana-silva"),
        ("2024-06-03", Direction.OUT, "ana-silva"),
        ("2024-06-04", Direction.IN, "ana-silva"),
        ("2024-06-05", Direction.IN, "rajpatel"),
    ]
    assert {i.kind for i in page.interactions} == {Kind.MESSAGE}
    assert all(i.ego == "tom-cruise" for i in page.interactions)
    assert page.interactions[0].thread_id == "2-ANA"

    profiles = {p.account: p for p in page.profiles}
    ego = profiles["tom-cruise"]
    assert ego.display_name == "Tom Cruise"
    assert ego.bio == "Marketing Manager at Microsoft, Inc."
    assert ego.following_count == 2
    assert profiles["ana-silva"].bio == "Product Manager at Contoso"

    sent = [(r.url.params["domain"], r.url.params.get("start", "0")) for r in server.requests]
    assert sent == [
        ("PROFILE", "0"),
        ("PROFILE", "1"),
        ("CONNECTIONS", "0"),
        ("INBOX", "0"),
        ("INBOX", "1"),
    ]
    for request in server.requests:
        assert request.headers["LinkedIn-Version"] == "202312"
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert page.cursor == "2024-06-05T18:30:00+00:00"  # the newest message


def test_refresh_from_the_cursor_keeps_only_newer_messages() -> None:
    page = run(Server(routes()), since="2024-06-04T10:00:00+00:00")
    assert [i.at.isoformat() for i in page.interactions] == [
        "2024-06-04T10:00:00+00:00",
        "2024-06-05T18:30:00+00:00",
    ]
    assert page.cursor == "2024-06-05T18:30:00+00:00"
    with pytest.raises(InputError, match="cursor"):
        run(Server(routes()), since="yesterday")


def test_same_messages_from_api_and_export_get_the_same_ids() -> None:
    from rapport_connectors.linkedin.mapping import Mapper
    from rapport_connectors.linkedin.tables import Row

    page = run(Server(routes()))
    rows = [
        Row({k.upper(): v for k, v in record.items()}, n)
        for n, record in enumerate(
            load("api/inbox_page1.json")["elements"][0]["snapshotData"]
            + load("api/inbox_page2.json")["elements"][0]["snapshotData"]
        )
    ]
    mapper = Mapper()
    mapper.add_messages(rows)
    keys = {"tom-cruise", *mapper.find_ego("Tom Cruise")}
    assert {i.event_id for i in mapper.messages("tom-cruise", keys)} == {
        i.event_id for i in page.interactions
    }


def test_header_less_429_is_rate_limited_until_utc_midnight() -> None:
    table = routes()
    table["CONNECTIONS", "0"] = (
        429,
        {"message": "Resource level throttle limit reached", "status": 429},
    )
    with pytest.raises(RateLimited) as info:
        run(Server(table))
    assert info.value.reset_at == datetime(2026, 8, 2, tzinfo=UTC)
    assert info.value.platform == "linkedin"


def test_missing_domain_is_reported_not_raised() -> None:
    table = routes()
    table["CONNECTIONS", "0"] = (404, {"message": "No data found for the member", "status": 404})
    page = run(Server(table))
    assert "CONNECTIONS snapshot" in {m.data for m in page.missing}
    assert len(page.interactions) == 4
    assert next(p for p in page.profiles if p.account == "tom-cruise").following_count is None


def test_refused_token_is_a_platform_error_without_the_token() -> None:
    table = routes()
    table["PROFILE", "0"] = (401, {"message": "Invalid access token", "status": 401})
    with pytest.raises(PlatformError) as info:
        run(Server(table))
    assert info.value.status == 401
    assert TOKEN not in str(info.value)


def test_no_token_is_an_error_before_any_request() -> None:
    server = Server(routes())
    with pytest.raises(PlatformError, match="RAPPORT_LINKEDIN_TOKEN"):
        run(server, token=None)
    assert server.requests == []


def test_profile_url_as_account_names_the_ego_by_its_slug() -> None:
    page = run(Server(routes()), account="https://www.linkedin.com/in/Tom-Cruise/")
    assert {i.ego for i in page.interactions} == {"tom-cruise"}


def test_unrecognised_owner_is_reported() -> None:
    table = routes()
    not_found = (404, {"message": "No data found for the member", "status": 404})
    table["PROFILE", "0"] = not_found
    table["CONNECTIONS", "0"] = not_found
    only_first = load("api/inbox_page1.json")
    only_first["paging"]["links"] = []  # one conversation between two people: who is who?
    table["INBOX", "0"] = (200, only_first)
    page = run(Server(table), account="someone-else")
    assert "'someone-else' among the message participants" in {m.data for m in page.missing}
