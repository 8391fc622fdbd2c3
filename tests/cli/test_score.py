"""`rapport score` as a user runs it: the demo, formats, selection, and every error path."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from rapport.cli import app
from rapport.metric import METRIC_VERSION
from tests.conftest import FIXTURES
from tests.deadlines import scaled

RUNNER = CliRunner()
LINE = (
    '{{"platform":"mastodon","ego":"{ego}","counterpart":"{who}","direction":"{d}",'
    '"kind":"{kind}","at":"{at}","event_id":"{eid}"}}'
)


def line(
    ego: str = "ada",
    who: str = "bea",
    d: str = "out",
    kind: str = "message",
    at: str = "2024-03-01T00:00:00Z",
    eid: str = "1",
) -> str:
    return LINE.format(ego=ego, who=who, d=d, kind=kind, at=at, eid=eid)


def write(tmp_path: Path, *lines: str, name: str = "events.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n")
    return path


def score(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return RUNNER.invoke(app, ["score", *args], input=stdin)


def test_demo_scores_the_bundled_account_as_json() -> None:
    result = score("--demo", "--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["ego"] == "ada@example.social"
    assert 0 < report["score"] < 100
    assert report["as_of"] == "2025-06-30T00:00:00Z"
    for key in (
        "components",
        "genuine_connections",
        "layers",
        "relationships",
        "rules_fired",
        "missing",
        "metric_version",
    ):
        assert key in report
    assert report["genuine_connections"] >= 5
    fans = [r for r in report["relationships"] if r["counterpart"].startswith("fan")]
    assert all(not r["genuine"] for r in fans), "fans who only like are never genuine"
    rel = report["relationships"][0]
    assert set(rel) >= {
        "counterpart",
        "strength",
        "reciprocity",
        "volume_in_decayed",
        "volume_out_decayed",
        "active_days_in_window",
        "last_at",
        "genuine",
    }


def test_demo_table_is_readable() -> None:
    result = score("--demo", "--format", "table")
    assert result.exit_code == 0, result.output
    for words in (
        "Rapport score",
        "Components",
        "connections",
        "Strongest relationships",
        "Layers",
        "Rule fired",
        f"metric {METRIC_VERSION}",
    ):
        assert words in result.stdout


def test_every_ego_is_scored_one_json_line_each(tmp_path: Path) -> None:
    path = write(tmp_path, line(ego="ada", eid="1"), line(ego="bea", who="ada", d="in", eid="1"))
    result = score("--events", str(path), "--as-of", "2024-03-02T00:00:00Z")
    assert result.exit_code == 0, result.output
    reports = [json.loads(x) for x in result.stdout.splitlines()]
    assert [r["ego"] for r in reports] == ["ada", "bea"]


def test_ego_selects_one_account_and_stdin_works(tmp_path: Path) -> None:
    data = "\n".join([line(ego="ada", eid="1"), line(ego="bea", who="ada", eid="2")])
    result = score("--events", "-", "--ego", "bea", "--format", "jsonl", stdin=data)
    assert result.exit_code == 0, result.output
    assert [json.loads(x)["ego"] for x in result.stdout.splitlines()] == ["bea"]


def test_top_and_config(tmp_path: Path) -> None:
    path = write(tmp_path, line(who="bea", eid="1"), line(who="cal", eid="2"))
    config = tmp_path / "metric.toml"
    config.write_text("half_life_days = 10\n")
    result = score(
        "--events",
        str(path),
        "--top",
        "1",
        "--config",
        str(config),
        "-f",
        "json",
        "--as-of",
        "2024-03-02T00:00:00Z",
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert len(report["relationships"]) == 1
    assert (
        report["config_digest"]
        != json.loads(score("--events", str(path), "-f", "json").stdout)["config_digest"]
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (line(kind="hug"), "events.jsonl:2: field `kind`: invalid value 'hug' (expected one of"),
        (line(at="2024-03-01T00:00:00"), "events.jsonl:2: field `at`"),
        (line(at="yesterday"), "events.jsonl:2: field `at`: invalid RFC3339"),
        (
            line()[:-8],
            "events.jsonl:2: truncated JSON: the string that starts at column 119 is never closed",
        ),
        (line()[:-1], "events.jsonl:2: truncated JSON: a ',' or a closing bracket was expected"),
        ('{"platform": "mastodon"}', "events.jsonl:2: object missing required field"),
        ("not json", "events.jsonl:2: malformed JSON: a value was expected at column 1"),
        (line()[:40] + line(), "events.jsonl:2: malformed JSON: a ':' was expected at column 43"),
        ('{"platform": NaN}', "events.jsonl:2: malformed JSON: a value JSON does not allow"),
        (line(who="ada"), "events.jsonl:2: `counterpart` must differ from `ego`"),
    ],
)
def test_bad_lines_name_file_line_and_field(tmp_path: Path, content: str, message: str) -> None:
    path = write(tmp_path, line(eid="0"), content)
    result = score("--events", str(path))
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output
    assert result.stdout == ""
    assert not re.search(r"(\bat|:|starting at)\n$", result.stderr), "ends mid-sentence"


def test_unknown_ego_lists_the_egos_in_the_file(tmp_path: Path) -> None:
    path = write(tmp_path, line())
    result = score("--events", str(path), "--ego", "zed")
    assert result.exit_code == 2
    assert "no events for ego 'zed' (egos in the file: ada)" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "soon"], "--as-of: 'soon' is not an RFC 3339 timestamp"),
        (["--as-of", "2024-03-01T00:00:00"], "has no timezone"),
        (["--config", "/nonexistent/m.toml"], "--config: cannot read"),
        (["--profiles", "/nonexistent/p.jsonl"], "--profiles: cannot read"),
    ],
)
def test_bad_options_fail_with_one_line(tmp_path: Path, args: list[str], message: str) -> None:
    path = write(tmp_path, line())
    result = score("--events", str(path), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_bad_config_names_the_field(tmp_path: Path) -> None:
    path = write(tmp_path, line())
    config = tmp_path / "m.toml"
    config.write_text("[weights]\nlike = -1\n")
    result = score("--events", str(path), "--config", str(config))
    assert result.exit_code == 2
    assert "m.toml: invalid metric config" in result.stderr
    assert "weights.like" in result.stderr


def test_missing_and_empty_inputs(tmp_path: Path) -> None:
    assert "cannot read" in score("--events", str(tmp_path / "nope.jsonl")).stderr
    empty = write(tmp_path, "", name="empty.jsonl")
    result = score("--events", str(empty))
    assert result.exit_code == 2
    assert "no events found" in result.stderr
    both = score("--events", str(empty), "--demo")
    assert both.exit_code == 2
    assert "exactly one input" in both.stderr


def test_help_reads_well() -> None:
    result = RUNNER.invoke(app, ["score", "--help"])
    assert result.exit_code == 0
    for option in ("--events", "--demo", "--ego", "--as-of", "--config", "--top", "--format"):
        assert option in result.stdout


def test_installed_console_script_fails_cleanly(tmp_path: Path) -> None:
    """The real `rapport` entry point, in a subprocess: exit 2, one line, no traceback."""
    path = write(tmp_path, line(kind="hug"))
    exe = Path(sys.executable).with_name("rapport")
    proc = subprocess.run(
        [str(exe), "score", "--events", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=scaled(60),
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("rapport: error: ")
    assert "Traceback" not in proc.stderr


X_REAL = FIXTURES / "twitter" / "archive" / "community-archive_docs"


@pytest.mark.parametrize(
    ("folder", "member", "keep"),
    [
        (FIXTURES / "mastodon" / "archive", "outbox.json", 0.5),
        (FIXTURES / "mastodon" / "archive", "actor.json", 0.97),
        (X_REAL, "tweets.js", 0.5),
        (X_REAL, "account.js", 0.8),
    ],
    ids=["mastodon-outbox", "mastodon-actor", "x-tweets", "x-account"],
)
def test_a_truncated_export_names_file_member_position_and_what_is_wrong(
    tmp_path: Path, folder: Path, member: str, keep: float
) -> None:
    copy = tmp_path / folder.name
    shutil.copytree(folder, copy)
    text = (copy / member).read_text(encoding="utf-8")
    (copy / member).write_text(text[: int(len(text) * keep)], encoding="utf-8")
    result = score("--archive", str(copy))
    assert result.exit_code == 2
    assert re.fullmatch(
        rf"rapport: error: {re.escape(str(copy))}!{member} at line \d+, column \d+: "
        r"truncated JSON: [a-z' ,]+[a-z]\n",
        result.stderr,
    ), result.stderr


def test_an_export_cut_inside_a_character_says_truncated(tmp_path: Path) -> None:
    copy = tmp_path / "x"
    shutil.copytree(X_REAL, copy)
    data = (copy / "tweets.js").read_bytes()
    first_wide = next(i for i, byte in enumerate(data) if byte >= 0xC0)  # a multi-byte start
    (copy / "tweets.js").write_bytes(data[: first_wide + 1])
    result = score("--archive", str(copy))
    assert result.exit_code == 2
    assert result.stderr == (
        f"rapport: error: {copy}!tweets.js at byte {first_wide}: truncated: the file ends "
        "inside a UTF-8 character\n"
    )


@pytest.mark.parametrize("name", ["twitter", "Twitter", "X", "x"])
def test_platform_takes_any_case_and_x_for_twitter(name: str) -> None:
    archive = FIXTURES / "twitter" / "archive" / "community-archive_docs"
    result = score("--archive", str(archive), "--platform", name, "-f", "json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["platform"] == "twitter"


def test_platform_mastodon_in_capitals() -> None:
    result = score("--archive", str(FIXTURES / "mastodon" / "archive"), "--platform", "Mastodon")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["platform"] == "mastodon"


def test_an_unknown_platform_lists_the_connectors() -> None:
    archive = FIXTURES / "mastodon" / "archive"
    result = score("--archive", str(archive), "--platform", "Friendster")
    assert result.exit_code == 2
    assert "no connector named 'friendster' (installed: " in result.stderr
