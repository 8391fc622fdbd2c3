"""How the CLI reports a problem: one line on stderr, exit code 2, never a traceback.

Every command wraps its work in `handle_input_errors()`, so an InputError raised anywhere
below (a bad events line, a bad config, a bad archive) reaches the user the same way, and so
does a plugin that fails to load in strict mode.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from rapport.errors import InputError, PluginLoadError

__all__ = ["EXIT_INPUT", "fail", "handle_input_errors"]

#: Exit code for bad input, as argparse and click use for usage errors.
EXIT_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print `rapport: error: <message>` on stderr and exit with code 2."""
    sys.stderr.write(f"rapport: error: {message}\n")
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def handle_input_errors() -> Iterator[None]:
    try:
        yield
    except (InputError, PluginLoadError) as exc:
        fail(str(exc))
