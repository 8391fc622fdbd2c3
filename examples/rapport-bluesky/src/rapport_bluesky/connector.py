"""Bluesky through the public AppView: profiles, and the account's interactions, as Rapport
events with direction resolved against the account (the ego).

Mapping (docs/connectors.md has the general rules):

| Bluesky | Rapport |
|---|---|
| the ego's post replying to someone else's post | reply, out |
| someone else's reply to one of the ego's posts (getPostThread) | reply, in |
| the ego's repost of someone else's post (`reasonRepost` by the ego) | repost, out |
| the ego's post embedding someone else's post | quote, out |
| a mention facet in the ego's post | mention, out |
| the ego's like record of someone else's post (listRecords on the PDS) | like, out |

The ego talking to itself (self-replies in a thread, self-quotes) is not a relationship and is
skipped. Incoming likes, reposts and mentions are only visible through notifications, which
need the account's own login: they are reported as missing data, not guessed.

Cursor: the newest event time seen (ISO 8601). A refresh with `since` stops reading the
(newest-first) feed and likes once it reaches older items.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import msgspec

from rapport.errors import InputError
from rapport.model import Direction, Interaction, Kind, MissingData, Profile
from rapport.plugins import Capabilities, Connector, ConnectorConfig, FetchPage
from rapport.plugins.http import BoundHttp, PlatformHttp
from rapport_bluesky import lexicon as lex

__all__ = ["BlueskyConfig", "BlueskyConnector"]

PUBLIC_APPVIEW = "https://public.api.bsky.app"
REPOST = "app.bsky.feed.defs#reasonRepost"
MENTION = "app.bsky.richtext.facet#mention"
EMBED_RECORD = "app.bsky.embed.record"
EMBED_RECORD_WITH_MEDIA = "app.bsky.embed.recordWithMedia"

NOT_VISIBLE = MissingData(
    data="incoming likes, reposts and mentions",
    effect="only visible in the account's notifications (needs its login); replies to its "
    "posts are read from threads instead",
    hides=(Direction.IN,),
)
NO_LIKES = MissingData(
    data="likes given",
    effect="RAPPORT_BLUESKY_PDS_URL is not set, so the account's like records were not read",
)


class BlueskyConfig(ConnectorConfig, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """From RAPPORT_BLUESKY_BASE_URL, _PDS_URL, _MAX_THREADS, _PAGE_SIZE (and _TOKEN, unused by
    the public AppView)."""

    base_url: str | None = PUBLIC_APPVIEW
    pds_url: str | None = None
    max_threads: int = 25
    page_size: int = 100


def parse_time(text: str | None) -> datetime | None:
    """An AT Protocol datetime; records written by old clients may lack a zone (UTC)."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def did_of(uri: str) -> str | None:
    """The repository DID of an `at://did/collection/rkey` URI."""
    if not uri.startswith("at://"):
        return None
    authority = uri[5:].split("/", 1)[0]
    return authority if authority.startswith("did:") else None


def quoted_uri(embed: lex.Embed | None) -> str | None:
    """The URI of the post an embed quotes (record, or record-with-media), if any."""
    if embed is None or embed.type not in (EMBED_RECORD, EMBED_RECORD_WITH_MEDIA):
        return None
    record: object = embed.record
    if embed.type == EMBED_RECORD_WITH_MEDIA and isinstance(record, dict):
        record = record.get("record")
    uri = record.get("uri") if isinstance(record, dict) else None
    return uri if isinstance(uri, str) else None


def to_profile(view: lex.ProfileView) -> Profile:
    return Profile(
        platform="bluesky",
        account=view.did,
        handle=view.handle,
        display_name=view.display_name,
        bio=view.description,
        default_avatar=view.avatar is None,
        created_at=parse_time(view.created_at),
    )


