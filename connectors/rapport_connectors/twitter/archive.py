"""Reading an X data export (a zip, or the unpacked folder) into one `ArchiveImport`.

The export is a folder of `data/<type>.js` files (`tweets.js`, `tweets-part1.js`, ...), each a
`window.YTD.<type>.partN = [...]` assignment, plus `manifest.js`. Every file may be absent:
what is absent is reported in `ArchiveImport.missing` and the rest still scores. What is
present must be readable: a malformed or truncated file raises `ArchiveError` naming the member
and the line/column or item, and because the whole result is built before it is returned,
nothing is ever half-imported.

The export only holds what the account itself did (its tweets, the likes it gave, the accounts
it blocked) plus its direct messages in both directions. What others did to it in public
(replies, mentions, likes, reposts of its tweets) is not in it; that is reported as missing
too, because it is why an archive alone sees fewer two-way relationships than the API does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Generic, TypeVar

from rapport.errors import ArchiveError
from rapport.model import AccountRef, Direction, Interaction, Kind, MissingData, Profile
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport
from rapport_connectors.twitter import archive_schema as schema
from rapport_connectors.twitter.mapping import (
    PLATFORM,
    TweetFacts,
    given_like,
    message_interactions,
    reaction_interaction,
    tweet_interactions,
    veto_interaction,
)
from rapport_connectors.twitter.text import (
    parse_iso,
    parse_v1_date,
    retweeted_handle,
    snowflake_time,
    status_url_handle,
    text_without_leading_mentions,
)
from rapport_connectors.twitter.ytd import decode_items, decode_value

__all__ = ["ARCHIVE_FORMAT", "detect_archive", "read_archive"]

ARCHIVE_FORMAT = "x-archive"

T = TypeVar("T")

_DATA_FILE = re.compile(r"^(?P<type>[a-z][a-z0-9-]*?)(?:-part(?P<part>\d+))?\.js$")
_YTD_MARKER = b"window.YTD."
_MANIFEST_MARKER = b"window.__THAR_CONFIG"
_SURROGATE = re.compile("[\ud800-\udfff]")

# What each missing file costs the score (the `effect` of its MissingData).
_EFFECTS = {
    "manifest": "no generation date: score at an explicit as-of date, or events decay to today",
    "account": "the account's handle and creation date are unknown",
    "tweets": "no own tweets: replies, mentions, quotes and reposts the account sent are "
    "not counted",
    "direct-messages": "no one-to-one direct messages: the strongest two-way signal is missing",
    "direct-messages-group": "no group direct messages",
    "follower": "the follower count is unknown (it never raises the score)",
    "following": "the following count is unknown",
    "like": "no likes given",
    "block": "blocked accounts unknown: blocks cannot veto relationships",
    "mute": "muted accounts unknown: mutes cannot veto relationships",
}
_INBOUND = MissingData(
    data="inbound public interactions",
    effect="an X export holds only what the account did, plus its direct messages: replies, "
    "mentions, likes and reposts by others are not in it, so public reciprocity is unseen",
    hides=(Direction.IN,),
)


def _data_members(source: ArchiveSource) -> dict[str, list[str]]:
    """Data files by type (`tweets`, `direct-messages`, ...), parts in order."""
    found: dict[str, list[tuple[int, str]]] = {}
    for name in source.names():
        path = PurePosixPath(name)
        if "assets" in path.parts[:-1]:
            continue  # the archive viewer's own JavaScript, not data
        match = _DATA_FILE.match(path.name)
        if match is None:
            continue
        part = int(match.group("part") or 0)
        found.setdefault(match.group("type"), []).append((part, name))
    return {kind: [n for _p, n in sorted(parts)] for kind, parts in found.items()}


def detect_archive(source: ArchiveSource) -> bool:
    """An X export has a `manifest.js` (`window.__THAR_CONFIG = ...`), or `.js` data files
    that start `window.YTD.`. Only the first member of each kind is looked at."""
    members = _data_members(source)
    for kind, names in sorted(members.items(), key=lambda item: item[0] != "manifest"):
        try:
            head = source.read_bytes(names[0])[:256]
        except ArchiveError:
            continue
        if _YTD_MARKER in head or (kind == "manifest" and _MANIFEST_MARKER in head):
            return True
    return False


@dataclass
class _Items(Generic[T]):
    """The items of some data types, each with where it came from (for error messages)."""

    present: bool = False
    items: list[tuple[str, int, T]] = field(default_factory=list)


class _Reader:
    def __init__(self, source: ArchiveSource) -> None:
        self.source = source
        self.archive = source.display
        self.members = _data_members(source)

    def has(self, kind: str) -> bool:
        return kind in self.members

    def first_of(self, kinds: tuple[str, ...]) -> tuple[str, ...]:
        """The first of several spellings of one data type that the export holds."""
        return next(((kind,) for kind in kinds if kind in self.members), ())

    def items(self, type_: type[T], *kinds: str) -> _Items[T]:
        """Every item of the given data types (all their parts), decoded as `type_`."""
        result: _Items[T] = _Items()
        for kind in kinds:
            for member in self.members.get(kind, []):
                result.present = True
                text = self.source.read_text(member)
                decoded = decode_items(text, type_, archive=self.archive, member=member)
                result.items.extend(
                    (member, index, item) for index, item in enumerate(decoded, start=1)
                )
        return result

    def error(self, message: str, member: str, index: int) -> ArchiveError:
        return ArchiveError(self.archive, message, member=member, position=f"item {index}")


def _clean(value: str | None) -> str | None:
    """Text safe to write out again: a lone surrogate (an emoji cut in half by an old
    truncation, kept as a `\\ud83d` escape) becomes U+FFFD instead of failing JSON output."""
    if value is None:
        return None
    return _SURROGATE.sub("\ufffd", value)


def _account(value: str | None) -> str | None:
    """An account id, or None for the placeholders old exports hold (`"-1"`, `"0"`, `""`)
    where a mentioned account no longer existed."""
    return value if value and value.isdigit() and value.strip("0") else None


def _first(items: _Items[T]) -> T | None:
    return items.items[0][2] if items.items else None


def _manifest(reader: _Reader) -> schema.Manifest | None:
    names = reader.members.get("manifest", [])
    if not names:
        return None
    text = reader.source.read_text(names[0])
    return decode_value(text, schema.Manifest, archive=reader.archive, member=names[0])


def _when(
    reader: _Reader, value: str, parse: Callable[[str], datetime], member: str, index: int
) -> datetime:
    try:
        return parse(value)
    except ValueError as exc:
        raise reader.error(f"unreadable date: {exc}", member, index) from None


def _infer_ego(conversations: Iterable[schema.DmConversation]) -> str | None:
    """The one account in every one-to-one conversation id `A-B`, if there is exactly one."""
    common: set[str] | None = None
    for conversation in conversations:
        ids = set(conversation.conversation_id.split("-"))
        if len(ids) != 2:
            continue
        common = ids if common is None else common & ids
    return next(iter(common)) if common is not None and len(common) == 1 else None


class _Importer:
    """Turns the typed items into interactions; counts what it could not resolve."""

    def __init__(self, reader: _Reader, ego: str, ego_handle: str | None) -> None:
        self.reader = reader
        self.ego = ego
        self.events: dict[str, Interaction] = {}
        self.handles: dict[str, str] = {}
        self.names: dict[str, tuple[str, str | None]] = {}
        if ego_handle:
            self.handles[ego_handle.lower()] = ego
        self.unresolved_reposts = 0
        self.unresolved_quotes = 0
        self.unresolved_likes = 0

    def add(self, events: Iterable[Interaction | None]) -> None:
        for event in events:
            if event is not None:
                self.events.setdefault(event.event_id, event)

    def learn_handles(self, tweets: list[tuple[str, int, schema.Tweet]]) -> None:
        """Handle -> id from every mention and reply in the export, to resolve the accounts
        that retweets (`RT @x:`) and quote links (`twitter.com/x/status/1`) name by handle."""
        for _member, _index, tweet in tweets:
            for mention in tweet.entities.user_mentions:
                if mention.screen_name and _account(mention.id_str):
                    self.handles.setdefault(mention.screen_name.lower(), mention.id_str)
                    self.names.setdefault(mention.id_str, (mention.screen_name, mention.name))
            replied = _account(tweet.in_reply_to_user_id_str)
            if tweet.in_reply_to_screen_name and replied:
                handle = tweet.in_reply_to_screen_name
                self.handles.setdefault(handle.lower(), replied)
                self.names.setdefault(replied, (handle, None))

    def tweet(self, member: str, index: int, tweet: schema.Tweet) -> None:
        at = _when(self.reader, tweet.created_at, parse_v1_date, member, index)
        text = tweet.body
        reposted = retweeted_handle(text)
        if reposted is not None:
            target = self.handles.get(reposted.lower())
            if target is None:
                self.unresolved_reposts += 1
                return
            facts = TweetFacts(id=tweet.id_str, author=self.ego, at=at, repost_of=target)
            self.add(tweet_interactions(self.ego, facts))
            return
        quote_of = None
        for url in reversed(tweet.entities.urls):
            permalink = status_url_handle(url.expanded_url or "")
            if permalink is not None:
                quote_of = self.handles.get(permalink[0].lower())
                if quote_of is None:
                    self.unresolved_quotes += 1
                break
        facts = TweetFacts(
            id=tweet.id_str,
            author=self.ego,
            at=at,
            text_len=len(text_without_leading_mentions(text)),
            reply_to=_account(tweet.in_reply_to_user_id_str),
            quote_of=quote_of,
            mentions=[m.id_str for m in tweet.entities.user_mentions if _account(m.id_str)],
        )
        self.add(tweet_interactions(self.ego, facts))

    def like(self, like: schema.LikeEntry) -> None:
        """A like given: attributable only when its URL names the author by a handle seen
        elsewhere in the export (modern exports write `/i/web/status/`, which names no one).
        Dated by the liked tweet's id, the export keeping no time for the like itself."""
        permalink = status_url_handle(like.expanded_url or "")
        author = self.handles.get(permalink[0].lower()) if permalink else None
        at = snowflake_time(like.tweet_id) if like.tweet_id else None
        if author is None or at is None or like.tweet_id is None:
            self.unresolved_likes += 1
            return
        self.add([given_like(self.ego, tweet_id=like.tweet_id, author=author, at=at)])

    def conversation(
        self, member: str, index: int, conversation: schema.DmConversation, *, group: bool
    ) -> None:
        thread = conversation.conversation_id
        participants = {self.ego}  # it is the ego's own export: the ego is in every one
        if group:
            for event in conversation.messages:
                for change in (event.join_conversation, event.participants_join):
                    if change is not None:
                        participants.update(change.participants_snapshot, change.user_ids)
                        if change.initiating_user_id:
                            participants.add(change.initiating_user_id)
                if event.message_create is not None:
                    participants.add(event.message_create.sender_id)
        else:
            participants.update(p for p in thread.split("-") if p)
        for event in conversation.messages:
            message = event.message_create
            if message is None:
                continue
            at = _when(self.reader, message.created_at, parse_iso, member, index)
            if message.recipient_id and not group:
                recipients = {message.recipient_id}
            else:
                recipients = participants - {message.sender_id}
            self.add(
                message_interactions(
                    self.ego,
                    message_id=message.id,
                    sender=message.sender_id,
                    recipients=recipients,
                    at=at,
                    thread_id=thread,
                    text_len=len(message.text) if message.text is not None else None,
                    group=group,
                )
            )
            for reaction in message.reactions:
                if not (reaction.sender_id and reaction.event_id and reaction.created_at):
                    continue
                self.add(
                    [
                        reaction_interaction(
                            self.ego,
                            event_id=reaction.event_id,
                            reactor=reaction.sender_id,
                            message_sender=message.sender_id,
                            at=_when(self.reader, reaction.created_at, parse_iso, member, index),
                            thread_id=thread,
                        )
                    ]
                )

    def profiles(self) -> list[Profile]:
        """What the export says about the counterparts: the handle and name of those it
        mentions or replies to (nothing about their followers, so no rule fires on them)."""
        result = []
        for account in sorted({e.counterpart for e in self.events.values()}):
            handle, name = self.names.get(account, (None, None))
            if handle is not None:
                result.append(
                    Profile(
                        platform=PLATFORM,
                        account=account,
                        handle=_clean(handle),
                        display_name=_clean(name),
                    )
                )
        return result


