"""The command group every `rapport` command hangs from.

typer's own error display is a framed box of several lines; Rapport's rule for every mistake
is one line on stderr, `rapport: error: ...`, and exit code 2. click parses the command line
in `make_context` (the group's own options) and in `invoke` (the chosen command's options and
arguments, then the command itself), so catching usage errors in these two places covers
every command, nested groups (`rapport keys ...`) included. Help asked for with no arguments
(`rapport`, `rapport score`) is still shown in full.

The command list in `rapport --help` gives each command's first sentence whole, wrapped,
where click would cut it at a fixed width with "...".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from typer.core import TyperGroup

from rapport.cli.clicklib import Command, Context, HelpFormatter, UsageError
from rapport.cli.errors import describe_usage_error, fail

__all__ = ["CONTEXT_SETTINGS", "RapportGroup"]

#: For the root group; every command inherits it.
CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"]}

#: Longer than any first sentence: the summary is wrapped, never cut.
_WHOLE_SENTENCE = 1_000


#: In `Context.meta` (shared by a command line's contexts): the deepest command resolved so
#: far, for errors the parser raises without a context ("option '--as-of' requires an
#: argument").
_RESOLVED = "rapport.resolved_command"


@contextmanager
def _one_line_usage_errors(ctx: Context | None = None) -> Iterator[None]:
    try:
        yield
    except UsageError as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":  # the help itself, not a mistake
            raise
        fail(describe_usage_error(exc, ctx.meta.get(_RESOLVED) if ctx is not None else None))


class RapportGroup(TyperGroup):
    def make_context(self, *args: Any, **kwargs: Any) -> Context:
        with _one_line_usage_errors():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Context) -> Any:
        with _one_line_usage_errors(ctx):
            return super().invoke(ctx)

    def resolve_command(
        self, ctx: Context, args: list[str]
    ) -> tuple[str | None, Command | None, list[str]]:
        name, command, rest = super().resolve_command(ctx, args)
        if name is not None:
            ctx.meta[_RESOLVED] = f"{ctx.command_path} {name}"
        return name, command, rest

    def format_commands(self, ctx: Context, formatter: HelpFormatter) -> None:
        rows = []
        for name in self.list_commands(ctx):
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(_WHOLE_SENTENCE)))
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)
