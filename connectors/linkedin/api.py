"""API client: being written (the archive reader came first)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from service.errors import PlatformError
from service.plugins.connector import ConnectorConfig, FetchPage
from service.plugins.http import PlatformHttp

__all__ = ["fetch"]


async def fetch(
    account: str, *, http: PlatformHttp, config: ConnectorConfig, since: str | None = None
) -> AsyncIterator[FetchPage]:
    """Not yet: raises before yielding anything."""
    if account:
        raise PlatformError("linkedin", "the API client is not implemented yet")
    yield FetchPage()  # pragma: no cover - makes this an async generator
