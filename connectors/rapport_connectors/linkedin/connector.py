"""The LinkedIn connector: what the core sees of this package."""

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
from rapport_connectors.linkedin import archive

if TYPE_CHECKING:
    from rapport.plugins.http import PlatformHttp

__all__ = ["ARCHIVE_FORMAT", "DEFAULT_BASE_URL", "LinkedInConfig", "LinkedInConnector"]

ARCHIVE_FORMAT = "linkedin-export"
DEFAULT_BASE_URL = "https://api.linkedin.com"


class LinkedInConfig(ConnectorConfig, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """`RAPPORT_LINKEDIN_TOKEN`: a member access token with the `r_dma_portability_3rd_party`
    scope (Member Data Portability API, granted to approved apps for members in the EEA and
    Switzerland); for an organisation page (`urn:li:organization:N` or `org:N`), a page
    administrator's token with `r_organization_social` (Community Management API).
    `RAPPORT_LINKEDIN_BASE_URL` defaults to `https://api.linkedin.com`;
    `RAPPORT_LINKEDIN_API_VERSION` is the `LinkedIn-Version` header (YYYYMM)."""

    api_version: Annotated[str, msgspec.Meta(pattern=r"^\d{6}$")] = "202312"
    max_pages: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 50
    #: Organisation pages (Community Management API): how many of the newest posts are read.
    max_posts: Annotated[int, msgspec.Meta(ge=1, le=1_000)] = 20


class LinkedInConnector(Connector):
    """LinkedIn: the member data export, and the Member Data Portability API with a token."""

    name: ClassVar[str] = "linkedin"
    version: ClassVar[str] = "0.1.0"
    capabilities: ClassVar[Capabilities] = Capabilities(
        followers=False,
        following=True,
        posts=False,
        mentions=False,
        messages=True,
        archive_formats=(ARCHIVE_FORMAT,),
    )
    config_type: ClassVar[type[ConnectorConfig]] = LinkedInConfig

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
        from rapport_connectors.linkedin.api import fetch

        return fetch(account, http=http, config=config, since=since)
