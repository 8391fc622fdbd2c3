"""Usage errors in Rapport's words: the option first, one line, where to read more."""

from __future__ import annotations

import pytest
import typer.main

from rapport.cli import app
from rapport.cli.clicklib import UsageError
from rapport.cli.errors import describe_usage_error


def usage_error(*args: str) -> UsageError:
    """What parsing `rapport score ARGS` raises, before any handling."""
    root = typer.main.get_command(app)
    parent = root.make_context("rapport", ["score"])
    score = root.get_command(parent, "score")  # type: ignore[attr-defined]
    with parent, pytest.raises(UsageError) as caught:
        score.make_context("score", list(args), parent=parent)
    return caught.value


def test_a_bad_value_leads_with_the_option() -> None:
    message = describe_usage_error(usage_error("--format", "xml"))
    assert message == (
        "--format: 'xml' is not one of 'json', 'jsonl', 'table' (see `rapport score --help`)"
    )


def test_a_range_error_has_no_library_label_or_full_stop() -> None:
    message = describe_usage_error(usage_error("--top", "-1"))
    assert message.startswith("--top: input should be greater than or equal to 0 (see ")


def test_a_context_free_error_takes_the_given_command() -> None:
    error = UsageError("Option '--as-of' requires an argument.")
    assert describe_usage_error(error, "rapport score") == (
        "option '--as-of' requires an argument (see `rapport score --help`)"
    )
    assert describe_usage_error(error) == "option '--as-of' requires an argument"
