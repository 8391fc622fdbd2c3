"""LinkedIn rows (export CSVs or Member Data Portability snapshots) to events and profiles.

Why shared: the Member Data Portability API returns the same tables as the member data export
(`snapshotData` entries keyed by the export's column names), so the archive reader and the API
client feed the same rows through this one mapping.

Mapping decisions (docs/connectors-platforms.md has the table):

* Connections and invitations are structural facts, not interactions: they become profiles
  (and teach the name -> profile slug resolver), never events.
* A message is `message`, `out` when the ego sent it (to each other participant) and `in` from
  its sender otherwise; `thread_id` is the conversation id. Conversation turns come from the
  metric. Drafts and spam are skipped. The export has no message id, so the event id is a
  digest of (conversation, date, sender, content): re-importing the same export, or an export
  and an API snapshot of the same messages, gives the same ids.
* The ego is the participant of every conversation (the one who is not a connection, whose
  name matches Profile.csv, or who sent the outgoing invitations).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from rapport.model import Direction, Interaction, Kind, Profile
from rapport_connectors.linkedin.people import People, full_name, slug_of
from rapport_connectors.linkedin.tables import Row

__all__ = ["PLATFORM", "Mapper", "RowError", "parse_date"]

PLATFORM = "linkedin"

_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S %Z",  # messages.csv: 2023-11-06 17:20:48 UTC
    "%Y-%m-%d %H:%M:%S",  # Comments.csv, Reactions.csv
    "%Y-%m-%d %H:%M %Z",
    "%m/%d/%y, %I:%M %p",  # Invitations.csv: 1/15/24, 10:23 AM
    "%d %b %Y",  # Connections.csv: 15 Mar 2023
    "%m/%d/%Y, %I:%M %p",
    "%a %b %d %H:%M:%S %Z %Y",
)


#: Names LinkedIn shows for senders it does not identify.
_ANONYMOUS = frozenset({"linkedin member", "linkedin"})


class RowError(ValueError):
    """A row that cannot be mapped; the caller turns it into an Archive/PlatformError."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def parse_date(value: str) -> datetime | None:
    """A LinkedIn export date as an aware datetime (UTC when no zone is given)."""
    value = value.strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace(" UTC", "+00:00"))
    except ValueError:
        parsed = None
    for fmt in _DATE_FORMATS:
        if parsed is not None:
            break
        try:
            parsed = datetime.strptime(value, fmt)
        except ValueError:
            continue
    if parsed is None:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _split(value: str) -> list[str]:
    """Several recipients share one cell, separated by commas (or semicolons)."""
    return [part.strip() for part in re.split(r"[,;]", value) if part.strip()]


@dataclass
class _Message:
    row: Row
    conversation: str
    at: datetime
    sender: str
    recipients: list[str]
    text: str


