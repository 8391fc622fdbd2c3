"""The worked example of docs/metric.md, run through `rapport score` as a user would: every
number in its expected table must come out, so the document cannot drift from the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli import app

DOC = Path(__file__).resolve().parents[2] / "docs" / "metric.md"


def _block(marker: str) -> str:
    text = DOC.read_text()
    match = re.search(rf"<!-- {marker} -->\s*```jsonl\n(.*?)```", text, re.S)
    assert match, f"docs/metric.md has no {marker} block"
    return match.group(1)


def _expected() -> dict[str, float]:
    text = DOC.read_text().split("<!-- worked-example:expected -->", 1)[1]
    rows = re.findall(r"^\| ([a-z_.]+) \| ([0-9.]+) \|$", text, re.M)
    assert len(rows) >= 10
    return {name: float(value) for name, value in rows}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict:
    folder = tmp_path_factory.mktemp("worked")
    (folder / "events.jsonl").write_text(_block("worked-example:events"))
    (folder / "profiles.jsonl").write_text(_block("worked-example:profiles"))
    result = CliRunner().invoke(
        app,
        [
            "score",
            "--events",
            str(folder / "events.jsonl"),
            "--profiles",
            str(folder / "profiles.jsonl"),
            "--as-of",
            "2024-03-31T00:00:00Z",
            "--format",
            "json",
            "--top",
            "0",
        ],
    )
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _actual(report: dict, name: str) -> float:
    if name == "score":
        return report["score"]
    if name == "genuine_connections":
        return report["genuine_connections"]
    if name in report["components"]:
        return report["components"][name]["points"]
    who, field = name.split(".")
    rel = next(r for r in report["relationships"] if r["counterpart"] == who)
    return rel[field]


@pytest.mark.parametrize("name", sorted(_expected()))
def test_worked_example_number(report: dict, name: str) -> None:
    expected = _expected()[name]
    decimals = len(str(expected).split(".")[1]) if "." in str(expected) else 0
    assert _actual(report, name) == pytest.approx(expected, abs=1.5 * 10 ** -max(decimals, 2))


def test_worked_example_stories(report: dict) -> None:
    rels = {r["counterpart"]: r for r in report["relationships"]}
    assert [r["counterpart"] for r in report["relationships"]] == ["bea", "cal", "dan", "eve"]
    assert report["relationships_total"] == 4
    assert report["relationships_vetoed"] == 1
    assert rels["eve"]["vetoed"]
    assert rels["eve"]["vetoed_because"] == ["the account blocked them"]
    assert rels["eve"]["not_genuine_because"] == ["vetoed: the account blocked them"]
    assert rels["eve"]["events_by_kind_all_time"] == {
        "mention": {"out": 0, "in": 2},
        "block": {"out": 1, "in": 0},
    }
    assert report["points_measurable"] == 100
    assert all(c["measurable"] for c in report["components"].values())
    assert rels["bea"]["genuine"]
    assert rels["bea"]["turns_all_time"] == 2
    assert rels["cal"]["not_genuine_because"] == ["reciprocity 0.00 < 0.2"]
    assert rels["dan"]["not_genuine_because"] == ["no contact in the last 90 days"]
    assert [m["data"] for m in report["missing"]] == ["counterpart_profiles"]
