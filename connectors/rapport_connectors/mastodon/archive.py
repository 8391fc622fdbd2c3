"""Read a Mastodon account archive (zip or folder) into normalised events.

What an archive holds, and what it means for the metric:

* `actor.json`: the ego (ActivityPub actor): its URI, `preferredUsername`, `published`,
  `summary`.
* `outbox.json`: everything the ego posted (an ActivityPub OrderedCollection). `Create` of a
  `Note` addressed only to the mentioned actors (no Public, no followers collection) is a direct
  message; a Note with `inReplyTo` is a reply to the replied-to author (when the mention tags or
  the status URI tell us who that is), other mentioned actors get a mention; `Announce` is a
  boost of the announced status's author.
* `likes.json`: URIs of statuses the ego favourited, with no time and usually no author. When
  the URI names the account (`/users/NAME/statuses/ID`) and the id is a Mastodon snowflake, the
  like is mapped, dated at the liked status's creation (a lower bound); the rest are reported.
* `following_accounts.csv`: the following count (a structural fact, not interactions);
  `blocked_accounts.csv` and `muted_accounts.csv`: vetoes.
* `bookmarks.json` is private bookkeeping, not an interaction, and is ignored.

An archive holds only what the ego did: nobody else's replies, favourites or boosts, and no
followers list. That is reported in `missing`, never raised. Malformed content raises
`ArchiveError` naming the member and the position; the result is built in full before it is
returned, so nothing is ever half-imported.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec

from rapport.errors import ArchiveError
from rapport.json_errors import describe_json_error
from rapport.model import AccountRef, Direction, Interaction, Kind, MissingData, Profile
from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import ArchiveImport
from rapport_connectors.mastodon.addresses import (
    PUBLIC_ADDRESSES,
    actor_of_status_uri,
    address_from_acct,
    address_from_uri,
    author_from_status_uri,
    host_of,
    status_time_from_id,
)
from rapport_connectors.mastodon.text import plain_text, text_len

__all__ = ["PLATFORM", "detect", "read_archive"]

PLATFORM = "mastodon"
_NOTE_TYPES = frozenset({"Note", "Question", "Article", "Page"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _member(source: ArchiveSource, name: str) -> str | None:
    """The member called `name`, at the top level or in the shallowest folder (people
    unpack an archive into a folder of its own and zip that again)."""
    found = source.find(name)
    return min(found, key=lambda n: (n.count("/"), n)) if found else None


def detect(source: ArchiveSource) -> bool:
    """A Mastodon archive has both `outbox.json` and `actor.json`."""
    return _member(source, "outbox.json") is not None and _member(source, "actor.json") is not None


def _load_json(source: ArchiveSource, member: str) -> Any:
    text = source.read_text(member)
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ArchiveError(
            source.display,
            describe_json_error(text, exc),
            member=member,
            position=f"line {exc.lineno}, column {exc.colno}",
        ) from None
    except RecursionError:
        # The standard library recurses once per nesting level: deep nesting is hostile input.
        raise ArchiveError(source.display, "JSON nested too deeply", member=member) from None


def _as_list(value: object) -> list[str]:
    """`to`/`cc` hold one string or a list of them."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


