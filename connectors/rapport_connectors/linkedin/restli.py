"""What every LinkedIn REST (Rest.li 2.0) collection shares: the version headers and `paging`.

The Member Data Portability snapshots (api.py) and the Community Management collections
(organization.py) page the same way, so the shape and the "next page" rule live here once.
"""

from __future__ import annotations

import msgspec

from rapport_connectors.linkedin.connector import LinkedInConfig

__all__ = ["Link", "Paging", "restli_headers"]


def restli_headers(settings: LinkedInConfig) -> dict[str, str]:
    """The headers LinkedIn's versioned REST API requires on every call."""
    return {"LinkedIn-Version": settings.api_version, "X-Restli-Protocol-Version": "2.0.0"}


class Link(msgspec.Struct):
    rel: str = ""
    href: str = ""


class Paging(msgspec.Struct):
    start: int = 0
    count: int = 0
    total: int | None = None
    links: list[Link] = msgspec.field(default_factory=list)

    def next_href(self) -> str:
        """The `rel=next` link, or "" on the last page (or when LinkedIn gives none)."""
        return next((link.href for link in self.links if link.rel == "next"), "")
