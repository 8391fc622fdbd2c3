"""One rule for who reads the output: a table on a terminal, JSON in a pipe, for every command
that prints data, checked with the installed `rapport` on a real pipe and a real terminal."""

from __future__ import annotations

import enum
import io
import json
import sys

import pytest

from rapport.cli.output import pick_format
from tests.cli.running import run_in_pipe, run_in_terminal, widest_line


class Shape(enum.Enum):
    TABLE = "table"
    JSON = "json"
    JSONL = "jsonl"


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    assert pick_format(None, table=Shape.TABLE, json=Shape.JSON) is Shape.JSON
    assert pick_format(Shape.JSONL, table=Shape.TABLE, json=Shape.JSON) is Shape.JSONL
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    assert pick_format(None, table=Shape.TABLE, json=Shape.JSON) is Shape.TABLE
    assert pick_format(Shape.JSON, table=Shape.TABLE, json=Shape.JSON) is Shape.JSON


@pytest.mark.parametrize(
    ("args", "key"),
    [(["connectors"], "connectors"), (["score", "--demo"], "relationships")],
    ids=["connectors", "score"],
)
def test_a_pipe_gets_json(args: list[str], key: str) -> None:
    proc = run_in_pipe(*args)
    assert proc.returncode == 0, proc.stderr
    assert key in json.loads(proc.stdout)


@pytest.mark.parametrize(
    ("args", "heading"),
    [(["connectors"], "Connectors"), (["score", "--demo"], "Strongest relationships")],
    ids=["connectors", "score"],
)
def test_a_terminal_gets_a_table_that_fits(args: list[str], heading: str) -> None:
    code, text = run_in_terminal(*args, columns=80)
    assert code == 0
    assert heading in text
    assert not text.lstrip().startswith("{")
    assert widest_line(text) <= 80


def test_format_overrides_the_rule_in_a_pipe() -> None:
    proc = run_in_pipe("connectors", "--format", "table")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Connectors")
    assert widest_line(proc.stdout) <= 80
