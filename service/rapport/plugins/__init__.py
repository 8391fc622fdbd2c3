"""The plugin host: how connectors for each platform plug into the core.

Connectors (built-in ones in `rapport_connectors`, third-party ones in their own packages) register
through the `rapport.connectors` entry-point group and the `register_connectors` hook.
"""

from rapport.plugins.archive import ArchiveLimits, ArchiveSource
from rapport.plugins.connector import (
    ArchiveImport,
    Capabilities,
    Connector,
    ConnectorConfig,
    FetchPage,
)
from rapport.plugins.hookspecs import hookimpl

__all__ = [
    "ArchiveImport",
    "ArchiveLimits",
    "ArchiveSource",
    "Capabilities",
    "Connector",
    "ConnectorConfig",
    "FetchPage",
    "hookimpl",
]
