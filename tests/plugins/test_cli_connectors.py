"""`rapport connectors`, `rapport fetch` and `rapport new-connector` as a user runs them.

The connector under test is the package `rapport new-connector` generates, installed into a
tmp site through a real entry point, beside a plugin that fails on import. `rapport fetch`
talks HTTP to a replay server on 127.0.0.1 (an ephemeral port) serving its recorded pages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import msgspec
import pytest
from typer.testing import CliRunner

from rapport.cli import app
from rapport.model import Interaction
from rapport.plugins.scaffold import write_package
from tests.plugins.installing import forget_modules, install_dist

RUNNER = CliRunner()
TOKEN = "cli-secret-token"


ARCHIVE_ONLY = """
from rapport.plugins import Capabilities, Connector, hookimpl


class ArchiveOnly(Connector):
    name = "archonly"
    version = "1"
    capabilities = Capabilities(archive_formats=("archonly-zip",))


@hookimpl
def register_connectors(register):
    register(ArchiveOnly())
"""


@pytest.fixture
def generated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The scaffold for `clinet`, installed, plus a broken plugin; only these two allowed."""
    root = write_package("clinet", tmp_path)
    site = root / "src"
    (site / "rapport_cli_broken.py").write_text("import a_module_that_does_not_exist\n")
    (site / "rapport_cli_archonly.py").write_text(ARCHIVE_ONLY)
    install_dist(
        site,
        "rapport-clinet",
        {
            "clinet": "rapport_clinet",
            "brokennet": "rapport_cli_broken",
            "archonly": "rapport_cli_archonly",
        },
        monkeypatch,
    )
    monkeypatch.setenv("RAPPORT_PLUGINS_ALLOW", "clinet,brokennet")
    monkeypatch.delenv("RAPPORT_PLUGINS_STRICT", raising=False)
    yield root
    forget_modules("rapport_clinet", "rapport_cli_broken", "rapport_cli_archonly")


@pytest.mark.usefixtures("generated")
def test_connectors_json_lists_connectors_and_load_errors() -> None:
    result = RUNNER.invoke(app, ["connectors", "--format", "json"])
    assert result.exit_code == 0, result.output
    listing = json.loads(result.stdout)
    [clinet] = listing["connectors"]
    assert clinet["name"] == "clinet"
    assert clinet["version"] == "0.1.0"
    assert clinet["capabilities"] == ["posts"]
    assert clinet["archive_formats"] == ["clinet-json"]
    assert clinet["distribution"] == "rapport-clinet"
    assert "RAPPORT_CLINET_TOKEN" in clinet["config"]
    assert "RAPPORT_CLINET_PAGE_SIZE" in clinet["config"]
    [error] = listing["errors"]
    assert error["plugin"] == "brokennet"
    assert "a_module_that_does_not_exist" in error["message"]


