"""Built-in LinkedIn connector: the member data-export reader and a Member Data Portability
API client.

Registered through the `rapport.connectors` entry-point group
(`linkedin = "rapport_connectors.linkedin"`), the same way a third-party connector package is.
"""

from __future__ import annotations

from collections.abc import Callable

from rapport.plugins import Connector, hookimpl
from rapport_connectors.linkedin.connector import LinkedInConfig, LinkedInConnector

__all__ = ["LinkedInConfig", "LinkedInConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the LinkedIn connector."""
    register(LinkedInConnector())
