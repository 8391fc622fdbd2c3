"""Scores through the API: the stored document, `as_of`, `top`, the batch and the history."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from rapport.metric import group_by_account, score_events
from rapport.model import AccountRef, Interaction
from tests.api.conftest import NDJSON, Api, ndjson_events


@pytest.fixture
def loaded(make_api: Callable[..., Api]) -> Api:
    api = make_api(events_retention_days=3650)
    r = api.client.post("/v1/ingest", content=ndjson_events(200), headers={**api.acme, **NDJSON})
    assert r.status_code == 200
    return api


def _batch_score(as_of: float, count: int = 200) -> float:
    events = [
        msgspec.json.decode(line, type=Interaction) for line in ndjson_events(count).splitlines()
    ]
    ref = AccountRef("mastodon", "alice")
    return score_events(group_by_account(events)[ref], as_of=as_of).score


def test_current_score_is_the_metric_of_the_events(loaded: Api) -> None:
    doc = loaded.client.get("/v1/accounts/mastodon/alice/score", headers=loaded.acme).json()
    assert doc["ego"] == "alice"
    assert doc["score"] == pytest.approx(_batch_score(loaded.clock.now), abs=1e-6)
    assert len(doc["relationships"]) <= 20


def test_as_of_in_the_past_and_top(loaded: Api) -> None:
    as_of = "2026-03-04T12:00:00Z"
    doc = loaded.client.get(
        "/v1/accounts/mastodon/alice/score", params={"as_of": as_of, "top": 2}, headers=loaded.acme
    ).json()
    from datetime import datetime

    expected = _batch_score(datetime.fromisoformat(as_of).timestamp())
    assert doc["score"] == pytest.approx(expected, abs=1e-6)
    assert len(doc["relationships"]) == 2


def test_tracked_but_unscored_account_is_scored_on_demand(api: Api) -> None:
    api.client.post("/v1/accounts", json={"platform": "x", "account": "new"}, headers=api.acme)
    doc = api.client.get("/v1/accounts/x/new/score", headers=api.acme).json()
    assert doc["score"] == 0.0


def test_batch_in_order_with_not_found(loaded: Api) -> None:
    loaded.client.post(
        "/v1/accounts", json={"platform": "x", "account": "new"}, headers=loaded.acme
    )
    body = {
        "accounts": [
            {"platform": "mastodon", "account": "nobody"},
            {"platform": "mastodon", "account": "alice"},
            {"platform": "x", "account": "new"},
        ]
    }
    results = loaded.client.post("/v1/scores/batch", json=body, headers=loaded.acme).json()[
        "results"
    ]
    assert [r["status"] for r in results] == ["not_found", "ok", "not_scored"]
    single = loaded.client.get("/v1/accounts/mastodon/alice/score", headers=loaded.acme).json()
    assert results[1]["score"] == single["score"]
    assert results[1]["missing"] == [note["data"] for note in single["missing"]]
    assert results[1]["missing"]  # the example has no profiles: the score says so
    assert "missing" not in results[0]


def test_history_grows_with_each_ingest(loaded: Api) -> None:
    loaded.clock.now += 60
    more = ndjson_events(260).splitlines()[200:]
    loaded.client.post("/v1/ingest", content=b"\n".join(more), headers={**loaded.acme, **NDJSON})
    history = loaded.client.get(
        "/v1/accounts/mastodon/alice/score/history", headers=loaded.acme
    ).json()["history"]
    assert len(history) == 2
    assert history[0]["computed_at"] > history[1]["computed_at"]