class _Reader:
    """One pass over one archive; collects everything, returns nothing until the end."""

    def __init__(self, source: ArchiveSource) -> None:
        self.source = source
        self.interactions: list[Interaction] = []
        self.missing: list[MissingData] = []
        self.known: dict[str, str] = {}  # actor URI -> name@host, from mention tags
        self.ego = ""
        self.ego_uri = ""
        self.ego_host = ""
        self.followers_uri = ""
        self.unresolved_recipients = 0
        self.unresolved_boosts = 0
        # conversation -> the ego's first post in it; answered status URI -> (its author, the
        # kind it would be, the conversation, when the ego answered it)
        self.joined: dict[str, datetime] = {}
        self.answered: dict[str, tuple[str, Kind, str, datetime]] = {}

    # -- errors and small parsers -------------------------------------------------------

    def error(self, message: str, member: str, position: str | None = None) -> ArchiveError:
        return ArchiveError(self.source.display, message, member=member, position=position)

    def time(self, value: object, member: str, position: str) -> datetime:
        if not isinstance(value, str):
            raise self.error("missing or non-text `published` time", member, position)
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            raise self.error(f"unreadable time {value[:40]!r}", member, position) from None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)

    def resolve(self, actor_uri: str) -> str | None:
        return self.known.get(actor_uri) or address_from_uri(actor_uri)

    def add(
        self,
        counterparts: Iterable[str],
        *,
        kind: Kind,
        at: datetime,
        event_id: str,
        thread_id: str | None = None,
        length: int | None = None,
        direction: Direction = Direction.OUT,
    ) -> None:
        """Events between the ego and each counterpart (the ego itself skipped). One status
        that reaches several people is one event per person, so their ids get
        `#<counterpart>`."""
        people = [c for c in dict.fromkeys(counterparts) if c != self.ego]
        for person in people:
            self.interactions.append(
                Interaction(
                    platform=PLATFORM,
                    ego=self.ego,
                    counterpart=person,
                    direction=direction,
                    kind=kind,
                    at=at,
                    event_id=event_id if len(people) == 1 else f"{event_id}#{person}",
                    thread_id=thread_id,
                    text_len=length,
                )
            )

    # -- members ------------------------------------------------------------------------

    def read_actor(self, member: str | None, outbox: Any) -> Profile:
        if member is None:
            # Without actor.json, the outbox's `actor` still says whose archive this is.
            items = outbox.get("orderedItems") if isinstance(outbox, dict) else None
            actor = next(
                (i["actor"] for i in items or [] if isinstance(i, dict) and "actor" in i), None
            )
            address = address_from_uri(actor) if isinstance(actor, str) else None
            if address is None or not isinstance(actor, str):
                raise ArchiveError(
                    self.source.display,
                    "cannot tell whose archive this is: no actor.json, and no outbox entry "
                    "names its actor",
                )
            self.ego, self.ego_uri, self.ego_host = address, actor, host_of(actor) or ""
            self.followers_uri = actor + "/followers"
            self.missing.append(
                MissingData(
                    data="actor.json (the profile)",
                    effect="the account's own profile (bio, creation date) is unknown",
                )
            )
            return Profile(platform=PLATFORM, account=address, handle=address, url=actor)

        data = _load_json(self.source, member)
        if not isinstance(data, dict):
            raise self.error("expected a JSON object (an ActivityPub actor)", member)
        uri, username = data.get("id"), data.get("preferredUsername")
        host = host_of(uri) if isinstance(uri, str) else None
        if not isinstance(uri, str) or host is None:
            raise self.error("the actor has no http(s) `id`", member, "id")
        if not isinstance(username, str) or (ego := address_from_acct(username, host)) is None:
            raise self.error("the actor has no usable `preferredUsername`", member)
        self.ego, self.ego_uri, self.ego_host = ego, uri, host
        followers = data.get("followers")
        self.followers_uri = followers if isinstance(followers, str) else uri + "/followers"
        published = data.get("published")
        summary = data.get("summary")
        name = data.get("name")
        url = data.get("url")
        return Profile(
            platform=PLATFORM,
            account=ego,
            handle=ego,
            display_name=name if isinstance(name, str) and name else None,
            followers_count=_collection_size(followers),
            following_count=_collection_size(data.get("following")),
            created_at=self.time(published, member, "published") if published else None,
            # Mastodon leaves `icon` out of the actor when the account has no avatar.
            default_avatar="icon" not in data,
            bio=plain_text(summary) if isinstance(summary, str) and summary else None,
            url=url if isinstance(url, str) else uri,
        )

    def learn_mentions(self, items: list[Any]) -> None:
        """Actor URI -> address from every Mention tag, so that numeric actor URIs
        (`/ap/users/1170...`) in `inReplyTo`, `cc` and likes resolve to people too."""
        for item in items:
            obj = item.get("object") if isinstance(item, dict) else None
            tags = obj.get("tag") if isinstance(obj, dict) else None
            for tag in tags if isinstance(tags, list) else []:
                if not isinstance(tag, dict) or tag.get("type") != "Mention":
                    continue
                href, name = tag.get("href"), tag.get("name")
                if not isinstance(href, str) or (host := host_of(href)) is None:
                    continue
                address = address_from_acct(name, host) if isinstance(name, str) else None
                address = address or address_from_uri(href)
                if address is not None:
                    self.known.setdefault(href, address)

    def read_outbox(self, member: str, data: Any) -> int | None:
        if not isinstance(data, dict) or not isinstance(data.get("orderedItems"), list):
            raise self.error("expected an OrderedCollection with `orderedItems`", member)
        items: list[Any] = data["orderedItems"]
        self.learn_mentions(items)
        for index, item in enumerate(items):
            position = f"orderedItems[{index}]"
            if not isinstance(item, dict):
                raise self.error("an activity is not a JSON object", member, position)
            kind = item.get("type")
            if kind == "Create":
                self.read_create(item, member, position)
            elif kind == "Announce":
                self.read_announce(item, member, position)
        total = data.get("totalItems")
        return total if isinstance(total, int) and total >= 0 else None

    def read_create(self, item: dict[str, Any], member: str, position: str) -> None:
        obj = item.get("object")
        if not isinstance(obj, dict) or obj.get("type") not in _NOTE_TYPES:
            return  # a Create of something that is not a post (rare): nothing to count
        status_id = obj.get("id") or item.get("id")
        if not isinstance(status_id, str) or not status_id:
            raise self.error("a post has no `id`", member, position)
        at = self.time(obj.get("published") or item.get("published"), member, position)
        content = obj.get("content")
        length = text_len(content) if isinstance(content, str) else None
        thread = obj.get("conversation")
        thread_id = thread if isinstance(thread, str) and thread else None
        if thread_id is not None:
            self.joined[thread_id] = min(self.joined.get(thread_id, at), at)
        in_reply_to = obj.get("inReplyTo")

        raw_tags = obj.get("tag")
        tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
        mentions = [
            t["href"]
            for t in tags
            if isinstance(t, dict) and t.get("type") == "Mention" and isinstance(t.get("href"), str)
        ]
        audience = _as_list(obj.get("to", item.get("to"))) + _as_list(obj.get("cc", item.get("cc")))
        public = any(a in PUBLIC_ADDRESSES for a in audience)
        to_followers = any(a == self.followers_uri or a.endswith("/followers") for a in audience)

        if not public and not to_followers:
            # Addressed to the mentioned people only: Mastodon's direct message.
            recipients = [
                a
                for a in dict.fromkeys([*mentions, *audience])
                if a != self.ego_uri and a not in PUBLIC_ADDRESSES
            ]
            resolved = [r for r in (self.resolve(a) for a in recipients) if r is not None]
            self.unresolved_recipients += len(recipients) - len(resolved)
            self.remember_answer(in_reply_to, mentions, Kind.MESSAGE, thread_id, at)
            self.add(
                resolved,
                kind=Kind.MESSAGE,
                at=at,
                event_id=status_id,
                thread_id=thread_id,
                length=length,
            )
            return

        replied_to = self.remember_answer(in_reply_to, mentions, Kind.REPLY, thread_id, at)
        mentioned = [r for r in (self.resolve(h) for h in mentions) if r is not None]
        if replied_to is not None and replied_to != self.ego:
            others = [m for m in mentioned if m != replied_to]
            people = [replied_to, *others]
            for person in people:
                self.add(
                    [person],
                    kind=Kind.REPLY if person == replied_to else Kind.MENTION,
                    at=at,
                    event_id=status_id if len(people) == 1 else f"{status_id}#{person}",
                    thread_id=thread_id,
                    length=length,
                )
        else:
            self.add(
                mentioned,
                kind=Kind.MENTION,
                at=at,
                event_id=status_id,
                thread_id=thread_id,
                length=length,
            )

    def remember_answer(
        self,
        in_reply_to: object,
        mentions: list[str],
        kind: Kind,
        thread_id: str | None,
        answered_at: datetime,
    ) -> str | None:
        """The author of the status this post answers (None when unknown), remembered so
        `infer_inbound` can tell whether that status reached the ego first."""
        author = self.replied_author(in_reply_to, mentions)
        if isinstance(in_reply_to, str) and author is not None and author != self.ego and thread_id:
            self.answered.setdefault(in_reply_to, (author, kind, thread_id, answered_at))
        return author

    def infer_inbound(self) -> int:
        """What others said to the ego that an archive still shows through the ego's answers
        (dated by the answered status's snowflake id): a status the ego answered privately is
        a message in; one the ego answered publicly, posted in a conversation the ego had
        already joined, is a reply in. Its event id is the status URI, the id the API gives the
        same reply, so both deduplicate. Returns how many answered statuses could not be
        dated."""
        undated = 0
        for uri, (author, kind, thread_id, answered_at) in self.answered.items():
            seconds = status_time_from_id(uri)
            if seconds is None:
                undated += 1
                continue
            at = datetime.fromtimestamp(seconds, UTC)
            first = self.joined.get(thread_id)
            # Said before the answer (a bogus id fails). A public status reached the ego only
            # if the ego had joined its conversation before; a status the ego answered
            # privately was, in all likelihood, a direct message to the ego.
            reached = kind is Kind.MESSAGE or (first is not None and first < at)
            if reached and at < answered_at:
                self.add(
                    [author],
                    kind=kind,
                    at=at,
                    event_id=uri,
                    thread_id=thread_id,
                    direction=Direction.IN,
                )
        return undated

    def replied_author(self, in_reply_to: object, mentions: list[str]) -> str | None:
        """Who wrote the status replied to: the mentioned actor whose URI prefixes it, or the
        name a `/users/NAME/statuses/ID` URI encodes; None when neither tells."""
        if not isinstance(in_reply_to, str):
            return None
        actor = actor_of_status_uri(in_reply_to)
        if actor is not None:
            if actor == self.ego_uri:
                return self.ego
            if actor in mentions:
                return self.resolve(actor)
        return author_from_status_uri(in_reply_to)

    def read_announce(self, item: dict[str, Any], member: str, position: str) -> None:
        obj = item.get("object")
        uri = obj if isinstance(obj, str) else obj.get("id") if isinstance(obj, dict) else None
        if not isinstance(uri, str) or not uri:
            raise self.error("a boost names no status", member, position)
        at = self.time(item.get("published"), member, position)
        author: str | None = None
        if isinstance(obj, dict) and isinstance(obj.get("attributedTo"), str):
            author = self.resolve(obj["attributedTo"])
        if author is None:
            actor = actor_of_status_uri(uri)
            author = (self.known.get(actor) if actor else None) or author_from_status_uri(uri)
        if author is None:
            # Mastodon addresses a boost to the booster's followers and cc's the author.
            ccs = [
                a
                for a in _as_list(item.get("cc"))
                if a not in PUBLIC_ADDRESSES and not a.endswith("/followers") and a != self.ego_uri
            ]
            if len(ccs) == 1:
                author = self.resolve(ccs[0])
        if author is None:
            self.unresolved_boosts += 1
            return
        activity_id = item.get("id")
        event_id = activity_id if isinstance(activity_id, str) and activity_id else uri
        self.add([author], kind=Kind.REPOST, at=at, event_id=event_id)

    def read_likes(self, member: str) -> None:
        data = _load_json(self.source, member)
        items = data.get("orderedItems") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise self.error("expected an OrderedCollection with `orderedItems`", member)
        unresolved = 0
        for index, entry in enumerate(items):
            uri = entry.get("object") if isinstance(entry, dict) else entry
            if not isinstance(uri, str):
                raise self.error("a like is not a status URI", member, f"orderedItems[{index}]")
            actor = actor_of_status_uri(uri)
            author = (self.known.get(actor) if actor else None) or author_from_status_uri(uri)
            seconds = status_time_from_id(uri)
            if author is None or seconds is None:
                unresolved += 1
                continue
            self.add(
                [author],
                kind=Kind.LIKE,
                at=datetime.fromtimestamp(seconds, UTC),
                event_id=f"like:{uri}",
            )
        if unresolved:
            self.missing.append(
                MissingData(
                    data=f"{unresolved} of {len(items)} favourites in likes.json",
                    effect="their author or time cannot be told from the status URI alone "
                    "(not a /users/NAME/statuses/ID URI with a Mastodon id); left out",
                )
            )

    def read_accounts_csv(self, member: str) -> list[str]:
        """Account addresses of a Mastodon CSV export (with or without its header row)."""
        text = self.source.read_text(member)
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        addresses: list[str] = []
        try:
            for row in reader:
                if not row or not any(cell.strip() for cell in row):
                    continue
                if reader.line_num == 1 and row[0].strip().lower() == "account address":
                    continue
                address = address_from_acct(row[0], self.ego_host)
                if address is None:
                    raise self.error(
                        f"not an account address: {row[0][:60]!r}",
                        member,
                        f"line {reader.line_num}",
                    )
                addresses.append(address)
        except csv.Error as exc:
            raise self.error(
                f"malformed or truncated CSV ({exc})", member, f"line {reader.line_num}"
            ) from None
        return addresses

    # -- the whole archive --------------------------------------------------------------

    def read(self) -> ArchiveImport:
        source = self.source
        outbox_member = _member(source, "outbox.json")
        outbox = _load_json(source, outbox_member) if outbox_member else None
        ego_profile = self.read_actor(_member(source, "actor.json"), outbox)

        posts_count: int | None = None
        undated = 0
        if outbox_member is not None:
            posts_count = self.read_outbox(outbox_member, outbox)
            undated = self.infer_inbound()
        else:
            self._missing_file(
                "outbox.json", "no posts: replies, mentions, boosts and direct messages unknown"
            )

        likes_member = _member(source, "likes.json")
        if likes_member is not None:
            self.read_likes(likes_member)
        else:
            self._missing_file("likes.json", "favourites given are unknown")

        following_count = ego_profile.following_count
        following_member = _member(source, "following_accounts.csv")
        if following_member is not None:
            following_count = len(set(self.read_accounts_csv(following_member)))
        else:
            self._missing_file(
                "following_accounts.csv",
                "the following count is unknown (focus cannot weigh the attention budget)",
            )

        vetoes: list[tuple[Kind, str]] = []
        for kind, name in ((Kind.BLOCK, "blocked_accounts.csv"), (Kind.MUTE, "muted_accounts.csv")):
            member = _member(source, name)
            if member is None:
                self._missing_file(name, f"{kind.value}s unknown: none can veto a relationship")
                continue
            vetoes += [(kind, address) for address in dict.fromkeys(self.read_accounts_csv(member))]
        # The CSVs carry no dates. A veto is a standing fact at export time; dating it at the
        # archive's first known instant makes it apply at every `as_of` the archive can be
        # scored at, without inventing a recent "interaction".
        veto_at = min((i.at for i in self.interactions), default=ego_profile.created_at or _EPOCH)
        for kind, address in vetoes:
            self.add([address], kind=kind, at=veto_at, event_id=f"{kind.value}:{address}")

        if undated:
            self.missing.append(
                MissingData(
                    data=f"{undated} answered statuses of other servers",
                    effect="their URI carries no Mastodon id to date them, so the reply or "
                    "message received that they were is not counted",
                )
            )
        if self.unresolved_boosts:
            self.missing.append(
                MissingData(
                    data=f"the author of {self.unresolved_boosts} boosts",
                    effect="the boosted status's author is not named in the archive; left out",
                )
            )
        if self.unresolved_recipients:
            self.missing.append(
                MissingData(
                    data=f"{self.unresolved_recipients} direct-message recipients",
                    effect="their actor URI does not name the account; those messages are left out",
                )
            )
        self.missing += [
            MissingData(
                data="followers list",
                effect="Mastodon archives contain no followers export: the followers count "
                "and followers who never interact are unknown",
            ),
            MissingData(
                data="what others did: replies, mentions, favourites, boosts and direct "
                "messages received",
                effect="an archive holds only the account's own activity. Replies and messages "
                "received are inferred only where the account answered them in a conversation "
                "it had already joined; favourites, boosts and unanswered replies received are "
                "unknown unless the API is used as well (`rapport fetch mastodon`)",
                hides=(Direction.IN,),
            ),
        ]
        profile = _replace(ego_profile, following_count=following_count, posts_count=posts_count)
        return ArchiveImport(
            account=AccountRef(platform=PLATFORM, account=self.ego),
            ego_profile=profile,
            interactions=sorted(self.interactions, key=lambda i: (i.at, i.event_id)),
            missing=self.missing,
            generated_at=generated_at(source.path.name, self.interactions),
        )

    def _missing_file(self, name: str, effect: str) -> None:
        self.missing.append(MissingData(data=name, effect=effect))


