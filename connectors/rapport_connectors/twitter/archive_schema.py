"""The shapes of the X data export's items, as far as Rapport reads them.

Each struct names only the fields the mapping uses; everything else in an item is ignored, so
exports that grow new fields keep importing. Ids are strings in the export (`"id_str"`,
`"accountId"`) and stay strings here: they exceed what JavaScript numbers hold, and the metric
treats them as opaque account ids anyway.
"""

from __future__ import annotations

import msgspec

__all__ = [
    "AccountEntry",
    "AccountIdEntry",
    "ArchiveInfo",
    "DmConversation",
    "DmEvent",
    "LikeEntry",
    "Manifest",
    "MessageCreate",
    "ProfileEntry",
    "Reaction",
    "Tweet",
    "UserInfo",
]


class UserInfo(msgspec.Struct, rename="camel"):
    account_id: str | None = None
    user_name: str | None = None
    display_name: str | None = None


class ArchiveInfo(msgspec.Struct, rename="camel"):
    generation_date: str | None = None
    is_partial_archive: bool | None = None


class Manifest(msgspec.Struct, rename="camel"):
    """`manifest.js`: `window.__THAR_CONFIG = {...}`."""

    user_info: UserInfo | None = None
    archive_info: ArchiveInfo | None = None


class AccountEntry(msgspec.Struct, rename="camel"):
    """`account.js`: `[{"account": {...}}]`."""

    account_id: str
    username: str | None = None
    created_at: str | None = None
    account_display_name: str | None = None


class ProfileDescription(msgspec.Struct):
    bio: str | None = None
    website: str | None = None


class ProfileEntry(msgspec.Struct, rename="camel"):
    """`profile.js`: `[{"profile": {"description": {"bio": ...}, "avatarMediaUrl": ...}}]`."""

    description: ProfileDescription | None = None
    avatar_media_url: str | None = None


class AccountIdEntry(msgspec.Struct, rename="camel"):
    """`follower.js`, `following.js`, `block.js`, `mute.js`: `[{"<type>": {"accountId"}}]`."""

    account_id: str


class LikeEntry(msgspec.Struct, rename="camel"):
    """`like.js`: the liked tweet's id, and often nothing about its author."""

    tweet_id: str | None = None
    expanded_url: str | None = None


class UserMention(msgspec.Struct):
    id_str: str = ""  # absent or "-1" in some old exports: skipped, not an error
    screen_name: str = ""
    name: str | None = None


class Url(msgspec.Struct):
    expanded_url: str | None = None


class Entities(msgspec.Struct):
    user_mentions: list[UserMention] = msgspec.field(default_factory=list)
    urls: list[Url] = msgspec.field(default_factory=list)


class Tweet(msgspec.Struct):
    """One own tweet (`tweets.js`, older `tweet.js`), in the v1.1 shape with string numbers."""

    id_str: str
    created_at: str
    full_text: str | None = None
    text: str | None = None
    in_reply_to_user_id_str: str | None = None
    in_reply_to_status_id_str: str | None = None
    in_reply_to_screen_name: str | None = None
    quoted_status_id_str: str | None = None
    entities: Entities = msgspec.field(default_factory=Entities)

    @property
    def body(self) -> str:
        return self.full_text if self.full_text is not None else (self.text or "")


class Reaction(msgspec.Struct, rename="camel"):
    """A reaction to a message; one without sender, id or date is skipped (it says nothing
    the metric could date or attribute)."""

    sender_id: str | None = None
    event_id: str | None = None
    created_at: str | None = None
    reaction_key: str | None = None


class MessageCreate(msgspec.Struct, rename="camel"):
    id: str
    sender_id: str
    created_at: str
    recipient_id: str | None = None
    text: str | None = None  # absent in `direct-message-headers.js`
    reactions: list[Reaction] = msgspec.field(default_factory=list)


class ParticipantsChange(msgspec.Struct, rename="camel"):
    """`joinConversation` / `participantsJoin`: who is (or joined) a group conversation."""

    initiating_user_id: str | None = None
    participants_snapshot: list[str] = msgspec.field(default_factory=list)
    user_ids: list[str] = msgspec.field(default_factory=list)


class DmEvent(msgspec.Struct, rename="camel"):
    """One entry of a conversation's `messages`: a message, or a change of participants."""

    message_create: MessageCreate | None = None
    join_conversation: ParticipantsChange | None = None
    participants_join: ParticipantsChange | None = None


class DmConversation(msgspec.Struct, rename="camel"):
    """`direct-messages.js` / `direct-messages-group.js` (or, in older exports, the
    text-less `direct-message-headers.js` / `direct-message-group-headers.js`):
    `[{"dmConversation": {...}}]`."""

    conversation_id: str
    messages: list[DmEvent] = msgspec.field(default_factory=list)
