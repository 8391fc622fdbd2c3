"""The click that typer runs on: its own copy since typer 0.26, the click package before.

Usage errors and contexts must come from the same copy typer raises and passes, or an
`except UsageError` silently catches nothing.
"""

from __future__ import annotations

try:
    from typer._click import Command, Context, HelpFormatter
    from typer._click.exceptions import BadParameter, MissingParameter, UsageError
except ImportError:  # pragma: no cover - typer before 0.26
    from click import Command, Context, HelpFormatter  # type: ignore[assignment]
    from click.exceptions import (  # type: ignore[assignment]
        BadParameter,
        MissingParameter,
        UsageError,
    )

__all__ = ["BadParameter", "Command", "Context", "HelpFormatter", "MissingParameter", "UsageError"]
