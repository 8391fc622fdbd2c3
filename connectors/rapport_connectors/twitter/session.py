"""What every X API request of one refresh shares: the fields asked for, the state the
refresh builds up (newest id, unresolved items, missing data), and how a page is requested.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from rapport.errors import PlatformError
from rapport.model import Direction, Interaction, MissingData
from rapport.plugins.http import BoundHttp, paginate
from rapport_connectors.twitter import api_schema as api

__all__ = [
    "DM_FIELDS",
    "EXPANSIONS",
    "TWEET_FIELDS",
    "USER_FIELDS",
    "FetchState",
    "OwnTweet",
    "denied",
    "request_pages",
]

#: Asked for on every tweet: who it replies to, what it references, when, in which thread.
TWEET_FIELDS = (
    "conversation_id,in_reply_to_user_id,referenced_tweets,public_metrics,created_at,"
    "author_id,entities"
)
#: Authors of the tweets, of the tweets they reference, and of the accounts they address.
EXPANSIONS = (
    "author_id,referenced_tweets.id.author_id,in_reply_to_user_id,entities.mentions.username"
)
#: What the authenticity rules read. (v2 has no `default_profile_image` field, and asking for
#: an unknown field is a 400: a default avatar is recognised from `profile_image_url`.)
USER_FIELDS = "created_at,public_metrics,description,profile_image_url,url,username,name"
DM_FIELDS = "id,text,event_type,dm_conversation_id,created_at,sender_id,participant_ids"

P = TypeVar("P")


@dataclass(frozen=True)
class OwnTweet:
    """One of the ego's own tweets (not a retweet), with what others did to it."""

    id: str
    at: datetime
    metrics: api.TweetMetrics


@dataclass
class FetchState:
    """What one fetch has learned so far."""

    ego: str
    since: str | None
    newest: int = 0
    unresolved: Counter[str] = field(default_factory=Counter)
    missing: list[MissingData] = field(default_factory=list)
    seen_events: set[str] = field(default_factory=set)
    own_tweets: list[OwnTweet] = field(default_factory=list)

    def see_id(self, object_id: str) -> None:
        if object_id.isdigit():
            self.newest = max(self.newest, int(object_id))

    def new_events(self, events: list[Interaction]) -> list[Interaction]:
        """Each event once per fetch (a tweet can be in the own timeline and in mentions)."""
        fresh = [e for e in events if e.event_id not in self.seen_events]
        self.seen_events.update(e.event_id for e in fresh)
        return fresh

    @property
    def cursor(self) -> str | None:
        return str(self.newest) if self.newest else self.since


#: Answers that mean "this token or access tier may not read this endpoint" once the account
#: itself was found: that part is reported missing, the refresh goes on with the rest.
DENIED = frozenset({401, 403, 404})


def denied(
    state: FetchState,
    exc: PlatformError,
    data: str,
    effect: str,
    hides: tuple[Direction, ...] = (),
) -> bool:
    """Record a refused endpoint as missing data; False when `exc` is a real failure.

    `hides` is the side of the account's exchanges the refusal leaves unseen (MissingData)."""
    if exc.status not in DENIED:
        return False
    state.missing.append(
        MissingData(data=data, effect=f"{effect} (the API answered: {exc})", hides=hides)
    )
    return True


def request_pages(
    http: BoundHttp,
    path: str,
    type_: type[P],
    *,
    endpoint: str,
    params: dict[str, Any],
    next_token: Callable[[P], str | None],
    max_pages: int,
) -> AsyncIterator[tuple[P, str | None]]:
    async def one(token: str | None) -> tuple[P, str | None]:
        query = dict(params)
        if token is not None:
            query["pagination_token"] = token
        page = await http.get_json(path, type_, endpoint=endpoint, params=query)
        return page, next_token(page)

    fetch_page: Callable[[str | None], Awaitable[tuple[P, str | None]]] = one
    return paginate(fetch_page, max_pages=max_pages)
