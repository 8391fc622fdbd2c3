"""The connector interface: what a platform plugin provides to the core.

A connector turns one platform's data (its API, its export archive) into normalised
`Interaction`s and `Profile`s, with direction resolved against the ego. It never computes
scores. Connectors import only `rapport.model`, `rapport.errors` and `rapport.plugins`.
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

import msgspec

from rapport.model import AccountRef, Interaction, MissingData, Profile

if TYPE_CHECKING:
    from rapport.plugins.archive import ArchiveSource
    from rapport.plugins.http import PlatformHttp

__all__ = [
    "ArchiveImport",
    "Capabilities",
    "Connector",
    "ConnectorConfig",
    "FetchPage",
]


class Capabilities(msgspec.Struct, kw_only=True, frozen=True):
    """What a connector can bring in. `archive_formats` names the export formats it reads."""

    followers: bool = False
    following: bool = False
    posts: bool = False
    mentions: bool = False
    messages: bool = False
    archive_formats: tuple[str, ...] = ()


class ConnectorConfig(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Base of a connector's config schema. Values come from `RAPPORT_<PLATFORM>_<FIELD>`
    environment variables (e.g. `RAPPORT_MASTODON_BASE_URL`), never from URLs or logs."""

    base_url: str | None = None
    token: str | None = None


class ArchiveImport(msgspec.Struct, kw_only=True):
    """Everything read from one export archive of one account."""

    account: AccountRef
    ego_profile: Profile | None = None
    profiles: list[Profile] = msgspec.field(default_factory=list)
    interactions: list[Interaction] = msgspec.field(default_factory=list)
    missing: list[MissingData] = msgspec.field(default_factory=list)
    generated_at: datetime | None = None

    def own_date(self) -> datetime | None:
        """The instant the export shows the account at: the day it was made, else its newest
        event. What `rapport score --archive` scores at by default, and where an uploaded
        archive's data ends: scored at today's date, an old export has faded away."""
        return self.generated_at or max((e.at for e in self.interactions), default=None)


class FetchPage(msgspec.Struct, kw_only=True):
    """One page of a refresh: new events and profiles, and the cursor to resume after it."""

    interactions: list[Interaction] = msgspec.field(default_factory=list)
    profiles: list[Profile] = msgspec.field(default_factory=list)
    cursor: str | None = None
    missing: list[MissingData] = msgspec.field(default_factory=list)


class Connector(abc.ABC):
    """One platform. Subclass it, fill the class attributes, implement what the platform
    allows, and register an instance through the `register_connectors` hook."""

    name: ClassVar[str]
    version: ClassVar[str]
    capabilities: ClassVar[Capabilities]
    config_type: ClassVar[type[ConnectorConfig]] = ConnectorConfig

    def detect_archive(self, source: ArchiveSource) -> bool:
        """Whether `source` looks like this platform's export archive."""
        return False

    def read_archive(self, source: ArchiveSource) -> ArchiveImport:
        """Read an export archive; raise `ArchiveError` naming the member and position."""
        raise NotImplementedError(f"{self.name} reads no export archive")

    def fetch(
        self,
        account: str,
        *,
        http: PlatformHttp,
        config: ConnectorConfig,
        since: str | None = None,
    ) -> AsyncIterator[FetchPage]:
        """Yield pages of events for `account` newer than the cursor `since`."""
        raise NotImplementedError(f"{self.name} has no API client")
