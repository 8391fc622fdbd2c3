"""Every route checks the tenant on every object: another tenant's key sees a plain 404 (the
same answer as for an account that does not exist), empty lists, and changes nothing."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import NDJSON, Api, ndjson_events, snapshot


@pytest.fixture
def seeded(api: Api) -> Api:
    """acme tracks and scores mastodon/alice and has a webhook; rival has nothing."""
    r = api.client.post("/v1/ingest", content=ndjson_events(60), headers={**api.acme, **NDJSON})
    assert r.status_code == 200, r.text
    r = api.client.post("/v1/webhooks", json={"url": "https://hooks.example/x"}, headers=api.acme)
    assert r.status_code == 201
    return api


def _acme_data(api: Api) -> dict[str, Any]:
    return snapshot(api.redis, "rapport:{t:acme:*") | snapshot(api.redis, "rapport:{tenant:acme}*")


def _comparable(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in ("request_id", "instance", "detail")}


def _assert_plain_404(api: Api, method: str, path: str, **kwargs: Any) -> None:
    """The other tenant's object answers exactly like one that exists nowhere."""
    theirs = api.client.request(method, path, headers=api.rival, **kwargs)
    missing = api.client.request(
        method, path.replace("alice", "nobody-at-all"), headers=api.rival, **kwargs
    )
    assert theirs.status_code == missing.status_code == 404
    assert theirs.headers["content-type"] == "application/problem+json"
    assert _comparable(theirs.json()) == _comparable(missing.json())
    assert theirs.json()["detail"] == missing.json()["detail"].replace("nobody-at-all", "alice")


def test_list_accounts(seeded: Api) -> None:
    assert seeded.client.get("/v1/accounts", headers=seeded.rival).json()["total"] == 0
    assert seeded.client.get("/v1/accounts", headers=seeded.acme).json()["total"] == 1


def test_read_account(seeded: Api) -> None:
    _assert_plain_404(seeded, "GET", "/v1/accounts/mastodon/alice")


def test_delete_account(seeded: Api) -> None:
    before = _acme_data(seeded)
    _assert_plain_404(seeded, "DELETE", "/v1/accounts/mastodon/alice")
    assert _acme_data(seeded) == before


def test_score(seeded: Api) -> None:
    _assert_plain_404(seeded, "GET", "/v1/accounts/mastodon/alice/score")
    _assert_plain_404(
        seeded, "GET", "/v1/accounts/mastodon/alice/score", params={"as_of": "2026-03-02T00:00:00Z"}
    )
    _assert_plain_404(seeded, "GET", "/v1/accounts/mastodon/alice/score", params={"top": 3})


def test_history(seeded: Api) -> None:
    _assert_plain_404(seeded, "GET", "/v1/accounts/mastodon/alice/score/history")


def test_batch(seeded: Api) -> None:
    body = {"accounts": [{"platform": "mastodon", "account": "alice"}]}
    theirs = seeded.client.post("/v1/scores/batch", json=body, headers=seeded.rival).json()
    assert theirs["results"] == [
        {"platform": "mastodon", "account": "alice", "status": "not_found"}
    ]
    mine = seeded.client.post("/v1/scores/batch", json=body, headers=seeded.acme).json()
    assert mine["results"][0]["status"] == "ok"


def test_track_same_account_id(seeded: Api) -> None:
    before = _acme_data(seeded)
    r = seeded.client.post(
        "/v1/accounts", json={"platform": "mastodon", "account": "alice"}, headers=seeded.rival
    )
    assert r.status_code == 201
    assert r.json()["events"] == 0  # rival's own, empty record: acme's data is not shown
    assert r.json()["score"] is None
    assert _acme_data(seeded) == before


def test_ingest_same_account_id(seeded: Api) -> None:
    before = _acme_data(seeded)
    r = seeded.client.post(
        "/v1/ingest", content=ndjson_events(10), headers={**seeded.rival, **NDJSON}
    )
    assert r.status_code == 200
    assert r.json()["accepted"] == 10  # not "duplicates": acme's event ids are invisible
    assert _acme_data(seeded) == before


def test_webhooks(seeded: Api) -> None:
    [hook] = seeded.client.get("/v1/webhooks", headers=seeded.acme).json()["webhooks"]
    assert seeded.client.get("/v1/webhooks", headers=seeded.rival).json() == {"webhooks": []}
    theirs = seeded.client.delete(f"/v1/webhooks/{hook['id']}", headers=seeded.rival)
    missing = seeded.client.delete("/v1/webhooks/0000000000000000", headers=seeded.rival)
    assert theirs.status_code == missing.status_code == 404
    assert len(seeded.client.get("/v1/webhooks", headers=seeded.acme).json()["webhooks"]) == 1


def test_connectors_need_a_key_and_show_no_tenant_data(seeded: Api) -> None:
    assert seeded.client.get("/v1/connectors").status_code == 401
    assert seeded.client.get("/v1/connectors", headers=seeded.rival).json() == (
        seeded.client.get("/v1/connectors", headers=seeded.acme).json()
    )
