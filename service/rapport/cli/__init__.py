"""The `rapport` command line. Each command lives in its own module and is registered here;
the CLI (with `rapport up`) is the only place that assembles the whole service."""

from __future__ import annotations

import typer

from rapport.cli import api, connectors, score, up, worker

app = typer.Typer(
    name="rapport",
    help="Rapport measures how genuine an account's social network is: real, two-way, "
    "sustained relationships, not follower counts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
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