class _Mapper:
    """Turns feed items, thread replies and like records into events for one ego."""

    def __init__(self, ego: str) -> None:
        self.ego = ego

    def event(
        self,
        counterpart: str | None,
        direction: Direction,
        kind: Kind,
        at: datetime | None,
        event_id: str,
        thread_id: str | None = None,
        text_len: int | None = None,
    ) -> Interaction | None:
        if not counterpart or counterpart == self.ego or at is None:
            return None
        return Interaction(
            platform="bluesky",
            ego=self.ego,
            counterpart=counterpart,
            direction=direction,
            kind=kind,
            at=at,
            event_id=event_id,
            thread_id=thread_id,
            text_len=text_len,
        )

    def feed_item(self, item: lex.FeedItem) -> list[Interaction | None]:
        post = item.post
        if item.reason is not None and item.reason.type == REPOST:
            if item.reason.by is None or item.reason.by.did != self.ego:
                return []
            at = parse_time(item.reason.indexed_at) or parse_time(post.indexed_at)
            event_id = item.reason.uri or f"{post.uri}#repost-by-{self.ego}"
            return [self.event(post.author.did, Direction.OUT, Kind.REPOST, at, event_id)]
        if post.author.did != self.ego:
            return []  # pinned or context posts of others: not the ego's doing
        record = post.record
        at = parse_time(record.created_at) or parse_time(post.indexed_at)
        thread = record.reply.root.uri if record.reply else None
        events: list[Interaction | None] = []
        if record.reply is not None:
            parent = item.reply.parent if item.reply else None
            parent_did = (parent.author.did if parent and parent.author else None) or did_of(
                record.reply.parent.uri
            )
            events.append(
                self.event(
                    parent_did, Direction.OUT, Kind.REPLY, at, post.uri, thread, len(record.text)
                )
            )
        quoted = quoted_uri(record.embed)
        if quoted is not None:
            events.append(
                self.event(did_of(quoted), Direction.OUT, Kind.QUOTE, at, f"{post.uri}#quote")
            )
        mentioned = {
            feature.did
            for facet in record.facets
            for feature in facet.features
            if feature.type == MENTION and feature.did
        }
        for did in sorted(mentioned):
            event_id = f"{post.uri}#mention-{did}"
            events.append(self.event(did, Direction.OUT, Kind.MENTION, at, event_id, thread))
        return events

    def thread_replies(self, thread: lex.ThreadView, root: str) -> list[Interaction | None]:
        events: list[Interaction | None] = []
        for reply in thread.replies:
            post = reply.post
            if post is None:
                continue
            at = parse_time(post.record.created_at) or parse_time(post.indexed_at)
            thread_id = post.record.reply.root.uri if post.record.reply else root
            events.append(
                self.event(
                    post.author.did,
                    Direction.IN,
                    Kind.REPLY,
                    at,
                    post.uri,
                    thread_id,
                    len(post.record.text),
                )
            )
        return events

    def like(self, record: lex.LikeRecord) -> Interaction | None:
        at = parse_time(record.value.created_at)
        liked = did_of(record.value.subject.uri)
        return self.event(liked, Direction.OUT, Kind.LIKE, at, record.uri)


def _kept(events: list[Interaction | None], since: datetime | None) -> list[Interaction]:
    return [e for e in events if e is not None and (since is None or e.at > since)]


