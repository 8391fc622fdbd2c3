"""The normalised data every connector produces and the metric consumes.

These types are the contract between the outside world (platform APIs, export archives, the
ingest API) and the metric. They are deliberately small and strict: an event that cannot be
scored honestly (no timezone, an unknown kind, an account interacting with itself) is rejected
at the border with a message naming the field, instead of quietly skewing a score later.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Annotated

import msgspec

__all__ = [
    "MAX_TEXT_LEN",
    "PLATFORM_ALIASES",
    "TALK_KINDS",
    "VETO_KINDS",
    "AccountRef",
    "Direction",
    "Interaction",
    "Kind",
    "MissingData",
    "Profile",
    "canonical_platform",
]

PlatformName = Annotated[
    str,
    msgspec.Meta(
        pattern=r"^[a-z][a-z0-9_.-]{0,39}$",
        description="Connector name, lower case, e.g. `twitter`, `mastodon`, `linkedin`.",
    ),
]
#: Names people use for a platform whose connector is called otherwise. The one table: the CLI
#: accepts these wherever it takes a platform (the API takes connector names only, see
#: docs/api.md).
PLATFORM_ALIASES: dict[str, str] = {"x": "twitter"}


def canonical_platform(name: str) -> str:
    """The connector name for a platform as a person may write it: `X` is `twitter`,
    `Mastodon` is `mastodon`. Names are compared case-insensitively; unknown names are
    returned lower-cased, for the connector registry to accept or refuse."""
    lowered = name.strip().lower()
    return PLATFORM_ALIASES.get(lowered, lowered)


AccountId = Annotated[
    str,
    msgspec.Meta(
        min_length=1,
        max_length=512,
        description="The platform's stable account id (or the handle where no id exists).",
    ),
]
AwareDatetime = Annotated[datetime, msgspec.Meta(tz=True)]
#: Longest text an event may claim, in characters: far beyond any post or message, and small
#: enough for the metric's compact columns.
MAX_TEXT_LEN = 10_000_000


class Direction(enum.StrEnum):
    """Who acted: `out` when the ego acted towards the counterpart, `in` when it was the
    counterpart."""

    OUT = "out"
    IN = "in"

    @property
    def opposite(self) -> Direction:
        return Direction.IN if self is Direction.OUT else Direction.OUT


class Kind(enum.StrEnum):
    """What happened. Platform vocabularies map onto these (favourite -> like, boost -> repost,
    comment -> reply, direct message -> message); docs/metric.md has the table."""

    LIKE = "like"
    REPOST = "repost"
    QUOTE = "quote"
    MENTION = "mention"
    REPLY = "reply"
    MESSAGE = "message"
    BLOCK = "block"
    MUTE = "mute"
    REPORT = "report"


#: Kinds that can form a conversation turn: someone said something *to* someone.
TALK_KINDS: frozenset[Kind] = frozenset({Kind.REPLY, Kind.MESSAGE})
#: Negative signals: any of these, in either direction, vetoes the relationship.
VETO_KINDS: frozenset[Kind] = frozenset({Kind.BLOCK, Kind.MUTE, Kind.REPORT})


class AccountRef(msgspec.Struct, frozen=True):
    """One account on one platform: the unit that is scored."""

    platform: PlatformName
    account: AccountId


class Interaction(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One interaction between the ego and one counterpart, seen from the ego's side.

    A message between two tracked accounts appears once for each of them, with the same
    `event_id`; duplicates are recognised by (platform, ego, event_id).
    """

    platform: PlatformName
    ego: AccountId
    counterpart: AccountId
    direction: Direction
    kind: Kind
    at: AwareDatetime
    event_id: Annotated[str, msgspec.Meta(min_length=1, max_length=512)]
    thread_id: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    text_len: Annotated[int, msgspec.Meta(ge=0, le=MAX_TEXT_LEN)] | None = None

    def __post_init__(self) -> None:
        if self.counterpart == self.ego:
            raise ValueError(
                f"`counterpart` must differ from `ego` (both are {self.ego!r}): "
                "an account does not have a relationship with itself"
            )


class Profile(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What is known about an account's public profile: what the authenticity rules and the
    audience (relevance) filter read. Every field but the identity is optional, because
    archives and APIs expose different subsets; a rule whose inputs are unknown does not fire.
    """

    platform: PlatformName
    account: AccountId
    handle: Annotated[str, msgspec.Meta(max_length=512)] | None = None
    display_name: Annotated[str, msgspec.Meta(max_length=1024)] | None = None
    followers_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    following_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    posts_count: Annotated[int, msgspec.Meta(ge=0)] | None = None
    created_at: AwareDatetime | None = None
    default_avatar: bool | None = None
    bio: Annotated[str, msgspec.Meta(max_length=20_000)] | None = None
    url: Annotated[str, msgspec.Meta(max_length=2048)] | None = None


class MissingData(msgspec.Struct, kw_only=True, frozen=True, omit_defaults=True):
    """Data a source could not provide (or the metric could not use), and what that did to the
    score. Missing data is reported, never an error: an archive without direct messages still
    scores, and says so.

    `source` is set by the service when it keeps a connector's report with the account
    (`archive` or `api`, see rapport.storage.sources); it is absent where the note comes from
    the metric itself or from a file scored offline.

    `hides` is for the metric, which cannot tell "nobody did this" from "the source does not
    show it" by itself: it names the direction(s) this gap leaves one-sided, where the other
    side of the same exchanges is in the data (`in`: an export that holds what the account did
    but not the replies, mentions, likes or reposts it received, or holds them only where the
    account answered). A channel missing in both directions hides nothing one-sided and leaves
    `hides` empty. The metric does not score a component that needs the hidden side
    (docs/metric.md, "Measurable components")."""

    data: str
    effect: str
    hides: tuple[Direction, ...] = ()
    source: str | None = None
