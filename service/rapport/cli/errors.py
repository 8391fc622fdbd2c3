"""How the CLI reports a problem: one line on stderr, exit code 2, never a traceback.

Every command wraps its work in `handle_input_errors()`, so an InputError raised anywhere
below (a bad events line, a bad config, a bad archive) reaches the user the same way, and so
does a plugin that fails to load in strict mode. Usage errors found while parsing the command
line (a bad option value, an unknown option, a missing argument) take the same form through
`describe_usage_error`, which the command group (group.py) calls.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from rapport.cli.clicklib import BadParameter, MissingParameter, UsageError
from rapport.errors import InputError, PluginLoadError

__all__ = ["EXIT_INPUT", "describe_usage_error", "fail", "handle_input_errors"]

#: Exit code for bad input, as argparse and click use for usage errors.
EXIT_INPUT = 2


def fail(message: str) -> NoReturn:
    """Print `rapport: error: <message>` on stderr and exit with code 2."""
    sys.stderr.write(f"rapport: error: {' '.join(message.split())}\n")
    raise typer.Exit(EXIT_INPUT)


@contextmanager
def handle_input_errors() -> Iterator[None]:
    try:
        yield
    except (InputError, PluginLoadError) as exc:
        fail(str(exc))


def describe_usage_error(error: UsageError, command_path: str | None = None) -> str:
    """The parser's message, led by the option it is about ("--top: input should be greater
    than or equal to 0"), and the command whose --help tells how to do it right (the error's
    own, else `command_path`: some parser errors carry no context)."""
    message = error.format_message()
    if isinstance(error, BadParameter) and not isinstance(error, MissingParameter):
        param = error.param
        longs = [o for o in param.opts if o.startswith("--")] if param is not None else []
        if longs:
            message = f"{longs[0]}: {_clause(error.message)}"
        elif param is not None and param.param_type_name == "argument":
            name = param.metavar or (param.name or "argument").upper()
            message = f"{name}: {_clause(error.message)}"
    message = _clause(message)
    path = error.ctx.command_path if error.ctx is not None else command_path
    if path:
        message += f" (see `{path} --help`)"
    return message


def _clause(text: str) -> str:
    """A message as the end of our sentence: one line, no closing full stop, no leading
    capital, without the validation library's "Value error, " label."""
    text = " ".join(text.split()).removeprefix("Value error, ").rstrip(".")
    return text[:1].lower() + text[1:]