def _replace(profile: Profile, **changes: Any) -> Profile:
    """A copy of a frozen Profile with some fields changed (None keeps the old value)."""
    kept = {k: v for k, v in changes.items() if v is not None}
    return msgspec.structs.replace(profile, **kept)


def _collection_size(value: object) -> int | None:
    """`totalItems` of an inlined collection; archives usually give only its URI."""
    if isinstance(value, dict):
        total = value.get("totalItems")
        if isinstance(total, int) and total >= 0:
            return total
    return None


# Mastodon names its backups `archive-<UTC %Y%m%d%H%M%S>-<hex>.zip`.
_ARCHIVE_NAME = re.compile(r"archive-(\d{14})-[0-9a-f]+")


def generated_at(name: str, interactions: list[Interaction]) -> datetime | None:
    """When Mastodon wrote the archive, from the name it gives the file (the archive's
    content records no time); None when the name is not Mastodon's, or is contradicted by a
    later event (a renamed file)."""
    match = _ARCHIVE_NAME.search(name)
    if match is None:
        return None
    try:
        when = datetime.strptime(match.group(1), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None
    latest = max((i.at for i in interactions), default=None)
    return when if latest is None or latest <= when else None


def read_archive(source: ArchiveSource) -> ArchiveImport:
    """Read a whole Mastodon archive; raise `ArchiveError` on malformed content."""
    return _Reader(source).read()