@pytest.mark.usefixtures("generated")
def test_connectors_table_for_people() -> None:
    result = RUNNER.invoke(app, ["connectors", "--format", "table"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "clinet" in result.stdout
    assert "Plugins that failed to load" in result.stdout
    assert "brokennet" in result.stdout


@pytest.mark.usefixtures("generated")
def test_strict_mode_is_one_line_and_exit_2() -> None:
    result = RUNNER.invoke(app, ["connectors"], env={"RAPPORT_PLUGINS_STRICT": "1"})
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "brokennet" in result.stderr
    assert "Traceback" not in result.output


class ReplayServer:
    """A loopback HTTP server answering from the scaffold's recorded pages."""

    def __init__(self, fixtures: Path, status: int = 200) -> None:
        self.seen: list[tuple[str, dict[str, str]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlsplit(self.path)
                outer.seen.append((self.path, dict(self.headers)))
                if status != 200:
                    body = b'{"error": "slow down"}'
                    self.send_response(status)
                    self.send_header("Retry-After", "3600")
                else:
                    cursor = parse_qs(url.query).get("cursor", [""])[0]
                    page = "page-2.json" if cursor == "p2" else "page-1.json"
                    body = (fixtures / "api" / page).read_bytes()
                    self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> ReplayServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_fetch_writes_interactions_and_prints_the_cursor(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    profiles = tmp_path / "profiles.jsonl"
    with ReplayServer(generated / "tests" / "fixtures") as server:
        result = RUNNER.invoke(
            app,
            [
                *("fetch", "clinet", "me", "--base-url", server.url),
                *("--out", str(out), "--profiles", str(profiles)),
            ],
            env={"RAPPORT_CLINET_TOKEN": TOKEN},
        )
    assert result.exit_code == 0, result.output
    events = [msgspec.json.decode(line, type=Interaction) for line in out.read_bytes().splitlines()]
    assert [(e.counterpart, e.kind, e.direction) for e in events] == [
        ("alice", "reply", "out"),
        ("alice", "reply", "in"),
        ("carol", "repost", "in"),
    ]
    assert profiles.read_bytes() == b""
    assert result.stdout == "12\n"
    assert "wrote 3 interactions" in result.stderr
    assert len(server.seen) == 2
    for path, headers in server.seen:
        assert TOKEN not in path
        assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in result.output


def test_fetch_rate_limited_is_one_line_and_leaves_no_file(generated: Path, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    with ReplayServer(generated / "tests" / "fixtures", status=429) as server:
        result = RUNNER.invoke(
            app, ["fetch", "clinet", "me", "--base-url", server.url, "--out", str(out)]
        )
    assert result.exit_code == 2
    assert result.stderr.startswith("rapport: error: clinet: rate limited until ")
    assert result.stderr.count("\n") == 1
    assert not out.exists()
    assert list(tmp_path.glob(".events.jsonl.*")) == []


@pytest.mark.usefixtures("generated")
def test_fetch_unknown_platform_names_the_installed_ones(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["fetch", "friendster", "me", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert "no connector named 'friendster' (installed: clinet" in result.stderr


@pytest.mark.usefixtures("generated")
def test_fetch_from_an_archive_only_connector_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RAPPORT_PLUGINS_ALLOW", "archonly")
    result = RUNNER.invoke(app, ["fetch", "archonly", "me", "--out", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr == "rapport: error: archonly has no API client\n"
    assert not (tmp_path / "x").exists()


def test_new_connector_refuses_bad_names_and_existing_folders(tmp_path: Path) -> None:
    bad = RUNNER.invoke(app, ["new-connector", "My Net", "--dir", str(tmp_path)])
    assert bad.exit_code == 2
    assert "invalid connector name" in bad.stderr
    first = RUNNER.invoke(app, ["new-connector", "pixelnet", "--dir", str(tmp_path)])
    assert first.exit_code == 0, first.output
    assert (tmp_path / "rapport-pixelnet" / "pyproject.toml").is_file()
    again = RUNNER.invoke(app, ["new-connector", "pixelnet", "--dir", str(tmp_path)])
    assert again.exit_code == 2
    assert "already exists" in again.stderr


@pytest.mark.parametrize("name", ["score", "connectors"])
def test_new_connector_refuses_names_that_would_take_rapports_own(
    tmp_path: Path, name: str
) -> None:
    """`rapport-score` is Rapport's distribution and `rapport_connectors` its built-in package."""
    result = RUNNER.invoke(app, ["new-connector", name, "--dir", str(tmp_path)])
    assert result.exit_code == 2
    assert result.stderr == (
        f"rapport: error: invalid connector name {name!r}: it would take a name of Rapport's own\n"
    )
    assert not any(tmp_path.iterdir())


def test_generated_package_passes_the_contract_kit_as_generated(tmp_path: Path) -> None:
    result = RUNNER.invoke(app, ["new-connector", "freshnet", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    root = tmp_path / "rapport-freshnet"
    pyproject = (root / "pyproject.toml").read_text()
    assert '[project.entry-points."rapport.connectors"]' in pyproject
    assert 'freshnet = "rapport_freshnet"' in pyproject
    env = os.environ | {"PYTHONPATH": str(root / "src")}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "8 passed" in run.stdout
