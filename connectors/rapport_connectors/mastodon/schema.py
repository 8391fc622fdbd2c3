"""The parts of Mastodon's REST entities this connector reads, as msgspec structs.

Why typed: the shared HTTP layer decodes bodies straight into these, so a server that answers
something else (an HTML error page, a changed shape) is a `PlatformError` at the border, not a
KeyError deep in the mapping. Unknown fields are ignored; fields that Mastodon forks (Pleroma,
Akkoma, GoToSocial) may leave out have defaults.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

__all__ = ["Account", "Conversation", "Mention", "Notification", "Status"]


class Account(msgspec.Struct, kw_only=True):
    id: str
    username: str = ""
    acct: str
    display_name: str = ""
    note: str = ""
    url: str | None = None
    avatar: str = ""
    bot: bool = False
    followers_count: int | None = None
    following_count: int | None = None
    statuses_count: int | None = None
    # Read as text: forks spell account dates variously, and an odd one must cost the
    # profile's creation date, not the refresh (mapping.parse_time).
    created_at: str | None = None


class Mention(msgspec.Struct, kw_only=True):
    id: str
    acct: str
    url: str | None = None


class Status(msgspec.Struct, kw_only=True):
    id: str
    uri: str
    created_at: datetime
    account: Account
    in_reply_to_id: str | None = None
    in_reply_to_account_id: str | None = None
    visibility: str = "public"
    content: str = ""
    mentions: list[Mention] = msgspec.field(default_factory=list)
    reblog: Status | None = None
    # Mastodon 4.5 `{"state": ..., "quoted_status": Status}`; Pleroma/Akkoma put the quoted
    # status itself here. Read loosely (mapping.quoted_account), never trusted blindly.
    quote: dict[str, Any] | None = None


class Notification(msgspec.Struct, kw_only=True):
    id: str
    type: str
    created_at: datetime
    account: Account
    status: Status | None = None


class Conversation(msgspec.Struct, kw_only=True):
    id: str
    accounts: list[Account] = msgspec.field(default_factory=list)
    last_status: Status | None = None
