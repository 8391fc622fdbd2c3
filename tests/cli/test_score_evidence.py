"""`rapport score` shows everything it counts and what it could not measure: vetoed
relationships with their reason, evidence labelled all-time or decayed, components a one-sided
export cannot support (docs/metric.md, "Measurable components")."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from rapport.cli import app
from tests.metric.archives import MASTODON

RUNNER = CliRunner()
EVENTS = [
    ("bea", "out", "message", "2024-03-01T00:00:00Z"),
    ("bea", "in", "message", "2024-03-01T06:00:00Z"),
    ("bea", "out", "message", "2024-03-20T00:00:00Z"),
    ("bea", "in", "message", "2024-03-20T06:00:00Z"),
    ("eve", "in", "mention", "2024-03-10T00:00:00Z"),
    ("eve", "out", "block", "2024-03-10T01:00:00Z"),
    ("max", "in", "mute", "2024-03-11T00:00:00Z"),
]


def _events(tmp_path: Path) -> Path:
    path = tmp_path / "events.jsonl"
    path.write_text(
        "".join(
            json.dumps(
                {
                    "platform": "mastodon",
                    "ego": "ada",
                    "counterpart": who,
                    "direction": d,
                    "kind": kind,
                    "at": at,
                    "event_id": str(n),
                }
            )
            + "\n"
            for n, (who, d, kind, at) in enumerate(EVENTS)
        )
    )
    return path


def _score(*args: str) -> str:
    result = RUNNER.invoke(app, ["score", *args], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.stdout


def test_top_0_lists_vetoed_relationships_with_their_reason_in_json(tmp_path: Path) -> None:
    args = ("--events", str(_events(tmp_path)), "--as-of", "2024-03-31T00:00:00Z")
    report = json.loads(_score(*args, "--top", "0", "-f", "json"))
    assert report["relationships_total"] == len(report["relationships"]) == 3
    assert [(r["counterpart"], r["vetoed_because"]) for r in report["relationships"]] == [
        ("bea", []),
        ("eve", ["the account blocked them"]),
        ("max", ["they muted the account"]),
    ]


def test_the_table_labels_evidence_and_shows_vetoes(tmp_path: Path) -> None:
    args = ("--events", str(_events(tmp_path)), "--as-of", "2024-03-31T00:00:00Z")
    table = _score(*args, "--top", "0", "-f", "table")
    for label in ("(decayed)", "(last 180)", "events, all time (out↑ in↓)"):
        assert label in table
    assert "vetoed: the account blocked them" in table
    assert "vetoed: they muted the account" in table


def test_a_one_sided_archive_shows_what_it_could_not_measure() -> None:
    report = json.loads(_score("--archive", str(MASTODON), "-f", "json"))
    components = report["components"]
    assert [n for n, c in components.items() if not c["measurable"]] == [
        "responsiveness",
        "authenticity",
    ]
    assert components["responsiveness"]["value"] is None
    assert report["points_measurable"] == 75
    table = _score("--archive", str(MASTODON), "-f", "table")
    assert "Not measurable from this source: responsiveness, authenticity." in table
    assert "not measurable from this source: the source does not show all the attention" in table
    assert table.count(" n/a ") == 2