class BlueskyConnector(Connector):
    name = "bluesky"
    version = "0.1.0"
    capabilities = Capabilities(followers=True, following=True, posts=True, mentions=True)
    config_type = BlueskyConfig

    async def fetch(
        self,
        account: str,
        *,
        http: PlatformHttp,
        config: ConnectorConfig,
        since: str | None = None,
    ) -> AsyncIterator[FetchPage]:
        if not isinstance(config, BlueskyConfig):
            config = msgspec.convert(msgspec.structs.asdict(config), BlueskyConfig)
        since_at = parse_time(since) if since else None
        if since and since_at is None:
            raise InputError(f"bluesky: --since must be a cursor this connector printed: {since!r}")
        api = http.bind(self.name, config)
        newest = since_at

        def cursor() -> str | None:
            return newest.isoformat() if newest else None

        # 1. Both sides of the graph, as profiles (the ego's DID comes with them).
        ego: str | None = None
        missing = [NOT_VISIBLE] + ([] if config.pds_url else [NO_LIKES])
        for method in ("app.bsky.graph.getFollows", "app.bsky.graph.getFollowers"):
            page_cursor: str | None = None
            while True:
                params: dict[str, str | int] = {"actor": account, "limit": config.page_size}
                if page_cursor:
                    params["cursor"] = page_cursor
                subject, views, next_cursor = await _graph_page(api, method, params)
                ego = subject.did
                profiles = [to_profile(subject), *map(to_profile, views)]
                yield FetchPage(profiles=profiles, cursor=cursor(), missing=missing)
                missing = []
                if not next_cursor or next_cursor == page_cursor:
                    break
                page_cursor = next_cursor
        assert ego is not None
        mapper = _Mapper(ego)

        # 2. The ego's own feed (newest first), with replies others wrote to its posts.
        page_cursor = None
        while True:
            params = {"actor": account, "limit": config.page_size, "filter": "posts_with_replies"}
            if page_cursor:
                params["cursor"] = page_cursor
            feed = await api.get_json(
                "/xrpc/app.bsky.feed.getAuthorFeed",
                lex.AuthorFeed,
                endpoint="app.bsky.feed.getAuthorFeed",
                params=params,
            )
            events: list[Interaction | None] = []
            reached_old = False
            for item in feed.feed:
                events.extend(mapper.feed_item(item))
                item_at = parse_time(item.post.indexed_at)
                if since_at and item_at and item_at <= since_at and item.reason is None:
                    reached_old = True
            threads = [
                item.post
                for item in feed.feed
                if item.reason is None and item.post.author.did == ego and item.post.reply_count
            ][: config.max_threads]
            for post in threads:
                thread = await api.get_json(
                    "/xrpc/app.bsky.feed.getPostThread",
                    lex.PostThread,
                    endpoint="app.bsky.feed.getPostThread",
                    params={"uri": post.uri, "depth": 1, "parentHeight": 0},
                )
                events.extend(mapper.thread_replies(thread.thread, post.uri))
            kept = _kept(events, since_at)
            newest = max([newest, *(e.at for e in kept)], key=_sort_key)
            yield FetchPage(interactions=kept, cursor=cursor())
            if reached_old or not feed.cursor or feed.cursor == page_cursor:
                break
            page_cursor = feed.cursor

        # 3. Likes given: records in the ego's own repository, on its PDS.
        if config.pds_url:
            pds = http.bind(self.name, msgspec.structs.replace(config, base_url=config.pds_url))
            async for likes in self._likes(pds, ego, mapper, since_at, config.page_size):
                newest = max([newest, *(e.at for e in likes)], key=_sort_key)
                yield FetchPage(interactions=likes, cursor=cursor())

    async def _likes(
        self,
        pds: BoundHttp,
        ego: str,
        mapper: _Mapper,
        since: datetime | None,
        page_size: int,
    ) -> AsyncIterator[list[Interaction]]:
        page_cursor: str | None = None
        while True:
            params: dict[str, str | int] = {
                "repo": ego,
                "collection": "app.bsky.feed.like",
                "limit": page_size,
            }
            if page_cursor:
                params["cursor"] = page_cursor
            page = await pds.get_json(
                "/xrpc/com.atproto.repo.listRecords",
                lex.LikeRecords,
                endpoint="com.atproto.repo.listRecords",
                params=params,
            )
            events = [mapper.like(record) for record in page.records]
            kept = _kept(events, since)
            yield kept
            older = since is not None and len(kept) < len([e for e in events if e])
            if older or not page.cursor or page.cursor == page_cursor:
                return
            page_cursor = page.cursor


async def _graph_page(
    api: BoundHttp, method: str, params: dict[str, str | int]
) -> tuple[lex.ProfileView, list[lex.ProfileView], str | None]:
    """One page of getFollows or getFollowers: the subject, the profiles, the next cursor."""
    if method == "app.bsky.graph.getFollows":
        follows = await api.get_json(f"/xrpc/{method}", lex.Follows, endpoint=method, params=params)
        return follows.subject, follows.follows, follows.cursor
    followers = await api.get_json(f"/xrpc/{method}", lex.Followers, endpoint=method, params=params)
    return followers.subject, followers.followers, followers.cursor


def _sort_key(value: datetime | None) -> datetime:
    return value or datetime.min.replace(tzinfo=UTC)
