"""Built-in Mastodon connector: the REST API client (any instance) and the archive reader.

Registered through the `rapport.connectors` entry-point group
(`mastodon = "rapport_connectors.mastodon"`), the same way a third-party connector package is.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.plugins import Connector, hookimpl
from rapport_connectors.mastodon.connector import MastodonConfig, MastodonConnector

__all__ = ["MastodonConfig", "MastodonConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the Mastodon connector."""
    register(MastodonConnector())
