"""The Mastodon API client against recorded responses of a real Mastodon server, replayed
over HTTP through the shared `PlatformHttp`, plus hand-made variants for what the recordings
lack (second pages with the ego's interactions, the last page, a 429)."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import UTC, datetime

import httpx
import pytest

from rapport.errors import InputError, PlatformError, RateLimited
from rapport.model import Direction, Kind
from rapport.plugins.connector import FetchPage
from rapport.plugins.http import PlatformHttp
from rapport_connectors.mastodon import MastodonConfig, MastodonConnector
from tests.connectors.mastodon.replay import Replay, recorded, variant

BASE = "http://localhost:3000"
EGO_ID = "117020565966271181"  # mastodonpy_test in the recorded run
EGO = "mastodonpy_test@localhost:3000"
ADMIN = "admin@localhost:3000"
TEST2 = "mastodonpy_test_2@localhost:3000"
TOKEN = "test-token-not-a-secret"
NOW = datetime(2026, 8, 1, 13, 56, tzinfo=UTC)
CONNECTOR = MastodonConnector()


def scenario() -> Replay:
    """The ego `mastodonpy_test` of the recorded server, with a token of its own."""
    replay = Replay()
    replay.add(
        recorded(
            "test_account_lookup.yaml", "GET", "/api/v1/accounts/lookup", "acct=mastodonpy_test"
        )
    )
    replay.add(recorded("test_account_lookup.yaml", "GET", "/api/v1/accounts/verify_credentials"))
    for relation in ("followers", "following"):
        # recorded (empty, with real headers) for the same account in another run: re-keyed
        record = recorded(
            f"test_account_{relation}.yaml",
            "GET",
            f"/api/v1/accounts/117020457910412882/{relation}",
        )
        replay.add(record, url=f"{BASE}/api/v1/accounts/{EGO_ID}/{relation}")
    replay.add(
        recorded("test_get_pagination_info.yaml", "GET", f"/api/v1/accounts/{EGO_ID}/statuses")
    )
    replay.add_json(
        f"{BASE}/api/v1/accounts/{EGO_ID}/statuses?max_id=117020581882406424",
        variant("statuses_page2.json"),  # hand-made last page: no Link header
    )
    test2 = variant("conversations_ego.json")[0]["accounts"][0]
    replay.add_json(f"{BASE}/api/v1/accounts/{test2['id']}", test2)
    replay.add(recorded("test_notifications.yaml", "GET", "/api/v1/notifications"))
    replay.add_json(f"{BASE}/api/v1/notifications?max_id=20", variant("notifications_page2.json"))
    replay.add_json(f"{BASE}/api/v1/conversations", variant("conversations_ego.json"))
    return replay


def run(
    replay: Replay,
    *,
    account: str = "mastodonpy_test",
    token: str | None = TOKEN,
    since: str | None = None,
    base_url: str | None = BASE,
) -> list[FetchPage]:
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def go() -> list[FetchPage]:
        async with PlatformHttp(
            transport=httpx.MockTransport(replay.handler),
            clock=lambda: NOW,
            sleep=sleep,
            rng=random.Random(7),
        ) as http:
            config = MastodonConfig(base_url=base_url, token=token)
            return [
                page
                async for page in CONNECTOR.fetch(account, http=http, config=config, since=since)
            ]

    pages = asyncio.run(go())
    assert slept == [], "recorded budgets were far from exhausted: nothing should wait"
    return pages


def events(pages: list[FetchPage]) -> list[tuple[Kind, Direction, str]]:
    return [(i.kind, i.direction, i.counterpart) for p in pages for i in p.interactions]


def test_fetch_maps_the_recorded_server_and_variants() -> None:
    replay = scenario()
    pages = run(replay)

    assert events(pages) == [
        # own statuses, page 2 (page 1 holds ten plain toots: no counterpart)
        (Kind.REPLY, Direction.OUT, ADMIN),
        (Kind.REPLY, Direction.OUT, TEST2),  # mention deleted: replied account looked up by id
        (Kind.MESSAGE, Direction.OUT, ADMIN),
        (Kind.REPOST, Direction.OUT, TEST2),
        # notifications: the recorded mention, then the hand-made last page
        (Kind.MENTION, Direction.IN, ADMIN),
        (Kind.LIKE, Direction.IN, TEST2),
        (Kind.REPOST, Direction.IN, ADMIN),
        (Kind.REPLY, Direction.IN, TEST2),
        (Kind.MESSAGE, Direction.IN, ADMIN),
        # the conversation's last status, written by the other side
        (Kind.MESSAGE, Direction.IN, TEST2),
    ]
    interactions = [i for p in pages for i in p.interactions]
    assert all(i.ego == EGO and i.platform == "mastodon" for i in interactions)
    recorded_mention = interactions[4]
    assert recorded_mention.event_id == (
        "http://localhost:3000/ap/users/117020565693913441/statuses/117020576916218297"
    )
    assert recorded_mention.at == datetime(2026, 8, 1, 13, 51, 39, 138000, tzinfo=UTC)
    assert recorded_mention.text_len == len("hello!")
    assert interactions[0].text_len == len("thanks, that helps a lot with the meetup plan")
    assert interactions[5].event_id.startswith("favourite:mastodonpy_test_2@localhost:3000:")
    assert interactions[-1].thread_id == "conversation:12"
    assert len({i.event_id for i in interactions}) == len(interactions)

    # every page of every stream, following Link rel="next" to the last page
    assert replay.paths() == [
        "/api/v1/accounts/lookup?acct=mastodonpy_test",
        "/api/v1/accounts/verify_credentials",
        f"/api/v1/accounts/{EGO_ID}/followers?limit=80",
        f"/api/v1/accounts/{EGO_ID}/following?limit=80",
        f"/api/v1/accounts/{EGO_ID}/statuses?limit=40",
        f"/api/v1/accounts/{EGO_ID}/statuses?limit=5&max_id=117020581882406424",
        "/api/v1/accounts/117020566092212359",
        "/api/v1/notifications?limit=80&types%5B%5D=mention&types%5B%5D=favourite"
        "&types%5B%5D=reblog&types%5B%5D=quote",
        "/api/v1/notifications?max_id=20",
        "/api/v1/conversations?limit=40",
    ]
    assert all(r.headers["authorization"] == f"Bearer {TOKEN}" for r in replay.requests)


def test_profiles_from_account_objects() -> None:
    pages = run(scenario())
    profiles = {p.account: p for page in pages for p in page.profiles}
    ego = profiles[EGO]
    assert ego.display_name == "John Lennon"
    assert ego.bio == "I walk funny"
    assert ego.default_avatar is False  # a real uploaded avatar
    assert ego.handle == EGO
    assert ego.created_at == datetime(2026, 8, 1, tzinfo=UTC)
    assert ego.posts_count is not None
    assert ego.followers_count is not None
    admin = profiles[ADMIN]
    assert admin.default_avatar is True  # /avatars/original/missing.png


def test_cursor_makes_the_next_refresh_incremental() -> None:
    first = run(scenario())
    cursor = first[-1].cursor
    assert cursor is not None
    assert json.loads(cursor) == {
        "conversations": "117020588388552703",
        "notifications": "20",
        "statuses": "117020581915050941",
    }
    replay = scenario()
    again = run(replay, since=cursor)
    assert events(again) == []
    assert again[-1].cursor == cursor
    # it asked for what is newer, and stopped at the known ids instead of walking every page
    assert not [p for p in replay.paths() if "max_id" in p]
    assert f"/api/v1/accounts/{EGO_ID}/statuses?limit=40&since_id=117020581915050941" in (
        replay.paths()
    )


def test_intermediate_pages_do_not_advance_the_cursor() -> None:
    pages = run(scenario())
    # until a stream has been read to its end, resuming must start from the old position
    assert all(json.loads(p.cursor or "{}") == {} for p in pages[:3])


def test_without_token_only_public_activity_is_read() -> None:
    replay = scenario()
    pages = run(replay, token=None)
    assert all(d is Direction.OUT for _, d, _ in events(pages))
    assert not [p for p in replay.paths() if "notifications" in p or "conversations" in p]
    missing = {m.data for p in pages for m in p.missing}
    assert "notifications and direct messages" in missing


def test_token_of_another_account_is_not_used_for_its_inbox() -> None:
    replay = scenario()
    # the recorded verify_credentials of the account `admin`
    replay.add(recorded("test_conversations.yaml", "GET", "/api/v1/accounts/verify_credentials"))
    pages = run(replay)
    assert not [p for p in replay.paths() if "notifications" in p]
    effects = [m.effect for p in pages for m in p.missing]
    assert any("another account" in e for e in effects)


def test_unknown_account_is_a_platform_error_without_the_token() -> None:
    replay = Replay()
    replay.add(
        recorded(
            "test_account_lookup.yaml",
            "GET",
            "/api/v1/accounts/lookup",
            "acct=kljadklajsdkljlkjlkjlkjasdasd",
        )
    )  # the recorded 404 {"error": "Record not found"}
    replay.add_json(f"{BASE}/api/v1/accounts/search?q=kljadklajsdkljlkjlkjlkjasdasd", [])
    with pytest.raises(PlatformError) as info:
        run(replay, account="kljadklajsdkljlkjlkjlkjasdasd")
    assert info.value.status == 404
    assert "no account 'kljadklajsdkljlkjlkjlkjasdasd'" in str(info.value)
    assert TOKEN not in str(info.value)
    assert TOKEN not in (info.value.url or "")
    # the recorded 404 was really asked first
    assert replay.paths()[0] == "/api/v1/accounts/lookup?acct=kljadklajsdkljlkjlkjlkjasdasd"


def test_server_without_lookup_finds_the_account_by_search() -> None:
    replay = scenario()
    replay.add_json(
        f"{BASE}/api/v1/accounts/lookup?acct=mastodonpy_test", {"error": "Not found"}, status=404
    )
    ego = recorded(
        "test_account_lookup.yaml", "GET", "/api/v1/accounts/lookup", "acct=mastodonpy_test"
    ).json()
    replay.add_json(f"{BASE}/api/v1/accounts/search?q=mastodonpy_test", [ego])
    pages = run(replay)
    assert len(events(pages)) == 10


def test_rate_limit_with_iso_reset_raises_rate_limited() -> None:
    replay = scenario()
    # hand-made: Mastodon's 429 with its real header names and an ISO-8601 reset
    replay.add_json(
        f"{BASE}/api/v1/accounts/{EGO_ID}/statuses",
        {"error": "Too many requests"},
        status=429,
        headers=[
            ("x-ratelimit-limit", "300"),
            ("x-ratelimit-remaining", "0"),
            ("x-ratelimit-reset", "2026-08-01T14:00:00.000Z"),
        ],
    )
    with pytest.raises(RateLimited) as info:
        run(replay)
    assert info.value.reset_at == datetime(2026, 8, 1, 14, 0, tzinfo=UTC)
    assert info.value.platform == "mastodon"


def test_missing_instance_url_is_an_error() -> None:
    with pytest.raises(PlatformError, match="RAPPORT_MASTODON_BASE_URL"):
        run(Replay(), base_url=None)


def test_unreadable_cursor_is_an_input_error() -> None:
    with pytest.raises(InputError, match="cursor"):
        run(scenario(), since="not-json")


def test_unreadable_body_is_a_platform_error() -> None:
    replay = scenario()
    replay.add_json(f"{BASE}/api/v1/conversations", {"not": "a list"})
    with pytest.raises(PlatformError, match="unreadable response body"):
        run(replay)


def test_links_to_the_recorded_origin_are_followed_on_the_configured_base() -> None:
    # The recorded Link headers name http://localhost:3000; reached through another URL (an
    # alias, a proxy, a replay server), pages are read from that URL, and the token never
    # leaves it. Accounts keep the instance's own domain (from their profile URLs).
    replay = scenario()
    pages = run(replay, base_url="http://replay.test:8080")
    assert {r.url.host for r in replay.requests} == {"replay.test"}
    assert "/api/v1/notifications?max_id=20" in replay.paths()
    assert {i.ego for p in pages for i in p.interactions} == {EGO}


def test_fetch_over_a_real_loopback_http_server() -> None:
    """The same recorded answers served by a real HTTP server on 127.0.0.1 (port chosen by
    the OS), read through the real transport of PlatformHttp."""
    import http.server
    import threading

    replay = scenario()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            response = replay.handler(httpx.Request("GET", "http://replay" + self.path))
            body = response.content
            self.send_response(response.status_code)
            for key, value in response.headers.multi_items():
                if key.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:

        async def go() -> list[FetchPage]:
            async with PlatformHttp(clock=lambda: NOW) as http:
                config = MastodonConfig(
                    base_url=f"http://127.0.0.1:{server.server_port}", token=TOKEN
                )
                return [
                    p async for p in CONNECTOR.fetch("mastodonpy_test", http=http, config=config)
                ]

        pages = asyncio.run(go())
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
    assert len(events(pages)) == 10
    assert json.loads(pages[-1].cursor or "{}")["notifications"] == "20"


def test_a_refused_endpoint_costs_its_stream_not_the_refresh() -> None:
    replay = scenario()
    # hand-made refusals in Mastodon's error shape
    replay.add_json(
        f"{BASE}/api/v1/notifications",
        {"error": "This action is outside the authorized scopes"},
        status=403,
    )
    replay.add_json(
        f"{BASE}/api/v1/accounts/{EGO_ID}/followers", {"error": "Record not found"}, status=404
    )
    pages = run(replay)
    missing = {m.data: m.effect for p in pages for m in p.missing}
    assert "HTTP 403" in missing["notifications (replies, mentions, favourites, boosts received)"]
    assert "HTTP 404" in missing["followers list"]
    kinds = events(pages)
    assert (Kind.REPLY, Direction.OUT, ADMIN) in kinds  # own statuses still read
    assert (Kind.MESSAGE, Direction.IN, TEST2) in kinds  # and the conversations after it
    assert not [k for k in kinds if k[0] is Kind.LIKE]
    cursor = json.loads(pages[-1].cursor or "{}")
    assert "notifications" not in cursor  # the next refresh reads them again
    assert set(cursor) == {"statuses", "conversations"}


def test_a_refused_token_falls_back_to_public_activity() -> None:
    replay = scenario()
    replay.add_json(
        f"{BASE}/api/v1/accounts/verify_credentials",
        {"error": "The access token is invalid"},
        status=401,
    )
    pages = run(replay)
    assert all(d is Direction.OUT for _, d, _ in events(pages))
    effects = [
        m.effect for p in pages for m in p.missing if m.data == "notifications and direct messages"
    ]
    assert effects == ["the instance refused it (HTTP 401); left out of this refresh"]
