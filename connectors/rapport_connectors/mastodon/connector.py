"""The Mastodon connector: what the core sees of this package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Annotated, ClassVar

import msgspec

from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import (
    ArchiveImport,
    Capabilities,
    Connector,
    ConnectorConfig,
    FetchPage,
)
from rapport_connectors.mastodon import archive

if TYPE_CHECKING:
    from rapport.plugins.http import PlatformHttp

__all__ = ["ARCHIVE_FORMAT", "MastodonConfig", "MastodonConnector"]

ARCHIVE_FORMAT = "mastodon-archive"


class MastodonConfig(ConnectorConfig, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """`RAPPORT_MASTODON_BASE_URL` (the instance, required for the API, e.g.
    `https://mastodon.social`) and `RAPPORT_MASTODON_TOKEN` (an access token with `read`
    scope: notifications and conversations need one; public timelines do not)."""

    max_pages: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    page_size: Annotated[int, msgspec.Meta(ge=1, le=80)] = 40


class MastodonConnector(Connector):
    """Mastodon (any instance): the REST API and the account archive."""

    name: ClassVar[str] = "mastodon"
    version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[Capabilities] = Capabilities(
        followers=True,
        following=True,
        posts=True,
        mentions=True,
        messages=True,
        archive_formats=(ARCHIVE_FORMAT,),
    )
    config_type: ClassVar[type[ConnectorConfig]] = MastodonConfig

    def detect_archive(self, source: ArchiveSource) -> bool:
        return archive.detect(source)

    def read_archive(self, source: ArchiveSource) -> ArchiveImport:
        return archive.read_archive(source)

    def fetch(
        self,
        account: str,
        *,
        http: PlatformHttp,
        config: ConnectorConfig,
        since: str | None = None,
    ) -> AsyncIterator[FetchPage]:
        from rapport_connectors.mastodon.api import fetch

        return fetch(account, http=http, config=config, since=since)
