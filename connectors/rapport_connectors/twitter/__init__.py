"""Built-in X/Twitter connector: the API v2 client and the data-export reader.

Registered through the `rapport.connectors` entry-point group
(`twitter = "rapport_connectors.twitter"`), the same way a third-party connector package is.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.plugins import Connector, hookimpl
from rapport_connectors.twitter.connector import TwitterConnector

__all__ = ["TwitterConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the X/Twitter connector."""
    register(TwitterConnector())
