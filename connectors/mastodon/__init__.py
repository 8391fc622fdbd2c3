"""Built-in Mastodon connector: the REST API client (any instance) and the archive reader.

Registered through the `rapport.connectors` entry-point group
(`mastodon = "connectors.mastodon"`), the same way a third-party connector package is.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.mastodon.connector import MastodonConfig, MastodonConnector
from service.plugins import Connector, hookimpl

__all__ = ["MastodonConfig", "MastodonConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the Mastodon connector."""
    register(MastodonConnector())
