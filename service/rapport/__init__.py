"""Rapport: scores how genuine an account's social network is.

The package is the whole service: the data model, the metric, the plugin host, storage, jobs,
API and CLI; the built-in connectors are the sibling package `rapport_connectors`.
docs/architecture.md draws the map.
"""

from importlib.metadata import PackageNotFoundError, version

#: The name on the package index (`pip install rapport-score`). Plain "rapport" there is an
#: unrelated project, so generated connector packages depend on this name.
DISTRIBUTION = "rapport-score"

try:
    __version__ = version(DISTRIBUTION)
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["DISTRIBUTION", "__version__"]
