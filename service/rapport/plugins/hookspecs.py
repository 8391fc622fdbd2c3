"""The hooks a Rapport plugin can implement. One line of docstring each; docs/connectors.md
documents them at length, and tests/plugins/test_docs.py fails when one is undocumented or
untested."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from rapport.plugins.connector import Connector

__all__ = ["PROJECT", "hookimpl", "hookspec"]

PROJECT = "rapport"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def register_connectors(register: Callable[[Connector], None]) -> None:
    """Register platform connectors by calling `register(connector_instance)` for each."""
