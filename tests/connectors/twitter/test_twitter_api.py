"""The X API v2 client against real recordings (tweepy's cassettes for @Twitter, id 783214),
completed by labelled hand-made pages for what the recordings lack (fields and expansions, the
last page, a 429, a 403 on direct messages)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from rapport.errors import InputError, PlatformError, RateLimited
from rapport.model import Interaction, Profile
from rapport.plugins import ConnectorConfig, FetchPage
from rapport.plugins.http import PlatformHttp
from rapport_connectors.twitter import TwitterConnector
from rapport_connectors.twitter.api import EXPANSIONS, TWEET_FIELDS
from rapport_connectors.twitter.config import TwitterConfig
from tests.connectors.twitter.replay import HANDMADE_API, REAL, Replay, full_replay, real

EGO = "783214"
ALICE, BOB, CAROL, DAVE, ERIN = (f"900000001{i}" for i in range(1, 6))  # hand-made accounts
TOKEN = "test-bearer-token"  # a fake
BASE = "http://127.0.0.1:9"  # never contacted: MockTransport answers
RECORDED_AT = datetime(2022, 10, 7, 22, 43, 18, tzinfo=UTC)  # date header of the recordings


async def _no_sleep(_seconds: float) -> None:
    return None


def run(
    replay: Callable[[httpx.Request], httpx.Response],
    *,
    account: str = "Twitter",
    since: str | None = None,
    config: ConnectorConfig | None = None,
    pages: list[FetchPage] | None = None,
) -> list[FetchPage]:
    """Fetch everything; pages are appended to `pages` as they come (kept on an error)."""
    collected = [] if pages is None else pages

    async def go() -> None:
        transport = httpx.MockTransport(replay)
        async with PlatformHttp(
            transport=transport, max_sleep=0, sleep=_no_sleep, clock=lambda: RECORDED_AT
        ) as http:
            async for page in TwitterConnector().fetch(
                account,
                http=http,
                config=config or TwitterConfig(base_url=BASE, token=TOKEN),
                since=since,
            ):
                collected.append(page)

    asyncio.run(go())
    return collected


def events(pages: list[FetchPage]) -> dict[str, Interaction]:
    return {e.event_id: e for page in pages for e in page.interactions}


def summary(pages: list[FetchPage]) -> set[tuple[str, str, str, str]]:
    return {
        (e.event_id, e.counterpart, e.direction.value, e.kind.value) for e in events(pages).values()
    }


def profiles(pages: list[FetchPage]) -> dict[str, Profile]:
    return {p.account: p for page in pages for p in page.profiles}  # last one wins


def missing(pages: list[FetchPage]) -> dict[str, str]:
    return {m.data: m.effect for page in pages for m in page.missing}


#: Events of `full_replay()`: 7 from the timelines, 1 quote received (hand-made), 43 likes and
#: 38 reposts received (the real liking_users / retweeted_by recordings).
ALL_EVENTS = 7 + 1 + 43 + 38


def test_real_recordings_and_later_pages_map_to_directed_events() -> None:
    pages = run(full_replay())

    timelines = {s for s in summary(pages) if ":like:" not in s[0] and ":repost:" not in s[0]}
    assert timelines == {
        # own timeline, page two (hand-made, with tweet.fields and expansions)
        ("1565000000000000001", ALICE, "out", "reply"),
        ("1565000000000000002", BOB, "out", "repost"),
        ("1565000000000000003", CAROL, "out", "quote"),
        (f"1565000000000000003:{DAVE}", DAVE, "out", "mention"),
        # mentions timeline, page two (hand-made)
        ("1578500000000000001", ALICE, "in", "reply"),
        (f"1578500000000000002:{EGO}", ERIN, "in", "mention"),
        ("1578500000000000003", CAROL, "in", "quote"),
        # quote_tweets of the ego's reply (hand-made, with fields)
        ("1565100000000000001", ERIN, "in", "quote"),
    }
    by_id = events(pages)
    reply = by_id["1565000000000000001"]
    assert reply.text_len == len("thanks for the report, fixed now")
    assert reply.thread_id == "1564999999999999999"
    assert reply.at == datetime(2022, 8, 31, 17, 0, tzinfo=UTC)
    assert all(e.ego == EGO and e.platform == "twitter" for e in by_id.values())
    assert len(by_id) == ALL_EVENTS

    # Likes and reposts received, from the real recordings, dated at the liked tweet.
    likes = [e for e in by_id.values() if e.kind.value == "like"]
    reposts = [e for e in by_id.values() if e.kind.value == "repost" and e.direction.value == "in"]
    assert (len(likes), len(reposts)) == (43, 38)
    like = by_id["1293593516040269825:like:77984765"]  # @DanLimmert, a real liker
    assert (like.direction.value, like.counterpart) == ("in", "77984765")
    assert like.at == datetime(2020, 8, 12, 17, 1, 42, tzinfo=UTC)
    assert "1415348607813832708:repost:118589107" in by_id  # @d_pati, a real reposter

    # The cursor is the newest id seen: the real mentions page's newest_id.
    assert pages[-1].cursor == "1578516295611748353"
    # Pages before the interactions are complete keep the old cursor (None: first refresh).
    assert [p.cursor for p in pages[:6]] == [None] * 6

    found = profiles(pages)
    ego = found[EGO]
    assert ego.handle == "Twitter"
    # The real lookup has no public_metrics: counts come from the complete follow lists
    # (100 real followers + 2 on the hand-made last page; 35 real following, one page).
    assert (ego.followers_count, ego.following_count) == (102, 35)
    assert found["1376998163739987969"].handle == "Zamari97491661"  # a real follower
    assert found["738118487122419712"].handle == "TwitterAsians"  # a real followee
    assert found["77984765"].handle == "DanLimmert"  # a real liker: the engaged audience
    dave = found[DAVE]
    assert dave.default_avatar is True
    assert dave.bio == ""
    assert (dave.followers_count, dave.following_count, dave.posts_count) == (3, 4999, 0)
    assert dave.created_at == datetime(2022, 9, 1, tzinfo=UTC)
    assert found[ALICE].default_avatar is False

    lacking = missing(pages)
    # The real mentions page was recorded without expansions: its 10 tweets have no author.
    assert lacking["tweet authors"].startswith("10 items")
    assert "likes" in lacking
    assert "direct messages" not in lacking  # the real dm_events answer is just empty


def test_requests_ask_for_fields_paginate_and_keep_the_token_out_of_urls() -> None:
    replay = full_replay()
    run(replay)

    assert replay.paths() == [
        "/2/users/by/username/Twitter",
        f"/2/users/{EGO}/tweets",
        f"/2/users/{EGO}/tweets",
        f"/2/users/{EGO}/mentions",
        f"/2/users/{EGO}/mentions",
        "/2/dm_events",
        # the most recent own tweets whose public_metrics say someone engaged
        "/2/tweets/1565000000000000001/quote_tweets",
        "/2/tweets/1415348607813832708/retweeted_by",
        "/2/tweets/1293593516040269825/liking_users",
        f"/2/users/{EGO}/following",
        f"/2/users/{EGO}/followers",
        f"/2/users/{EGO}/followers",
    ]
    tweets = [r for r in replay.requests if r.url.path.endswith("/tweets")]
    assert tweets[0].url.params["tweet.fields"] == TWEET_FIELDS
    for field in ("conversation_id", "in_reply_to_user_id", "referenced_tweets", "author_id"):
        assert field in TWEET_FIELDS.split(",")
    assert "referenced_tweets.id.author_id" in EXPANSIONS.split(",")
    assert tweets[0].url.params["expansions"] == EXPANSIONS
    assert "public_metrics" in tweets[0].url.params["user.fields"]
    assert "pagination_token" not in tweets[0].url.params
    # The real page's meta.next_token is sent back as pagination_token.
    assert (
        tweets[1].url.params["pagination_token"] == "7140dibdnow9c7btw4232poeq0wapgnwgwqwvuwn3peex"
    )
    followers = [r for r in replay.requests if r.url.path.endswith("/followers")]
    assert followers[1].url.params["pagination_token"] == "5CS0O0C6II61EZZZ"
    for request in replay.requests:
        assert request.headers["authorization"] == f"Bearer {TOKEN}"
        assert TOKEN not in str(request.url)
        assert request.url.host == "127.0.0.1"


def test_refresh_from_the_cursor_sends_since_id() -> None:
    replay = full_replay()
    pages = run(replay, since="1578516295611748353")
    timeline = [r for r in replay.requests if r.url.path.endswith(("/tweets", "/mentions"))]
    assert timeline
    assert {r.url.params["since_id"] for r in timeline} == {"1578516295611748353"}
    assert pages[0].cursor == "1578516295611748353"  # an interrupted refresh resumes here
    assert pages[-1].cursor == "1578516295611748353"


def test_direct_messages_one_to_one_and_group() -> None:
    pages = run(full_replay(HANDMADE_API / "dm_events_with_fields.json"))
    dms = {s for s in summary(pages) if s[3] == "message"}
    assert dms == {
        ("1586000000000000001", ALICE, "out", "message"),
        ("1586000000000000002", ALICE, "in", "message"),
        (f"1586000000000000004:{ALICE}", ALICE, "out", "message"),
        (f"1586000000000000004:{BOB}", BOB, "out", "message"),
        (f"1586000000000000005:{EGO}", BOB, "in", "message"),
    }
    by_id = events(pages)
    assert by_id["1586000000000000001"].thread_id == f"{EGO}-{ALICE}"
    assert by_id["1586000000000000001"].text_len == len("Could you try again now?")
    assert pages[-1].cursor == "1586000000000000005"  # message ids move the cursor too


def test_direct_messages_older_than_the_cursor_are_skipped() -> None:
    replay = full_replay(HANDMADE_API / "dm_events_with_fields.json")
    pages = run(replay, since="1586000000000000002")
    dms = {s[0] for s in summary(pages) if s[3] == "message"}
    assert dms == {
        f"1586000000000000004:{ALICE}",
        f"1586000000000000004:{BOB}",
        f"1586000000000000005:{EGO}",
    }


def test_a_token_without_dm_access_reports_messages_missing() -> None:
    pages = run(full_replay(HANDMADE_API / "dm_events_403.json"))
    lacking = missing(pages)
    assert "HTTP 403" in lacking["direct messages"]
    assert len(summary(pages)) == ALL_EVENTS  # everything else still came in
    assert pages[-1].cursor == "1578516295611748353"


def test_messages_switched_off_are_reported_not_requested() -> None:
    replay = full_replay()
    pages = run(replay, config=TwitterConfig(base_url=BASE, token=TOKEN, messages=False))
    assert "/2/dm_events" not in replay.paths()
    assert "not requested" in missing(pages)["direct messages"]


def test_429_raises_rate_limited_with_the_reset_time_after_the_cursor_page() -> None:
    pages: list[FetchPage] = []
    replay = full_replay(HANDMADE_API / "followers_429.json")
    with pytest.raises(RateLimited) as caught:
        run(replay, pages=pages)
    assert caught.value.reset_at == datetime.fromtimestamp(1665184128, UTC)
    assert caught.value.platform == "twitter"
    # Interactions were all read before the follower list: the cursor page was delivered,
    # so a deferred retry resumes from the new cursor.
    assert pages[-1].cursor == "1578516295611748353"
    assert len(summary(pages)) == ALL_EVENTS


def test_max_pages_reports_older_pages_and_leaves_counts_unknown() -> None:
    pages = run(full_replay(), config=TwitterConfig(base_url=BASE, token=TOKEN, max_pages=1))
    lacking = missing(pages)
    assert "more than 1 pages" in lacking["older tweets"]
    assert "older mentions" in lacking
    ego = profiles(pages)[EGO]
    assert ego.following_count == 35  # the real following list fits in one page
    assert ego.followers_count is None  # the follower list was not read to its end
    assert summary(pages) == set()  # page two, the one with fields, was never read


def test_unknown_account_is_a_platform_error() -> None:
    with pytest.raises(PlatformError, match="no such account @nobody_hm"):
        run(Replay(HANDMADE_API / "user_not_found.json"), account="nobody_hm")


def test_an_unreadable_answer_is_a_platform_error_without_the_token() -> None:
    def broken(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tweets"):
            return httpx.Response(200, json={"data": "not a list"})
        return full_replay()(request)

    with pytest.raises(PlatformError, match="unreadable response body") as caught:
        run(broken)
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(
    ("account", "since"), [("../2/admin", None), ("Twitter", "abc"), ("two words", None)]
)
def test_bad_account_or_cursor_is_an_input_error(account: str, since: str | None) -> None:
    replay = full_replay()
    with pytest.raises(InputError):
        run(replay, account=account, since=since)
    assert replay.requests == []


def test_base_url_defaults_to_api_x_com() -> None:
    hosts: list[str] = []
    replay = full_replay()

    def spy(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        return replay(request)

    run(spy, config=ConnectorConfig(token=TOKEN))
    assert set(hosts) == {"api.x.com"}
    assert TwitterConfig().base_url == "https://api.x.com"


def test_real_recordings_alone_import_and_report_the_pages_they_lack() -> None:
    """The recordings as they are (no hand-made pages): page two of tweets, mentions and
    followers is unrecorded (404 from the replay), which is reported, never raised."""
    replay = Replay(
        *real("user", "users_tweets", "users_mentions", "users_followers", "users_following"),
        REAL / "test_manage_and_lookup_direct_messages.json",
    )
    pages = run(replay)

    assert summary(pages) == set()  # default fields only: nothing attributable
    assert pages[-1].cursor == "1578516295611748353"
    lacking = missing(pages)
    assert {"tweets", "mentions", "followers", "tweet authors", "likes"} <= set(lacking)
    assert "HTTP 404" in lacking["followers"]
    ego = profiles(pages)[EGO]
    assert (ego.following_count, ego.followers_count) == (35, None)


def test_a_tier_without_follower_access_reports_the_lists_missing() -> None:
    replay = full_replay()

    def no_follow_lists(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith(("/followers", "/following")):
            # hand-made, in the shape of X's answer to a token whose tier lacks the endpoint
            return httpx.Response(
                403,
                json={
                    "title": "Client Forbidden",
                    "detail": "This request must be made using an approved developer account",
                    "type": "https://api.twitter.com/2/problems/client-forbidden",
                    "status": 403,
                },
            )
        return replay(request)

    pages = run(no_follow_lists)
    lacking = missing(pages)
    assert "HTTP 403" in lacking["followers"]
    assert "HTTP 403" in lacking["following"]
    assert len(summary(pages)) == ALL_EVENTS
    assert profiles(pages)[EGO].followers_count is None


def test_a_server_error_on_a_section_is_still_an_error() -> None:
    replay = full_replay()

    def failing(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/mentions"):
            return httpx.Response(503, json={"title": "Service Unavailable"})
        return replay(request)

    with pytest.raises(PlatformError, match="HTTP 503"):
        run(failing)


def test_engagement_reads_can_be_switched_off() -> None:
    replay = full_replay()
    config = TwitterConfig(base_url=BASE, token=TOKEN, engagement_tweets=0)
    pages = run(replay, config=config)
    assert not [p for p in replay.paths() if p.startswith("/2/tweets/")]
    assert len(summary(pages)) == 7


def test_a_refused_engagement_endpoint_is_reported_and_not_asked_again() -> None:
    replay = full_replay()

    def no_likers(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/liking_users"):
            return httpx.Response(403, json={"title": "Forbidden", "status": 403})  # hand-made
        return replay(request)

    pages = run(no_likers)
    assert "HTTP 403" in missing(pages)["likes received"]
    assert len(summary(pages)) == ALL_EVENTS - 43


def test_a_protected_timeline_is_reported_missing() -> None:
    replay = full_replay()

    def protected(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/tweets"):
            # hand-made, in the shape of X's partial-error answers
            return httpx.Response(
                200,
                json={
                    "errors": [
                        {
                            "title": "Authorization Error",
                            "detail": "Sorry, you are not authorized to see the user's Tweets.",
                            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
                        }
                    ]
                },
            )
        return replay(request)

    pages = run(protected)
    assert "not authorized" in missing(pages)["tweets"]
    assert ("1578500000000000001", ALICE, "in", "reply") in summary(pages)  # mentions still read
