"""Rapport: scores how genuine an account's social network is.

The package is the core service: the data model, the metric, and (as they land) the plugin
host, storage, jobs, API and CLI. docs/architecture.md draws the map.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("rapport")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
