"""Built-in LinkedIn connector: the member data-export reader and a Member Data Portability
API client.

Registered through the `rapport.connectors` entry-point group
(`linkedin = "connectors.linkedin"`), the same way a third-party connector package is.
"""

from __future__ import annotations

from collections.abc import Callable

from connectors.linkedin.connector import LinkedInConfig, LinkedInConnector
from service.plugins import Connector, hookimpl

__all__ = ["LinkedInConfig", "LinkedInConnector", "register_connectors"]


@hookimpl
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register the LinkedIn connector."""
    register(LinkedInConnector())
