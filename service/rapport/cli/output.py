"""Who reads a command's output decides its form: a table for a person at a terminal, JSON
for a program at the other end of a pipe or a file. Every command that prints data (`rapport
score`, `rapport connectors`) takes `--format` and, without it, asks `pick_format`.
"""

from __future__ import annotations

import enum
import sys
from typing import TypeVar

__all__ = ["FORMAT_HELP", "pick_format"]

F = TypeVar("F", bound=enum.Enum)

#: The rule, as `--help` states it.
FORMAT_HELP = "(default: table on a terminal, json in a pipe or a file)"


def pick_format(chosen: F | None, *, table: F, json: F) -> F:
    """`chosen` when given; otherwise `table` when stdout is a terminal, else `json`."""
    if chosen is not None:
        return chosen
    return table if sys.stdout.isatty() else json
