"""Who engaged with the ego's recent tweets: likers, reposters and quoters.

The timelines show what the ego did and who addressed it, but not the most common attention it
receives: likes, reposts and quotes without an @mention. X lists them per tweet, one request
each, so only the ego's most recent tweets whose public metrics say somebody engaged are asked
about (`engagement_tweets`, default 10). The likers are also the engaged audience whose
profiles the authenticity rules judge. X does not say *when* someone liked or reposted: the
event is dated at the tweet, which is when most engagement happens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from rapport.errors import PlatformError
from rapport.model import Direction, Interaction, Kind, Profile
from rapport.plugins.connector import FetchPage
from rapport.plugins.http import BoundHttp
from rapport_connectors.twitter import api_schema as api
from rapport_connectors.twitter.api_mapping import tweet_facts, user_profile
from rapport_connectors.twitter.config import TwitterConfig
from rapport_connectors.twitter.mapping import received_interaction, tweet_interactions
from rapport_connectors.twitter.session import (
    EXPANSIONS,
    TWEET_FIELDS,
    USER_FIELDS,
    FetchState,
    OwnTweet,
    denied,
)

__all__ = ["engagement"]

# (endpoint, metric, kind): `quote_tweets` returns tweets, the others accounts.
_ENDPOINTS = (
    ("liking_users", "like_count", Kind.LIKE),
    ("retweeted_by", "retweet_count", Kind.REPOST),
    ("quote_tweets", "quote_count", Kind.QUOTE),
)
_MISSING = {
    "liking_users": "likes received",
    "retweeted_by": "reposts received",
    "quote_tweets": "quotes received",
}


async def _accounts(
    http: BoundHttp, state: FetchState, tweet: OwnTweet, endpoint: str, kind: Kind
) -> tuple[list[Interaction], list[Profile]]:
    page = await http.get_json(
        f"/2/tweets/{tweet.id}/{endpoint}",
        api.UsersPage,
        endpoint=f"tweets/{endpoint}",
        params={"max_results": 100, "user.fields": USER_FIELDS},
    )
    events = [
        received_interaction(
            state.ego, tweet_id=tweet.id, counterpart=user.id, kind=kind, at=tweet.at
        )
        for user in page.data
    ]
    profiles = [user_profile(u) for u in page.data if u.id != state.ego]
    return [e for e in events if e is not None], profiles


async def _quotes(
    http: BoundHttp, state: FetchState, tweet: OwnTweet
) -> tuple[list[Interaction], list[Profile]]:
    page = await http.get_json(
        f"/2/tweets/{tweet.id}/quote_tweets",
        api.TweetsPage,
        endpoint="tweets/quote_tweets",
        params={
            "max_results": 100,
            "tweet.fields": TWEET_FIELDS,
            "expansions": EXPANSIONS,
            "user.fields": USER_FIELDS,
        },
    )
    # Whatever the expansions say, these tweets quote this tweet of the ego's.
    referenced = {t.id: t for t in page.includes.tweets}
    referenced[tweet.id] = api.Tweet(id=tweet.id, author_id=state.ego)
    ids_by_handle = {u.username.lower(): u.id for u in page.includes.users if u.username}
    events: list[Interaction] = []
    for quote in page.data:
        if not any(r.type == "quoted" for r in quote.referenced_tweets):
            quote = api.Tweet(
                id=quote.id,
                text=quote.text,
                author_id=quote.author_id,
                created_at=quote.created_at,
                conversation_id=quote.conversation_id,
                in_reply_to_user_id=quote.in_reply_to_user_id,
                referenced_tweets=[
                    *quote.referenced_tweets,
                    api.ReferencedTweet(type="quoted", id=tweet.id),
                ],
                entities=quote.entities,
            )
        facts = tweet_facts(
            quote, default_author=None, referenced=referenced, ids_by_handle=ids_by_handle
        )
        if isinstance(facts, str):
            state.unresolved[facts] += 1
            continue
        events.extend(tweet_interactions(state.ego, facts))
    profiles = [user_profile(u) for u in page.includes.users if u.id != state.ego]
    return events, profiles


async def engagement(
    http: BoundHttp, state: FetchState, config: TwitterConfig
) -> AsyncIterator[FetchPage]:
    """One page per recent own tweet with engagement: likes, reposts and quotes received."""
    recent = sorted(state.own_tweets, key=lambda t: int(t.id), reverse=True)
    refused: set[str] = set()
    for tweet in recent[: config.engagement_tweets]:
        events: list[Interaction] = []
        profiles: list[Profile] = []
        for endpoint, metric, kind in _ENDPOINTS:
            if endpoint in refused or not getattr(tweet.metrics, metric):
                continue
            try:
                if endpoint == "quote_tweets":
                    found = await _quotes(http, state, tweet)
                else:
                    found = await _accounts(http, state, tweet, endpoint, kind)
            except PlatformError as exc:
                effect = f"who engaged with the account's tweets ({endpoint}): not counted"
                if not denied(state, exc, _MISSING[endpoint], effect, (Direction.IN,)):
                    raise
                refused.add(endpoint)
                continue
            events.extend(found[0])
            profiles.extend(found[1])
        if events or profiles:
            yield FetchPage(
                interactions=state.new_events(events), profiles=profiles, cursor=state.since
            )
