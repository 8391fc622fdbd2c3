"""Issue 13, one score on every path: the recorded X and Mastodon export archives uploaded
through the API (the real app, a real `rapport worker` process, the real Redis) keep every
event, however far back, and score what `rapport score --archive` (the real CLI, a process)
scores for the same file at the same `as_of`; a second upload of the same archive says it
added nothing because every event was already there."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from rapport.api import create_app
from rapport.plugins.host import read_archive
from rapport.settings import Settings
from tests.api.conftest import bearer, make_keys
from tests.connectors.twitter.helpers import build, full_archive_files
from tests.jobs.conftest import FINAL

BIN = Path(sys.executable).parent
MASTODON_MEMBERS = Path(__file__).resolve().parents[1] / "fixtures" / "mastodon" / "archive"
WAIT_SECONDS = 60.0  # a bound on waiting for the worker, not a timing assertion
ZIP = {"Content-Type": "application/zip"}


def x_archive(folder: Path) -> Path:
    """The real 2023 X export excerpts with the hand-made parts (Feb 2023 to Aug 2024)."""
    return build(folder / "x-archive", full_archive_files(), as_zip=True)


def mastodon_archive(folder: Path) -> Path:
    target = folder / "mastodon-archive.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for member in sorted(MASTODON_MEMBERS.iterdir()):
            if member.is_file():
                archive.write(member, member.name)
    return target


@dataclass
class Deployed:
    client: TestClient[Litestar]
    headers: dict[str, str]

    def upload(self, platform: str, archive: Path) -> dict[str, Any]:
        """Upload as a user would, wait for the worker, return the job's result."""
        answer = self.client.post(
            f"/v1/accounts/{platform}/me/archive",
            content=archive.read_bytes(),
            headers=self.headers | ZIP,
        )
        assert answer.status_code == 202, answer.text
        status_url = answer.json()["status_url"]
        deadline = time.monotonic() + WAIT_SECONDS
        while True:
            job = self.client.get(status_url, headers=self.headers).json()
            if job["state"] in {state.value for state in FINAL}:
                break
            assert time.monotonic() < deadline, f"the job did not finish: {job}"
            time.sleep(0.1)
        assert job["state"] == "complete", job
        result: dict[str, Any] = job["result"]
        return result

    def score(self, platform: str, account: str, as_of: str) -> dict[str, Any]:
        answer = self.client.get(
            f"/v1/accounts/{platform}/{account}/score",
            params={"as_of": as_of},
            headers=self.headers,
        )
        assert answer.status_code == 200, answer.text
        body: dict[str, Any] = answer.json()
        return body


@pytest.fixture
def deployed(redis_url: str, tmp_path: Path) -> Iterator[Deployed]:
    """The API app and a `rapport worker` process sharing an upload directory, as deployed."""
    uploads = tmp_path / "uploads"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    env |= {
        "RAPPORT_REDIS_URL": redis_url,
        "RAPPORT_UPLOAD_DIR": str(uploads),
        "RAPPORT_WORKER_SHUTDOWN_SECONDS": "2",
        "RAPPORT_LOG_LEVEL": "WARNING",
    }
    (key,) = make_keys(redis_url, "acme")
    with (tmp_path / "worker.log").open("wb") as log:
        worker = subprocess.Popen(
            [str(BIN / "rapport"), "worker"], env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        app = create_app(Settings(upload_dir=str(uploads)), redis_url=redis_url)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield Deployed(client, bearer(key))
    finally:
        worker.terminate()
        try:
            worker.wait(30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait(10)


def cli_score(archive: Path, as_of: str | None = None) -> dict[str, Any]:
    """`rapport score --archive FILE [--as-of T]`, as a user runs it (JSON in a pipe)."""
    command = [str(BIN / "rapport"), "score", "--archive", str(archive), "--format", "json"]
    if as_of is not None:
        command += ["--as-of", as_of]
    done = subprocess.run(command, capture_output=True, check=False, timeout=120)
    assert done.returncode == 0, done.stderr.decode()
    report: dict[str, Any] = json.loads(done.stdout)
    return report


def same_score(api: dict[str, Any], cli: dict[str, Any]) -> None:
    """The same number for the same data and as_of, to the rounding, and the same reasons."""
    assert api["as_of"] == cli["as_of"]
    assert api["score"] == pytest.approx(cli["score"], abs=0.01)
    for name in ("genuine_connections", "relationships_total", "relevant_genuine_connections"):
        assert api[name] == cli[name], name
    for name, component in cli["components"].items():
        assert api["components"][name]["points"] == pytest.approx(component["points"], abs=0.01)
    assert [(r["counterpart"], r["genuine"]) for r in api["relationships"]] == [
        (r["counterpart"], r["genuine"]) for r in cli["relationships"]
    ]
    # Every note the CLI gives, the API gives too (labelled with the source it came from).
    assert [(m["data"], m["effect"]) for m in api["missing"]] == [
        (m["data"], m["effect"]) for m in cli["missing"]
    ]
    assert {m.get("source") for m in api["missing"]} <= {"archive", None}


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("platform", "make_archive"),
    [("twitter", x_archive), ("mastodon", mastodon_archive)],
    ids=["x-2023-export", "mastodon-export"],
)
def test_an_uploaded_archive_keeps_every_event_and_scores_as_the_cli_does(
    deployed: Deployed, tmp_path: Path, platform: str, make_archive: Callable[[Path], Path]
) -> None:
    archive = make_archive(tmp_path)
    _, imported = read_archive(archive, platform)
    events = len(imported.interactions)
    own_date = imported.own_date()
    assert events
    assert own_date is not None

    result = deployed.upload(platform, archive)
    # Every event of the archive counts, whatever its age (the X export spans 18 months:
    # the old store refused 13 of its 15 events as "stale").
    assert (result["read"], result["stored"], result["duplicates"]) == (events, events, 0)
    assert result["refused"] == []
    account = result["account"]
    assert account == imported.account.account
    record = deployed.client.get(
        f"/v1/accounts/{platform}/{account}", headers=deployed.headers
    ).json()
    assert record["events"] == events

    # The score as of the archive's own date is the CLI's default score for the file.
    at_own_date = cli_score(archive)
    assert result["data_end"] == at_own_date["as_of"]
    assert result["data_end_score"] == pytest.approx(at_own_date["score"], abs=0.01)
    assert result["score_as_of"] > result["data_end"]  # and next to it, the score now
    assert result["why_different"].startswith(f"Your data ends on {own_date:%Y-%m-%d}")

    # At fixed instants, the API's score of the stored account is the CLI's score of the file.
    for moment in (own_date, own_date + timedelta(days=45), own_date + timedelta(days=400)):
        when = _iso(moment)
        same_score(deployed.score(platform, account, when), cli_score(archive, when))

    # The same archive again: nothing new, and the result says why.
    again = deployed.upload(platform, archive)
    assert (again["read"], again["stored"], again["duplicates"]) == (events, 0, events)
    assert again["message"].startswith(f"Nothing new: all {events} events of this archive")
    assert again["data_end_score"] == pytest.approx(result["data_end_score"], abs=1e-9)