def _ids(items: _Items[schema.AccountIdEntry]) -> list[str]:
    return [entry.account_id for _m, _i, entry in items.items]


def read_archive(source: ArchiveSource, *, now: datetime | None = None) -> ArchiveImport:
    """Read the whole export; see the module docstring for what is read and reported.

    `now` dates blocks and mutes when the export has neither a generation date nor any dated
    event (the export does not say when a block was made, only that it held when exported).
    """
    reader = _Reader(source)
    missing: list[MissingData] = []

    def note(kind: str, *alternatives: str) -> bool:
        present = any(reader.has(k) for k in (kind, *alternatives))
        if not present:
            missing.append(MissingData(data=kind, effect=_EFFECTS[kind]))
        return present

    manifest = _manifest(reader)
    note("manifest")
    account_entry = _first(reader.items(schema.AccountEntry, "account"))
    note("account")
    profile_entry = _first(reader.items(schema.ProfileEntry, "profile"))
    user_info = manifest.user_info if manifest and manifest.user_info else schema.UserInfo()
    archive_info = (
        manifest.archive_info if manifest and manifest.archive_info else schema.ArchiveInfo()
    )

    # Read and validate every file before mapping anything.
    tweets_read = reader.items(schema.Tweet, "tweets", "tweet")
    note("tweets", "tweet")
    tweets = tweets_read.items
    # Exports of 2019 spell the files `direct-message.js`; some hold only the text-less
    # headers of the messages, which give the same events. The first spelling present wins.
    one_to_one = ("direct-messages", "direct-message", "direct-message-headers")
    dms = reader.items(schema.DmConversation, *reader.first_of(one_to_one)).items
    note(*one_to_one)
    group = ("direct-messages-group", "direct-message-group", "direct-message-group-headers")
    groups = reader.items(schema.DmConversation, *reader.first_of(group)).items
    note(*group)
    followers_read = reader.items(schema.AccountIdEntry, "follower")
    following_read = reader.items(schema.AccountIdEntry, "following")
    followers, following = set(_ids(followers_read)), set(_ids(following_read))
    note("follower")
    note("following")
    likes = reader.items(schema.LikeEntry, "like").items
    has_likes = note("like")
    blocks = _ids(reader.items(schema.AccountIdEntry, "block"))
    mutes = _ids(reader.items(schema.AccountIdEntry, "mute"))
    note("block")
    note("mute")

    ego = (
        user_info.account_id
        or (account_entry.account_id if account_entry else None)
        or _infer_ego(c for _m, _i, c in dms)
    )
    if not ego:
        raise ArchiveError(
            reader.archive,
            "cannot tell whose export this is: neither manifest.js nor account.js names the "
            "account, and no direct messages identify it",
        )
    ego_handle = user_info.user_name or (account_entry.username if account_entry else None)
    generated_at = None
    if archive_info.generation_date:
        try:
            generated_at = parse_iso(archive_info.generation_date)
        except ValueError as exc:
            names = reader.members.get("manifest", ["manifest.js"])
            raise ArchiveError(
                reader.archive, f"unreadable generationDate: {exc}", member=names[0]
            ) from None

    importer = _Importer(reader, ego, ego_handle)
    importer.learn_handles(tweets)
    tweet_ids = set()
    for member, index, tweet in tweets:
        tweet_ids.add(tweet.id_str)
        importer.tweet(member, index, tweet)
    for member, index, conversation in dms:
        importer.conversation(member, index, conversation, group=False)
    for member, index, conversation in groups:
        importer.conversation(member, index, conversation, group=True)
    for _member, _index, like in likes:
        importer.like(like)

    veto_at = generated_at or max(
        (e.at for e in importer.events.values()), default=now or datetime.now(UTC)
    )
    for kind, accounts in ((Kind.BLOCK, blocks), (Kind.MUTE, mutes)):
        importer.add(veto_interaction(ego, account, kind, veto_at) for account in accounts)

    if has_likes and importer.unresolved_likes:
        missing.append(
            MissingData(
                data="like",
                effect=f"like.js names no author for {importer.unresolved_likes} of its "
                f"{len(likes)} liked tweets: those likes given are not counted",
            )
        )
    if importer.unresolved_reposts:
        missing.append(
            MissingData(
                data="repost authors",
                effect=f"{importer.unresolved_reposts} retweets name an author by handle only, "
                "never mentioned elsewhere in the export: not counted",
            )
        )
    if importer.unresolved_quotes:
        missing.append(
            MissingData(
                data="quote authors",
                effect=f"{importer.unresolved_quotes} quoted tweets' authors could not be "
                "resolved to an account id: not counted",
            )
        )
    if archive_info.is_partial_archive:
        missing.append(
            MissingData(
                data="partial archive", effect="the export says it is partial: files may be absent"
            )
        )
    missing.append(_INBOUND)

    avatar = profile_entry.avatar_media_url if profile_entry else None
    description = profile_entry.description if profile_entry else None
    created = None
    if account_entry and account_entry.created_at:
        try:
            created = parse_iso(account_entry.created_at)
        except ValueError as exc:
            names = reader.members.get("account", ["account.js"])
            raise ArchiveError(
                reader.archive, f"unreadable createdAt: {exc}", member=names[0], position="item 1"
            ) from None
    ego_profile = Profile(
        platform=PLATFORM,
        account=ego,
        handle=_clean(ego_handle),
        display_name=_clean(
            user_info.display_name
            or (account_entry.account_display_name if account_entry else None)
        ),
        followers_count=len(followers) if followers_read.present else None,
        following_count=len(following) if following_read.present else None,
        posts_count=len(tweet_ids) if tweets_read.present else None,
        created_at=created,
        default_avatar=("default_profile" in avatar) if avatar else None,
        bio=_clean(description.bio) if description is not None else None,
        url=description.website or None if description is not None else None,
    )
    interactions = sorted(importer.events.values(), key=lambda e: (e.at, e.event_id))
    return ArchiveImport(
        account=AccountRef(platform=PLATFORM, account=ego),
        ego_profile=ego_profile,
        profiles=importer.profiles(),
        interactions=interactions,
        missing=missing,
        generated_at=generated_at,
    )
