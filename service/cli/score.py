"""`rapport score`: the metric offline, for one account or every account in a file."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    app.command("score")(score)


def score() -> None:
    """Score accounts from a JSON Lines events file (being written in this session)."""
    raise typer.Exit(2)
