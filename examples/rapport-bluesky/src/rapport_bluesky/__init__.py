"""rapport-bluesky: an example third-party Rapport connector for Bluesky.

Rapport finds it through the `rapport.connectors` entry point in pyproject.toml, which names
this module; the hook below is all the module has to provide.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.plugins import Connector, hookimpl
from rapport_bluesky.connector import BlueskyConfig, BlueskyConnector

__all__ = ["BlueskyConfig", "BlueskyConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the Bluesky connector."""
    register(BlueskyConnector())
