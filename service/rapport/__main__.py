"""`python -m rapport`: the `rapport` command where no console script is on PATH."""

from rapport.cli import app

app(prog_name="rapport")
