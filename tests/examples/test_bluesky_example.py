"""The example third-party package examples/rapport-bluesky, tested the way its author would:
Rapport's contract kit plus its own mapping tests, against recordings in tests/fixtures/bluesky.

It must be installed (`pip install -e examples/rapport-bluesky`), and is found through its
entry point: that is the point of the example, so a missing install fails loudly here.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import pytest

from rapport.errors import InputError, RateLimited
from rapport.model import Direction, Kind
from rapport.plugins import FetchPage
from rapport.plugins.host import load_connectors
from rapport.plugins.http import PlatformHttp
from rapport.plugins.testing import REPLAY_BASE_URL, ConnectorContract, Replay
from rapport.settings import Settings

try:
    from rapport_bluesky import BlueskyConfig, BlueskyConnector
except ModuleNotFoundError as exc:  # pragma: no cover - the failure message is the point
    raise ImportError(
        "the example package rapport-bluesky is not installed; run "
        "`pip install -e examples/rapport-bluesky` (tests/examples needs it)"
    ) from exc

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bluesky"
EGO = "did:plc:kvwvcn5iqfooopmyzvb4qzba"  # test.marshal.dev, the account of the recordings
WHY, DIVY = "did:plc:vpkhqolt662uhesyj6nxm7ys", "did:plc:l3rouwludahu3ui3bt66mfvj"
JAY, BSKY = "did:plc:oky5czdrnfjpqslsw2a5iclo", "did:plc:z72i7hdynmk6r22z27h6tvur"


def bluesky_replay() -> Replay:
    xrpc = "/xrpc/"
    return (
        Replay()
        .add(xrpc + "app.bsky.graph.getFollows", FIXTURES / "get_follows.json")
        .add(xrpc + "app.bsky.graph.getFollowers", FIXTURES / "handmade.get_followers.page-1.json")
        .add(
            xrpc + "app.bsky.graph.getFollowers",
            FIXTURES / "handmade.get_followers.page-2.json",
            params={"cursor": "followers-p2"},
        )
        .add(
            xrpc + "app.bsky.feed.getAuthorFeed", FIXTURES / "handmade.get_author_feed.page-1.json"
        )
        .add(
            xrpc + "app.bsky.feed.getAuthorFeed",
            FIXTURES / "handmade.get_author_feed.page-2.json",
            params={"cursor": "feed-p2"},
        )
        .add(xrpc + "app.bsky.feed.getPostThread", FIXTURES / "handmade.get_post_thread.json")
        .add(
            xrpc + "com.atproto.repo.listRecords",
            FIXTURES / "handmade.list_records_likes.json",
        )
    )


class TestBlueskyContract(ConnectorContract):
    """All a third-party author has to write to run Rapport's contract kit."""

    connector = BlueskyConnector()
    fetch_account = "test.marshal.dev"

    def replay(self) -> Replay:
        return bluesky_replay()


def fetch(
    replay: Replay | httpx.MockTransport, since: str | None = None, **config: object
) -> list[FetchPage]:
    transport = replay if isinstance(replay, httpx.MockTransport) else httpx.MockTransport(replay)
    settings = BlueskyConfig(base_url=REPLAY_BASE_URL, **config)  # type: ignore[arg-type]

    async def run() -> list[FetchPage]:
        async with PlatformHttp(transport=transport, max_sleep=0) as http:
            pages = BlueskyConnector().fetch(
                "test.marshal.dev", http=http, config=settings, since=since
            )
            return [page async for page in pages]

    return asyncio.run(run())


def test_found_through_its_entry_point() -> None:
    registry = load_connectors(Settings(plugins_allow="bluesky"))
    assert registry.errors == []
    assert isinstance(registry.get("bluesky"), BlueskyConnector)
    [plugin] = registry.plugins
    assert (plugin.name, plugin.distribution) == ("bluesky", "rapport-bluesky")


def test_feed_threads_and_likes_map_to_events_against_the_ego() -> None:
    pages = fetch(bluesky_replay(), pds_url=REPLAY_BASE_URL)
    events = {(e.counterpart, e.kind, e.direction) for p in pages for e in p.interactions}
    assert events == {
        (WHY, Kind.REPLY, Direction.OUT),  # the ego answered why.bsky.team
        (DIVY, Kind.REPOST, Direction.OUT),
        (JAY, Kind.MENTION, Direction.OUT),
        (JAY, Kind.REPLY, Direction.IN),  # jay answered the ego's post (from the thread)
        (BSKY, Kind.QUOTE, Direction.OUT),
        (WHY, Kind.LIKE, Direction.OUT),  # the real self-like and self-quote are skipped
    }
    assert all(e.ego == EGO for p in pages for e in p.interactions)
    reply = next(
        e for p in pages for e in p.interactions if e.kind is Kind.REPLY and e.counterpart == WHY
    )
    assert reply.thread_id == f"at://{WHY}/app.bsky.feed.post/3kparent0001"
    assert reply.text_len == len("a Python SDK for atproto")
    missing = [m.data for p in pages for m in p.missing]
    assert missing == ["incoming likes, reposts and mentions"]
    assert pages[-1].cursor == "2024-05-01T09:30:00+00:00"


def test_profiles_of_both_sides_of_the_graph() -> None:
    pages = fetch(bluesky_replay())
    profiles = {p.account: p for page in pages for p in page.profiles}
    assert len(profiles) == 7  # the ego and its 6 follows; followers are among them
    assert profiles[EGO].handle == "test.marshal.dev"
    assert profiles[WHY].created_at == datetime(2022, 11, 17, 1, 4, 43, 624000, tzinfo=UTC)
    assert profiles[WHY].default_avatar is False
    for profile in profiles.values():
        msgspec.json.decode(msgspec.json.encode(profile), type=type(profile))


def test_without_a_pds_likes_are_reported_missing() -> None:
    pages = fetch(bluesky_replay())
    assert "likes given" in [m.data for p in pages for m in p.missing]
    assert Kind.LIKE not in {e.kind for p in pages for e in p.interactions}


def test_refresh_from_the_cursor_reads_only_newer_items() -> None:
    first = fetch(bluesky_replay(), pds_url=REPLAY_BASE_URL)
    cursor = first[-1].cursor
    replay = bluesky_replay()
    again = fetch(replay, since=cursor, pds_url=REPLAY_BASE_URL)
    assert [e for p in again for e in p.interactions] == []
    feed_requests = [r for r in replay.requests if r.url.path.endswith("getAuthorFeed")]
    assert [r.url.params.get("cursor") for r in feed_requests] == [None]  # stopped at page 1
    assert again[-1].cursor == cursor


def test_bluesky_rate_limit_headers_defer_the_job() -> None:
    # Hand-made: Bluesky's 429 carries `ratelimit-*` headers with an epoch-seconds reset.
    reset = 1_900_000_000

    def limited(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            429,
            headers={
                "ratelimit-limit": "3000",
                "ratelimit-remaining": "0",
                "ratelimit-reset": str(reset),
                "ratelimit-policy": "3000;w=300",
            },
            json={"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
        )

    with pytest.raises(RateLimited) as caught:
        fetch(httpx.MockTransport(limited))
    assert caught.value.reset_at == datetime.fromtimestamp(reset, UTC)
    assert caught.value.endpoint == "app.bsky.graph.getFollows"


def test_a_cursor_it_did_not_print_is_an_input_error() -> None:
    with pytest.raises(InputError, match="--since"):
        fetch(bluesky_replay(), since="feed-p2")
