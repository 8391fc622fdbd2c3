"""The `rapport` command line. Each command lives in its own module and is registered here;
the CLI (with `rapport up`) is the only place that assembles the whole service."""

from __future__ import annotations

import typer

from rapport.cli import api, connectors, score, up, worker
from rapport.cli.group import CONTEXT_SETTINGS, RapportGroup

# Help is plain text, rendered as written (no markup to eat `<PLATFORM>` or `[...]`), and
# usage errors are one line (group.py).
app = typer.Typer(
    name="rapport",
    cls=RapportGroup,
    context_settings=CONTEXT_SETTINGS,
    help="Rapport measures how genuine an account's social network is: real, two-way, "
    "sustained relationships, not follower counts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    """Rapport measures how genuine an account's social network is: real, two-way,
    sustained relationships, not follower counts."""


score.register(app)
connectors.register(app)
api.register(app)
worker.register(app)
up.register(app)


def main() -> None:
    """Console-script entry point."""
    app()
