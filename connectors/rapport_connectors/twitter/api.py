"""The X API v2 client: one account's tweets, mentions, direct messages, the engagement its
recent tweets received (engagement.py), and its follow lists.

Order matters under X's small rate limits (followers: 15 requests per 15 minutes): the
interactions come first (own tweets, mentions, direct messages, likes/reposts/quotes
received), then the follow lists, which only give counts and profiles. A rate limit anywhere
raises `RateLimited` from the shared HTTP layer, so the job is deferred, never spun.

Cursor: the newest tweet or message id seen, sent back as `since_id` (and used to skip older
direct messages, whose endpoint has no `since_id`). Pages before the interactions are complete
carry the old cursor, so a refresh interrupted half-way resumes from where the last complete
one ended instead of skipping what it never read.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import msgspec

from rapport.errors import InputError, PlatformError
from rapport.model import Direction, Interaction, MissingData, Profile
from rapport.plugins.connector import ConnectorConfig, FetchPage
from rapport.plugins.http import BoundHttp, PlatformHttp
from rapport_connectors.twitter import api_schema as api
from rapport_connectors.twitter.api_mapping import dm_interactions, tweet_facts, user_profile
from rapport_connectors.twitter.config import DEFAULT_BASE_URL, TwitterConfig
from rapport_connectors.twitter.engagement import engagement
from rapport_connectors.twitter.mapping import PLATFORM, tweet_interactions
from rapport_connectors.twitter.session import (
    DM_FIELDS,
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    FetchState,
    OwnTweet,
    denied,
    request_pages,
)

__all__ = ["EXPANSIONS", "TWEET_FIELDS", "USER_FIELDS", "fetch"]

_HANDLE = re.compile(r"^@?(\w{1,50})$")
_ID = re.compile(r"^\d{1,25}$")


def _twitter_config(config: ConnectorConfig) -> TwitterConfig:
    if isinstance(config, TwitterConfig):
        return (
            config
            if config.base_url
            else msgspec.structs.replace(config, base_url=DEFAULT_BASE_URL)
        )
    return TwitterConfig(base_url=config.base_url or DEFAULT_BASE_URL, token=config.token)


def _check_since(since: str | None) -> str | None:
    if since is None or since == "":
        return None
    if not _ID.match(since):
        raise InputError(f"twitter: the cursor must be a tweet id (digits), not {since[:40]!r}")
    return since


def _check_handle(account: str) -> str:
    match = _HANDLE.match(account.strip())
    if match is None:
        raise InputError(f"twitter: {account[:60]!r} is not an X handle (letters, digits, _)")
    return match.group(1)


async def _lookup(http: BoundHttp, handle: str) -> api.User:
    answer = await http.get_json(
        f"/2/users/by/username/{handle}",
        api.UserResponse,
        endpoint="users/by/username",
        params={"user.fields": USER_FIELDS},
    )
    if answer.data is None:
        detail = answer.errors[0].detail or answer.errors[0].title if answer.errors else None
        raise PlatformError(
            PLATFORM, f"no such account @{handle}" + (f": {detail}" if detail else "")
        )
    if not _ID.match(answer.data.id):
        raise PlatformError(PLATFORM, f"unexpected user id {answer.data.id[:40]!r} for @{handle}")
    return answer.data


def _tweet_page_events(
    state: FetchState, page: api.TweetsPage, *, own: bool
) -> tuple[list[Interaction], list[Profile]]:
    referenced = {t.id: t for t in page.includes.tweets}
    ids_by_handle = {u.username.lower(): u.id for u in page.includes.users if u.username}
    events: list[Interaction] = []
    for tweet in page.data:
        state.see_id(tweet.id)
        facts = tweet_facts(
            tweet,
            default_author=state.ego if own else None,
            referenced=referenced,
            ids_by_handle=ids_by_handle,
        )
        if isinstance(facts, str):
            state.unresolved[facts] += 1
            continue
        events.extend(tweet_interactions(state.ego, facts))
        if facts.author == state.ego and facts.repost_of is None and tweet.public_metrics:
            state.own_tweets.append(OwnTweet(tweet.id, facts.at, tweet.public_metrics))
    profiles = [user_profile(u) for u in page.includes.users if u.id != state.ego]
    return state.new_events(events), profiles


async def _tweets(
    http: BoundHttp, state: FetchState, config: TwitterConfig, *, own: bool
) -> AsyncIterator[FetchPage]:
    name = "tweets" if own else "mentions"
    side = Direction.OUT if own else Direction.IN  # the side of the exchanges it holds
    params: dict[str, Any] = {
        "max_results": 100,
        "tweet.fields": TWEET_FIELDS,
        "expansions": EXPANSIONS,
        "user.fields": USER_FIELDS,
    }
    if state.since is not None:
        params["since_id"] = state.since
    pages = request_pages(
        http,
        f"/2/users/{state.ego}/{name}",
        api.TweetsPage,
        endpoint=f"users/{name}",
        params=params,
        next_token=lambda page: page.meta.next_token,
        max_pages=config.max_pages,
    )
    unread: str | None = None
    try:
        async for page, following in pages:
            unread = following
            if not page.data and page.errors:
                # A 200 carrying only errors: a protected or suspended account's timeline.
                error = page.errors[0]
                reason = error.detail or error.title or "an error without detail"
                state.missing.append(
                    MissingData(
                        data=name,
                        effect=f"the API returned no {name}: {reason[:200]}",
                        hides=(side,),
                    )
                )
                return
            events, profiles = _tweet_page_events(state, page, own=own)
            yield FetchPage(interactions=events, profiles=profiles, cursor=state.since)
    except PlatformError as exc:
        what = "tweets the account sent" if own else "replies and mentions it received"
        if not denied(state, exc, name, f"{what} could not be read: not counted", (side,)):
            raise
        return
    if unread is not None:
        state.missing.append(
            MissingData(
                data=f"older {name}",
                effect=f"more than {config.max_pages} pages of {name}: older ones not read "
                "(raise RAPPORT_TWITTER_MAX_PAGES)",
            )
        )


async def _messages(
    http: BoundHttp, state: FetchState, config: TwitterConfig
) -> AsyncIterator[FetchPage]:
    """Direct messages of the last 30 days (all X keeps there); a token without `dm.read`
    gets a 403, reported as missing data rather than failing the refresh."""
    if not config.messages:
        state.missing.append(
            MissingData(data="direct messages", effect="not requested (messages = false)")
        )
        return
    pages = request_pages(
        http,
        "/2/dm_events",
        api.DmPage,
        endpoint="dm_events",
        params={
            "max_results": 100,
            "event_types": "MessageCreate,ParticipantsJoin",
            "dm_event.fields": DM_FIELDS,
            "expansions": "sender_id,participant_ids",
            "user.fields": USER_FIELDS,
        },
        next_token=lambda page: page.meta.next_token,
        max_pages=config.max_pages,
    )
    collected: list[api.DmEvent] = []
    profiles: list[Profile] = []
    floor = int(state.since) if state.since else 0
    try:
        async for page, _following in pages:
            fresh = [e for e in page.data if not e.id.isdigit() or int(e.id) > floor]
            collected.extend(fresh)
            profiles.extend(user_profile(u) for u in page.includes.users if u.id != state.ego)
            if len(fresh) < len(page.data):
                break  # newest first: the rest was read by an earlier refresh
    except PlatformError as exc:
        effect = (
            "this token may not read direct messages (it needs a user-context token with "
            "dm.read): the strongest two-way signal is missing"
        )
        if not denied(state, exc, "direct messages", effect):
            raise
        return
    participants: dict[str, set[str]] = {}
    for event in collected:
        if event.dm_conversation_id:
            members = participants.setdefault(event.dm_conversation_id, set())
            members.update(event.participant_ids)
            if event.sender_id:
                members.add(event.sender_id)
    events: list[Interaction] = []
    for event in collected:
        if event.event_type not in (None, "MessageCreate"):
            continue
        state.see_id(event.id)
        mapped = dm_interactions(state.ego, event, participants)
        if isinstance(mapped, str):
            state.unresolved[mapped] += 1
            continue
        events.extend(mapped)
    yield FetchPage(interactions=state.new_events(events), profiles=profiles, cursor=state.since)


async def _users(
    http: BoundHttp, state: FetchState, config: TwitterConfig, which: str
) -> AsyncIterator[tuple[FetchPage, int, bool]]:
    """Follower or following profiles, page by page, with the running count and whether
    the list was read to its end (only then is the count the real one)."""
    pages = request_pages(
        http,
        f"/2/users/{state.ego}/{which}",
        api.UsersPage,
        endpoint=f"users/{which}",
        params={"max_results": 1000, "user.fields": USER_FIELDS},
        next_token=lambda page: page.meta.next_token,
        max_pages=config.max_pages,
    )
    count = 0
    try:
        async for page, following in pages:
            count += len(page.data)
            profiles = [user_profile(u) for u in page.data if u.id != state.ego]
            yield FetchPage(profiles=profiles, cursor=state.cursor), count, following is None
    except PlatformError as exc:
        effect = f"{which} list not read: its count and profiles are unknown"
        if not denied(state, exc, which, effect):
            raise


def _unresolved_report(counts: Counter[str]) -> list[MissingData]:
    return [
        MissingData(
            data=reason,
            effect=f"{count} items came without their {reason} (fields or expansions missing "
            "from the answers): not counted",
        )
        for reason, count in sorted(counts.items())
    ]


async def fetch(
    account: str,
    *,
    http: PlatformHttp,
    config: ConnectorConfig,
    since: str | None = None,
) -> AsyncIterator[FetchPage]:
    """Yield the pages of one refresh of `account` (an X handle); see the module docstring."""
    handle, since = _check_handle(account), _check_since(since)
    settings = _twitter_config(config)
    bound = http.bind(PLATFORM, settings)
    user = await _lookup(bound, handle)
    state = FetchState(ego=user.id, since=since)
    ego_profile = user_profile(user)
    yield FetchPage(profiles=[ego_profile], cursor=state.since)

    async for page in _tweets(bound, state, settings, own=True):
        yield page
    async for page in _tweets(bound, state, settings, own=False):
        yield page
    async for page in _messages(bound, state, settings):
        yield page
    async for page in engagement(bound, state, settings):
        yield page
    missing = state.missing + _unresolved_report(state.unresolved)
    reported = len(state.missing)
    missing.append(
        MissingData(
            data="likes",
            effect=f"only the likes, reposts and quotes of the {settings.engagement_tweets} "
            "most recent tweets are read (one request each), dated at the tweet; likes the "
            "account gave are not in the API",
        )
    )
    yield FetchPage(cursor=state.cursor, missing=missing)

    counts: dict[str, int] = {}
    for which in ("following", "followers"):
        async for page, count, complete in _users(bound, state, settings, which):
            yield page
            if complete:
                counts[which] = count
    filled = msgspec.structs.replace(
        ego_profile,
        followers_count=ego_profile.followers_count
        if ego_profile.followers_count is not None
        else counts.get("followers"),
        following_count=ego_profile.following_count
        if ego_profile.following_count is not None
        else counts.get("following"),
    )
    yield FetchPage(
        profiles=[filled] if filled != ego_profile else [],
        cursor=state.cursor,
        missing=state.missing[reported:],
    )
