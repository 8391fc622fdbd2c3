"""`rapport connectors` at 80 columns and in a pipe, and `rapport fetch` taking a platform
the way people write it (any case, X for twitter)."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.cli.running import invoke, widest_line


def test_the_table_fits_80_columns_with_every_variable_whole() -> None:
    listing = json.loads(invoke("connectors", "--format", "json").stdout)
    table = invoke("connectors", "--format", "table", columns=80)
    assert table.exit_code == 0, table.output
    assert widest_line(table.stdout) <= 80
    assert "…" not in table.stdout
    words = set(table.stdout.split())
    for connector in listing["connectors"]:
        assert connector["name"] in words
        for variable in connector["config"]:
            assert variable in words
        for archive in connector["archive_formats"]:
            assert archive in words
    assert "Not shown at 80 columns: version, from (see --format json)." in table.stdout


def test_a_wide_table_shows_every_column() -> None:
    table = invoke("connectors", "--format", "table", columns=200)
    header = next(line for line in table.stdout.splitlines() if line.startswith("name"))
    assert header.split() == [
        "name",
        "version",
        "can",
        "fetch",
        "archives",
        "configuration",
        "from",
    ]


def test_without_format_a_pipe_gets_json() -> None:
    result = invoke("connectors")  # CliRunner's stdout is not a terminal
    assert result.exit_code == 0, result.output
    assert {c["name"] for c in json.loads(result.stdout)["connectors"]} >= {"twitter", "mastodon"}


@pytest.mark.parametrize("name", ["Mastodon", "MASTODON", "mastodon"])
def test_fetch_takes_a_platform_in_any_case(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RAPPORT_MASTODON_BASE_URL", raising=False)
    result = invoke("fetch", name, "ada", "--out", "unused.jsonl")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "rapport: error: mastodon: no instance URL: set RAPPORT_MASTODON_BASE_URL\n"
    )


@pytest.mark.parametrize("name", ["X", "x", "Twitter"])
def test_fetch_takes_x_for_twitter(name: str, tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on: the fetch fails at once
        closed.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{closed.getsockname()[1]}"
    result = invoke("fetch", name, "jack", "--out", f"{tmp_path}/x.jsonl", "--base-url", url)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1].startswith("rapport: error: twitter: ")


def test_fetch_of_an_unknown_platform_lists_the_installed_ones() -> None:
    result = invoke("fetch", "Friendster", "ada", "--out", "unused.jsonl")
    assert result.exit_code == 2
    assert result.stderr.startswith("rapport: error: no connector named 'friendster' (installed: ")
