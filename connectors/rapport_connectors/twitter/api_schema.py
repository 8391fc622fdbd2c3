"""The shapes of the X API v2 responses the connector reads (only the fields it uses).

Every field the connector asks for through `tweet.fields` / `user.fields` is optional here:
the API leaves a field out when it does not apply (no `in_reply_to_user_id` on a tweet that
replies to no one) or when an older token or endpoint ignores the request, and recorded
responses made with default fields must still decode.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "ApiError",
    "DmEvent",
    "DmPage",
    "Includes",
    "Meta",
    "PublicMetrics",
    "Tweet",
    "TweetMetrics",
    "TweetsPage",
    "User",
    "UserResponse",
    "UsersPage",
]


class PublicMetrics(msgspec.Struct):
    followers_count: int | None = None
    following_count: int | None = None
    tweet_count: int | None = None


class User(msgspec.Struct):
    id: str
    username: str | None = None
    name: str | None = None
    created_at: str | None = None
    description: str | None = None
    url: str | None = None
    profile_image_url: str | None = None
    default_profile_image: bool | None = None
    public_metrics: PublicMetrics | None = None


class ReferencedTweet(msgspec.Struct):
    type: str
    id: str


class Mention(msgspec.Struct):
    username: str | None = None
    id: str | None = None


class Entities(msgspec.Struct):
    mentions: list[Mention] = msgspec.field(default_factory=list)


class TweetMetrics(msgspec.Struct):
    like_count: int | None = None
    retweet_count: int | None = None
    quote_count: int | None = None
    reply_count: int | None = None


class Tweet(msgspec.Struct):
    id: str
    text: str = ""
    author_id: str | None = None
    created_at: str | None = None
    conversation_id: str | None = None
    in_reply_to_user_id: str | None = None
    referenced_tweets: list[ReferencedTweet] = msgspec.field(default_factory=list)
    entities: Entities | None = None
    public_metrics: TweetMetrics | None = None


class Includes(msgspec.Struct):
    users: list[User] = msgspec.field(default_factory=list)
    tweets: list[Tweet] = msgspec.field(default_factory=list)


class Meta(msgspec.Struct):
    result_count: int | None = None
    next_token: str | None = None
    newest_id: str | None = None
    oldest_id: str | None = None


class ApiError(msgspec.Struct):
    """A per-object error of a 200 answer (`{"errors": [{"title": "Not Found Error"}]}`)."""

    title: str | None = None
    detail: str | None = None
    type: str | None = None


class UserResponse(msgspec.Struct):
    data: User | None = None
    errors: list[ApiError] = msgspec.field(default_factory=list)


class UsersPage(msgspec.Struct):
    data: list[User] = msgspec.field(default_factory=list)
    meta: Meta = msgspec.field(default_factory=Meta)


class TweetsPage(msgspec.Struct):
    data: list[Tweet] = msgspec.field(default_factory=list)
    includes: Includes = msgspec.field(default_factory=Includes)
    meta: Meta = msgspec.field(default_factory=Meta)
    errors: list[ApiError] = msgspec.field(default_factory=list)


class DmEvent(msgspec.Struct):
    id: str
    event_type: str | None = None
    text: str | None = None
    sender_id: str | None = None
    dm_conversation_id: str | None = None
    participant_ids: list[str] = msgspec.field(default_factory=list)
    created_at: str | None = None


class DmPage(msgspec.Struct):
    data: list[DmEvent] = msgspec.field(default_factory=list)
    includes: Includes = msgspec.field(default_factory=Includes)
    meta: Meta = msgspec.field(default_factory=Meta)
