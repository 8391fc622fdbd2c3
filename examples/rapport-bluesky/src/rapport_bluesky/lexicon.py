"""The parts of the Bluesky (AT Protocol) lexicons this connector reads, as msgspec structs.

Only what the mapping needs is declared, and unknown fields are ignored, so new fields the
AppView adds tomorrow do not break today's connector. Authors are reduced to their DID where a
view may be a "blocked" or "not found" stub without a handle.
"""

from __future__ import annotations

from typing import Any

import msgspec

__all__ = [
    "AuthorFeed",
    "AuthorRef",
    "Followers",
    "Follows",
    "LikeRecords",
    "PostThread",
    "PostView",
    "ProfileView",
]


class _Lex(msgspec.Struct, rename="camel"):
    """camelCase on the wire, snake_case here; unknown fields ignored."""


class AuthorRef(_Lex):
    did: str
    handle: str | None = None


class ProfileView(_Lex):
    """app.bsky.actor.defs#profileView (followers and follows lists)."""

    did: str
    handle: str | None = None
    display_name: str | None = None
    description: str | None = None
    avatar: str | None = None
    created_at: str | None = None


class Follows(_Lex):
    """app.bsky.graph.getFollows output."""

    subject: ProfileView
    follows: list[ProfileView]
    cursor: str | None = None


class Followers(_Lex):
    """app.bsky.graph.getFollowers output."""

    subject: ProfileView
    followers: list[ProfileView]
    cursor: str | None = None


class StrongRef(_Lex):
    uri: str
    cid: str | None = None


class ReplyRef(_Lex):
    root: StrongRef
    parent: StrongRef


class FacetFeature(_Lex):
    type: str = msgspec.field(name="$type", default="")
    did: str | None = None


class Facet(_Lex):
    features: list[FacetFeature] = msgspec.field(default_factory=list)


class Embed(_Lex):
    """app.bsky.embed.record ({record: strongRef}) or recordWithMedia ({record: {record}})."""

    type: str = msgspec.field(name="$type", default="")
    record: Any = None


class PostRecord(_Lex):
    """app.bsky.feed.post as written by its author."""

    text: str = ""
    created_at: str | None = None
    reply: ReplyRef | None = None
    facets: list[Facet] = msgspec.field(default_factory=list)
    embed: Embed | None = None


class PostView(_Lex):
    uri: str
    author: AuthorRef
    record: PostRecord
    indexed_at: str
    reply_count: int = 0


class ParentRef(_Lex):
    """The parent of a reply in a feed view: a post, or a notFound/blocked stub."""

    uri: str | None = None
    author: AuthorRef | None = None


class ReplyContext(_Lex):
    parent: ParentRef


class Reason(_Lex):
    """app.bsky.feed.defs#reasonRepost (or #reasonPin): why an item is in the feed."""

    type: str = msgspec.field(name="$type", default="")
    by: AuthorRef | None = None
    indexed_at: str | None = None
    uri: str | None = None


class FeedItem(_Lex):
    post: PostView
    reply: ReplyContext | None = None
    reason: Reason | None = None


class AuthorFeed(_Lex):
    """app.bsky.feed.getAuthorFeed output."""

    feed: list[FeedItem]
    cursor: str | None = None


class ThreadView(_Lex):
    """app.bsky.feed.defs#threadViewPost, or a notFound/blocked stub (no post)."""

    type: str = msgspec.field(name="$type", default="")
    post: PostView | None = None
    replies: list[ThreadView] = msgspec.field(default_factory=list)


class PostThread(_Lex):
    """app.bsky.feed.getPostThread output."""

    thread: ThreadView


class LikeSubject(_Lex):
    uri: str


class LikeValue(_Lex):
    subject: LikeSubject
    created_at: str | None = None


class LikeRecord(_Lex):
    uri: str
    value: LikeValue


class LikeRecords(_Lex):
    """com.atproto.repo.listRecords output for the app.bsky.feed.like collection."""

    records: list[LikeRecord]
    cursor: str | None = None
