"""The X/Twitter connector: what the core sees of this package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import ClassVar

from rapport.plugins.archive import ArchiveSource
from rapport.plugins.connector import (
    ArchiveImport,
    Capabilities,
    Connector,
    ConnectorConfig,
    FetchPage,
)
from rapport.plugins.http import PlatformHttp
from rapport_connectors.twitter.api import fetch
from rapport_connectors.twitter.archive import ARCHIVE_FORMAT, detect_archive, read_archive
from rapport_connectors.twitter.config import TwitterConfig

__all__ = ["TwitterConnector"]


class TwitterConnector(Connector):
    """X (Twitter): the API v2 and the account's data export."""

    name: ClassVar[str] = "twitter"
    version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[Capabilities] = Capabilities(
        followers=True,
        following=True,
        posts=True,
        mentions=True,
        messages=True,
        archive_formats=(ARCHIVE_FORMAT,),
    )
    config_type: ClassVar[type[ConnectorConfig]] = TwitterConfig

    def detect_archive(self, source: ArchiveSource) -> bool:
        return detect_archive(source)

    def read_archive(self, source: ArchiveSource) -> ArchiveImport:
        return read_archive(source)

    def fetch(
        self,
        account: str,
        *,
        http: PlatformHttp,
        config: ConnectorConfig,
        since: str | None = None,
    ) -> AsyncIterator[FetchPage]:
        return fetch(account, http=http, config=config, since=since)
