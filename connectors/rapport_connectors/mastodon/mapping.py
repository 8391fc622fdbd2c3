"""Mastodon API entities to normalised profiles and events, direction resolved against the ego.

Mapping decisions (docs/connectors-platforms.md has the table):

* The ego's own statuses: a reblog is a `repost` out to the reblogged author; a quote (4.5+) a
  `quote` out; a reply a `reply` out to `in_reply_to_account_id`; other mentioned accounts a
  `mention` out; a `direct` status a `message` out to each mentioned account.
* Notifications: `mention` is a `reply` in when the status answers the ego, a `message` in when
  it is direct, else a `mention` in; `favourite` a `like` in; `reblog` a `repost` in; `quote` a
  `quote` in. Follows and everything else are not interactions.
* Conversations (direct threads): the last status gives the direction: `message` out to each
  other participant when the ego wrote it, `message` in from its author otherwise.
* Event ids are the status's ActivityPub `uri` (the same id an archive's outbox uses, so an
  archive and an API refresh of the same account deduplicate), `#<counterpart>` appended when
  one status reaches several people; favourites and reblogs, which have no uri of their own,
  are `favourite:<who>:<status uri>`, `reblog:<who>:<status uri>`.
* Counterparts are canonical `name@host` addresses (`rapport_connectors.mastodon.addresses`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rapport.model import Direction, Interaction, Kind, Profile
from rapport_connectors.mastodon.addresses import address_from_acct
from rapport_connectors.mastodon.schema import Account, Conversation, Notification, Status
from rapport_connectors.mastodon.text import plain_text, text_len

__all__ = ["DEFAULT_AVATAR_MARK", "PLATFORM", "EgoView", "parse_time", "quoted_account"]

PLATFORM = "mastodon"
#: Mastodon serves this file for accounts that never uploaded an avatar.
DEFAULT_AVATAR_MARK = "/avatars/original/missing.png"


@dataclass
class EgoView:
    """Maps entities for one ego on one instance (`local_host` qualifies bare `acct`s)."""

    ego: str
    ego_id: str
    local_host: str

    def address(self, account: Account) -> str | None:
        return address_from_acct(account.acct, self.local_host)

    def profile(self, account: Account) -> Profile | None:
        address = self.address(account)
        if address is None:
            return None
        return Profile(
            platform=PLATFORM,
            account=address,
            handle=address,
            display_name=account.display_name or None,
            followers_count=_count(account.followers_count),
            following_count=_count(account.following_count),
            posts_count=_count(account.statuses_count),
            created_at=parse_time(account.created_at),
            default_avatar=(DEFAULT_AVATAR_MARK in account.avatar) if account.avatar else None,
            bio=plain_text(account.note) or None if account.note else None,
            url=account.url or None,
        )

    def _events(
        self,
        people: Iterable[str | None],
        *,
        direction: Direction,
        kind: Kind | Callable[[str], Kind],
        at: datetime,
        event_id: str,
        thread_id: str | None = None,
        length: int | None = None,
    ) -> list[Interaction]:
        unique = [p for p in dict.fromkeys(people) if p is not None and p != self.ego]
        return [
            Interaction(
                platform=PLATFORM,
                ego=self.ego,
                counterpart=person,
                direction=direction,
                kind=kind(person) if callable(kind) else kind,
                at=at,
                event_id=event_id if len(unique) == 1 else f"{event_id}#{person}",
                thread_id=thread_id,
                text_len=length,
            )
            for person in unique
        ]

    # -- the ego's own statuses -----------------------------------------------------------

    def own_status(self, status: Status, resolve: dict[str, str]) -> list[Interaction]:
        """Events of one status the ego posted. `resolve` maps account ids to addresses for
        replied-to accounts that the status does not mention (filled by the API client)."""
        if status.reblog is not None:
            return self._events(
                [self.address(status.reblog.account)],
                direction=Direction.OUT,
                kind=Kind.REPOST,
                at=status.created_at,
                event_id=status.uri,
            )
        mentioned = {m.id: address_from_acct(m.acct, self.local_host) for m in status.mentions}
        length = text_len(status.content)
        if status.visibility == "direct":
            return self._events(
                mentioned.values(),
                direction=Direction.OUT,
                kind=Kind.MESSAGE,
                at=status.created_at,
                event_id=status.uri,
                length=length,
            )
        replied: str | None = None
        target = status.in_reply_to_account_id
        if target is not None and target != self.ego_id:
            replied = mentioned.get(target) or resolve.get(target)
        quoted = quoted_account(status.quote)
        quoted_address = self.address(quoted) if quoted is not None else None
        people = [replied, quoted_address, *mentioned.values()]

        def kind(person: str) -> Kind:
            if person == replied:
                return Kind.REPLY
            return Kind.QUOTE if person == quoted_address else Kind.MENTION

        return self._events(
            people,
            direction=Direction.OUT,
            kind=kind,
            at=status.created_at,
            event_id=status.uri,
            length=length,
        )

    # -- what others did ------------------------------------------------------------------

    def notification(self, item: Notification) -> list[Interaction]:
        author = self.address(item.account)
        status = item.status
        if status is None:
            return []  # follows, polls, admin notices: not interactions
        if item.type == "mention":
            if status.visibility == "direct":
                kind = Kind.MESSAGE
            elif status.in_reply_to_account_id == self.ego_id:
                kind = Kind.REPLY
            else:
                kind = Kind.MENTION
            return self._events(
                [author],
                direction=Direction.IN,
                kind=kind,
                at=status.created_at,
                event_id=status.uri,
                length=text_len(status.content),
            )
        if item.type == "quote":
            return self._events(
                [author],
                direction=Direction.IN,
                kind=Kind.QUOTE,
                at=status.created_at,
                event_id=status.uri,
                length=text_len(status.content),
            )
        kinds = {"favourite": Kind.LIKE, "reblog": Kind.REPOST}
        if item.type not in kinds or author is None:
            return []
        return self._events(
            [author],
            direction=Direction.IN,
            kind=kinds[item.type],
            at=item.created_at,
            event_id=f"{item.type}:{author}:{status.uri}",
        )

    def conversation(self, item: Conversation) -> list[Interaction]:
        last = item.last_status
        if last is None:
            return []
        writer = self.address(last.account)
        common: dict[str, Any] = {
            "kind": Kind.MESSAGE,
            "at": last.created_at,
            "event_id": last.uri,
            "thread_id": f"conversation:{item.id}",
            "length": text_len(last.content),
        }
        if writer == self.ego:
            others = [self.address(a) for a in item.accounts]
            return self._events(others, direction=Direction.OUT, **common)
        return self._events([writer], direction=Direction.IN, **common)


def quoted_account(quote: dict[str, Any] | None) -> Account | None:
    """The author of a quoted status, from Mastodon's `{"quoted_status": ...}` or a fork's
    inline status; None when absent, pending or unreadable."""
    if not isinstance(quote, dict):
        return None
    status = quote.get("quoted_status", quote)
    account = status.get("account") if isinstance(status, dict) else None
    if not isinstance(account, dict):
        return None
    acct, account_id = account.get("acct"), account.get("id")
    if not isinstance(acct, str) or not isinstance(account_id, str):
        return None
    return Account(id=account_id, acct=acct)


def parse_time(value: str | None) -> datetime | None:
    """An ISO-8601 instant (UTC when no zone is given), or None when absent or unreadable."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _count(value: int | None) -> int | None:
    return value if value is not None and value >= 0 else None
