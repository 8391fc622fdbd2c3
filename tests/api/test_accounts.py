"""`/v1/accounts`: track, list, read, delete (which purges every key of the account)."""

from __future__ import annotations

from tests.api.conftest import NDJSON, Api, ndjson_events


def test_track_list_read(api: Api) -> None:
    r = api.client.post(
        "/v1/accounts", json={"platform": "mastodon", "account": "a@b.social"}, headers=api.acme
    )
    assert r.status_code == 201
    assert r.json()["events"] == 0
    again = api.client.post(
        "/v1/accounts", json={"platform": "mastodon", "account": "a@b.social"}, headers=api.acme
    )
    assert again.json()["tracked_at"] == r.json()["tracked_at"]
    listed = api.client.get("/v1/accounts", headers=api.acme).json()
    assert listed["total"] == 1
    assert listed["accounts"][0]["account"] == "a@b.social"
    assert api.client.get("/v1/accounts/mastodon/a@b.social", headers=api.acme).status_code == 200


def test_list_pages(api: Api) -> None:
    for i in range(5):
        api.client.post(
            "/v1/accounts", json={"platform": "x", "account": f"u{i}"}, headers=api.acme
        )
    page = api.client.get("/v1/accounts", params={"offset": 2, "limit": 2}, headers=api.acme).json()
    assert [a["account"] for a in page["accounts"]] == ["u2", "u3"]
    assert page["total"] == 5


def test_delete_purges_every_key_of_the_account(api: Api) -> None:
    api.client.post("/v1/ingest", content=ndjson_events(50), headers={**api.acme, **NDJSON})
    api.client.post(
        "/v1/ingest", content=ndjson_events(5, ego="carol"), headers={**api.acme, **NDJSON}
    )
    pattern = "rapport:{t:acme:mastodon:alice}:*"
    assert len(list(api.redis.scan_iter(match=pattern))) >= 5
    r = api.client.delete("/v1/accounts/mastodon/alice", headers=api.acme)
    assert r.status_code == 204
    assert list(api.redis.scan_iter(match=pattern)) == []
    assert list(api.redis.zrange("rapport:{tenant:acme}:accounts", 0, -1)) == [b"mastodon:carol"]
    assert api.client.get("/v1/accounts/mastodon/alice", headers=api.acme).status_code == 404
    assert api.client.get("/v1/accounts/mastodon/alice/score", headers=api.acme).status_code == 404
    assert api.client.delete("/v1/accounts/mastodon/alice", headers=api.acme).status_code == 404
    assert api.client.get("/v1/accounts/mastodon/carol/score", headers=api.acme).status_code == 200
