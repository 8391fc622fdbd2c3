"""`rapport score`'s table as a person reads it: at 80 columns nothing is cut (names, dates,
numbers), at a wide terminal every column is there; on the demo and on recorded exports."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.running import invoke, widest_line
from tests.conftest import FIXTURES
from tests.connectors.twitter.helpers import REAL_2023, build, full_archive_files


def table_and_report(*args: str, columns: int = 80) -> tuple[str, dict]:  # type: ignore[type-arg]
    table = invoke("score", *args, "--format", "table", columns=columns)
    assert table.exit_code == 0, table.output
    report = invoke("score", *args, "--format", "json")
    assert report.exit_code == 0, report.output
    return table.stdout, json.loads(report.stdout)


def assert_nothing_cut(text: str, report: dict, columns: int) -> None:  # type: ignore[type-arg]
    assert widest_line(text) <= columns
    assert "…" not in text
    words = set(text.split())
    for rel in report["relationships"]:
        assert rel["counterpart"] in words, f"{rel['counterpart']} is not whole in the table"
        if rel["last_at"]:
            assert rel["last_at"][:10] in words
        assert f"{rel['strength']:.2f}" in words


def test_the_demo_at_80_columns() -> None:
    text, report = table_and_report("--demo")
    assert len(report["relationships"]) == 20
    assert_nothing_cut(text, report, 80)
    shown = " ".join(text.split())  # the note wraps at 80 columns
    assert "Not shown at 80 columns: reciprocity, out (decayed), in (decayed), days (last 180)" in (
        shown
    )
    assert "like 25↑25↓" in text  # the evidence, under the name


def test_the_demo_at_200_columns_shows_every_column() -> None:
    text, report = table_and_report("--demo", columns=200)
    assert_nothing_cut(text, report, 200)
    lines = text.splitlines()
    at = next(i for i, line in enumerate(lines) if line.startswith("counterpart"))
    header = " ".join(lines[at - 1 : at + 1])  # two-line headers: "out" over "(decayed)"
    for column in ("strength", "reciprocity", "out", "in", "days", "genuine", "events, all time"):
        assert column in header
    assert "Not shown" not in text


@pytest.mark.parametrize("columns", [80, 100, 120, 160])
def test_every_width_keeps_names_whole(columns: int) -> None:
    text, report = table_and_report("--demo", "--top", "0", columns=columns)
    assert len(report["relationships"]) > 50
    assert_nothing_cut(text, report, columns)


def x_export(tmp_path: Path) -> Path:
    return build(tmp_path / "x-export", full_archive_files(), as_zip=True)


@pytest.mark.parametrize(
    "archive",
    [
        lambda _: REAL_2023,
        x_export,
        lambda _: FIXTURES / "mastodon" / "archive",
        lambda _: FIXTURES / "linkedin" / "export",
    ],
    ids=["x-real-excerpts", "x-full", "mastodon", "linkedin"],
)
def test_recorded_exports_at_80_columns(tmp_path: Path, archive) -> None:  # type: ignore[no-untyped-def]
    text, report = table_and_report("--archive", str(archive(tmp_path)), "--top", "0")
    assert report["relationships"]
    assert_nothing_cut(text, report, 80)
    assert f"on {report['platform']}" in text


def test_rule_lines_show_the_configured_thresholds(tmp_path: Path) -> None:
    text, report = table_and_report("--demo", columns=120)
    flat = " ".join(text.split())
    assert "follows at least 5,000 accounts" in flat
    assert "fewer than 30 followers" in flat
    assert "less than 30 days before its first contact" in flat
    assert "`" not in flat
    rules = {rule["rule"]: rule["description"] for rule in report["rules_fired"]}
    assert rules["mass_following"].startswith("follows at least 5,000 accounts")
    assert all("`" not in description for description in rules.values())

    config = tmp_path / "metric.toml"
    config.write_text("[authenticity]\nmass_following = 2500\nfollow_ratio = 7.5\n")
    text, report = table_and_report("--demo", "--config", str(config), columns=120)
    flat = " ".join(text.split())
    assert "follows at least 2,500 accounts" in flat
    assert "follows 7.5 times more accounts" in flat
    rules = {rule["rule"]: rule["description"] for rule in report["rules_fired"]}
    assert rules["mass_following"].startswith("follows at least 2,500 accounts")


def test_json_has_every_name_in_full() -> None:
    report = json.loads(invoke("score", "--demo", "--top", "0", "--format", "json").stdout)
    names = [rel["counterpart"] for rel in report["relationships"]]
    assert "margaret@sciences.example" in names
    assert all("…" not in name for name in names)
