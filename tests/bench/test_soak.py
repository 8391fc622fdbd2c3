"""bench/soak.py in CI: a few seconds at a low fixed rate, and the soak's effect checks, which
must hold (nothing lost, nothing doubled, no error). No timing is asserted: speed is the soak's
report, not a test. The checks themselves are shown to catch a delivery received twice, a bad
signature and a broken chain of score changes, so a green smoke run means something."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from rapport.storage.webhooks import sign
from tests.bench import ROOT, load_bench
from tests.deadlines import scaled

soak = load_bench("soak")
peers = load_bench("soak_peers")


def test_a_short_soak_loses_and_doubles_nothing(tmp_path: Path) -> None:
    out = tmp_path / "soak.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
    args = ["--seconds", "6", "--rate", "20", "--json", str(out)]
    run = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "soak.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=scaled(180),
        check=False,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    report = json.loads(out.read_text())
    checks = report["checks"]
    assert report["errors"] == 0
    assert (checks["lost"], checks["duplicated"]) == (0, 0), checks["problems"]
    assert checks["deliveries_duplicated"] == checks["bad_signatures"] == 0
    assert checks["chain_breaks"] == checks["dead_letters"] == checks["jobs_not_complete"] == 0
    # The run went through every path it checks.
    assert checks["events_acknowledged"] > 0
    assert checks["batches_resent"] > 0
    assert checks["uploads"] > 0
    assert checks["refreshes_created"] > 0
    assert checks["deliveries_received"] > 0
    assert report["passed"]


def _delivery(hook: str, delivery: str, secret: str, at: float) -> tuple[str, str, bytes]:
    body = json.dumps(
        {
            "webhook_id": hook,
            "platform": "mastodon",
            "account": "a",
            "previous_score": 1.0,
            "score": 2.0,
            "as_of": "2026-11-26T00:00:00+00:00",
        }
    ).encode()
    return delivery, sign(secret, int(at), body), body


def test_the_receiver_counts_a_delivery_received_twice_and_refuses_bad_signatures() -> None:
    ledger = peers.Ledger(secrets={"h1": "whsec_right"})
    now = time.time()
    assert ledger.receive(*_delivery("h1", "d1", "whsec_right", now)) == 200
    assert ledger.receive(*_delivery("h1", "d1", "whsec_right", now)) == 200
    assert ledger.receive(*_delivery("h1", "d2", "whsec_wrong", now)) == 401
    assert ledger.receive(*_delivery("h1", "d3", "whsec_right", now - 3600)) == 401
    assert ledger.receive(*_delivery("h2", "d4", "whsec_right", now)) == 401
    assert ledger.stats() == {"posts": 5, "accepted": 1, "duplicates": 1, "bad_signatures": 3}


def test_score_changes_must_form_one_chain_to_the_current_score() -> None:
    chain = [(None, 10.0), (10.0, 12.0), (12.0, 10.0), (10.0, 10.0), (10.0, 11.0)]
    assert soak.chain_breaks(chain, 11.0) == 0
    assert soak.chain_breaks([], None) == 0
    assert soak.chain_breaks(chain[:1] + chain[2:], 11.0) > 0  # one change never delivered
    assert soak.chain_breaks([*chain, (10.0, 11.0)], 11.0) > 0  # one change delivered twice
    assert soak.chain_breaks(chain, 12.0) > 0  # the stored score is not the last delivered
    assert soak.chain_breaks([(None, 10.0), (10.0, 12.0), (10.0, 13.0)], 12.0) > 0  # a race