@dataclass
class Mapper:
    """Accumulates what one account's rows say; `messages()` maps them once the ego is known."""

    people: People = field(default_factory=People)
    profiles: dict[str, Profile] = field(default_factory=dict)
    connections: set[str] = field(default_factory=set)
    names: dict[str, set[str]] = field(default_factory=dict)  # participant id -> names seen
    ego_slugs: Counter[str] = field(default_factory=Counter)
    _parsed: list[_Message] = field(default_factory=list)
    skipped: int = 0

    # -- structural rows ----------------------------------------------------------------

    def _profile(self, account: str, name: str, url: str, bio: str | None = None) -> None:
        if account not in self.profiles:
            self.profiles[account] = Profile(
                platform=PLATFORM,
                account=account,
                display_name=name or None,
                url=url or None,
                bio=bio or None,
            )

    def add_connections(self, rows: Sequence[Row]) -> int:
        count = 0
        for row in rows:
            name = full_name(row["First Name"], row["Last Name"])
            url = row["URL"]
            self.people.learn(name, url)
        for row in rows:  # a second pass: every name is known before ids are chosen
            name = full_name(row["First Name"], row["Last Name"])
            account = self.people.id_for(name, row["URL"])
            if account is None:
                continue
            count += 1
            self.connections.add(account)
            position = " at ".join(p for p in (row["Position"], row["Company"]) if p)
            self._profile(account, name, row["URL"], position)
        return count

    def add_invitations(self, rows: Sequence[Row]) -> None:
        """Invitations add profiles and tell who the ego is (the inviter of outgoing ones)."""
        for row in rows:
            outgoing = row["Direction"].upper() == "OUTGOING"
            ego_url = row["inviterProfileUrl"] if outgoing else row["inviteeProfileUrl"]
            other_url = row["inviteeProfileUrl"] if outgoing else row["inviterProfileUrl"]
            other_name = row["To"] if outgoing else row["From"]
            if (slug := slug_of(ego_url)) is not None:
                self.ego_slugs[slug] += 1
            self.people.learn(other_name, other_url)
            account = self.people.id_for(other_name, other_url)
            if account is not None:
                self._profile(account, other_name, other_url)

    # -- messages -------------------------------------------------------------------------

    def add_messages(self, rows: Iterable[Row]) -> None:
        """Parse message rows (positions checked now, so a bad row fails before any
        event is produced)."""
        for row in rows:
            if row["IS MESSAGE DRAFT"].lower() in ("yes", "true") or row["FOLDER"].upper() == (
                "SPAM"
            ):
                self.skipped += 1
                continue
            # Older exports have no CONVERSATION ID: the people in it stand for the thread.
            conversation = row["CONVERSATION ID"] or "between:" + " | ".join(
                sorted({row["FROM"], *_split(row["TO"])} - {""})
            )
            at = parse_date(row["DATE"])
            if at is None:
                raise RowError(f"unreadable DATE {row['DATE'][:40]!r}", row.line)
            sender = self.people.id_for(row["FROM"], row["SENDER PROFILE URL"])
            anonymous = row["FROM"].casefold() in _ANONYMOUS and not row["SENDER PROFILE URL"]
            if sender is None or anonymous:
                # A system notice, or "LinkedIn Member" (a closed or private account): no one
                # a relationship could be with, and all of them would merge into one.
                self.skipped += 1
                continue
            self.names.setdefault(sender, set()).add(row["FROM"])
            names, urls = _split(row["TO"]), _split(row["RECIPIENT PROFILE URLS"])
            if urls and len(urls) != len(names):
                names = [""] * len(urls)  # cannot pair them: the URLs alone identify people
            pairs = list(zip(names, urls, strict=True)) if urls else [(n, "") for n in names]
            recipients: list[str] = []
            for name, url in pairs:
                rid = self.people.id_for(name, url)
                if rid is not None and rid not in recipients:
                    recipients.append(rid)
                    if name:
                        self.names.setdefault(rid, set()).add(name)
            self._parsed.append(_Message(row, conversation, at, sender, recipients, row["CONTENT"]))

    def find_ego(self, profile_name: str | None) -> set[str]:
        """Every participant id the ego appears under in the messages (an export may mix a
        vanity URL and an opaque member URL for the same person), or an empty set when it
        cannot be told: ids from the invitations, ids whose name is Profile.csv's, else the
        one participant of the most conversations who is not a connection."""
        seen: dict[str, set[str]] = {}
        for message in self._parsed:
            for person in (message.sender, *message.recipients):
                seen.setdefault(person, set()).add(message.conversation)
        if not seen:
            return set()
        found = {slug for slug in self.ego_slugs if slug in seen}
        if profile_name:
            key = " ".join(profile_name.casefold().split())
            found |= {
                person
                for person, names in self.names.items()
                if any(" ".join(n.casefold().split()) == key for n in names)
            }
        if found:
            return found
        top = max(len(c) for c in seen.values())
        candidates = {p for p, c in seen.items() if len(c) == top and p not in self.connections}
        return candidates if len(candidates) == 1 else set()

    def messages(self, ego: str, ego_keys: set[str]) -> list[Interaction]:
        """Message events seen from the ego (`ego_keys`: every id the ego appears under)."""
        events: list[Interaction] = []
        for message in self._parsed:
            # Raw cells only: the id must not depend on which other files told us who is who.
            raw_sender = message.row["SENDER PROFILE URL"] or message.row["FROM"]
            digest = hashlib.sha256(
                "\x1f".join(
                    (message.conversation, message.row["DATE"], raw_sender, message.text)
                ).encode()
            ).hexdigest()[:32]
            event_id = f"msg:{digest}"
            text_len = len(message.text.strip())
            if message.sender in ego_keys:
                others = [r for r in message.recipients if r not in ego_keys]
                events.extend(
                    Interaction(
                        platform=PLATFORM,
                        ego=ego,
                        counterpart=other,
                        direction=Direction.OUT,
                        kind=Kind.MESSAGE,
                        at=message.at,
                        event_id=event_id if len(others) == 1 else f"{event_id}#{other}",
                        thread_id=message.conversation,
                        text_len=text_len,
                    )
                    for other in others
                )
            elif message.sender != ego:
                events.append(
                    Interaction(
                        platform=PLATFORM,
                        ego=ego,
                        counterpart=message.sender,
                        direction=Direction.IN,
                        kind=Kind.MESSAGE,
                        at=message.at,
                        event_id=event_id,
                        thread_id=message.conversation,
                        text_len=text_len,
                    )
                )
        return events

    @property
    def message_count(self) -> int:
        return len(self._parsed)
