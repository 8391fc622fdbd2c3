"""`POST /v1/ingest`: all or nothing, idempotent, errors naming the line and field."""

from __future__ import annotations

from collections.abc import Callable

import msgspec
import pytest

from tests.api.conftest import NDJSON, Api, ndjson_events, snapshot


@pytest.fixture
def api_kept(make_api: Callable[..., Api]) -> Api:
    return make_api(events_retention_days=3650)


@pytest.mark.parametrize("bad_line", [1, 17, 40])
@pytest.mark.parametrize(
    "bad",
    [
        b'{"platform":"mastodon","ego":"alice"}',
        b"not json at all",
        b'{"platform":"mastodon","ego":"alice","counterpart":"alice","direction":"out",'
        b'"kind":"reply","at":"2026-03-01T00:00:00Z","event_id":"self"}',
        b'{"platform":"mastodon","ego":"alice","counterpart":"b","direction":"out",'
        b'"kind":"reply","at":"2026-03-01T00:00:00","event_id":"naive"}',
        b'{"platform":"mastodon","ego":"alice","counterpart":"b","direction":"sideways",'
        b'"kind":"reply","at":"2026-03-01T00:00:00Z","event_id":"dir"}',
    ],
)
def test_one_bad_line_leaves_the_store_unchanged(api_kept: Api, bad_line: int, bad: bytes) -> None:
    api = api_kept
    assert (
        api.client.post(
            "/v1/ingest", content=ndjson_events(30, ego="carol"), headers={**api.acme, **NDJSON}
        ).status_code
        == 200
    )
    before = snapshot(api.redis)
    lines = ndjson_events(40).splitlines()
    lines[bad_line - 1] = bad
    response = api.client.post(
        "/v1/ingest", content=b"\n".join(lines), headers={**api.acme, **NDJSON}
    )
    assert response.status_code == 400
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["line"] == str(bad_line)
    assert f"line {bad_line}:" in response.json()["detail"]
    assert snapshot(api.redis) == before


def test_field_is_named(api: Api) -> None:
    bad = (
        b'{"platform":"mastodon","ego":"alice","counterpart":"b","direction":"out",'
        b'"kind":"poke","at":"2026-03-01T00:00:00Z","event_id":"k"}\n'
    )
    [error] = api.client.post("/v1/ingest", content=bad, headers={**api.acme, **NDJSON}).json()[
        "errors"
    ]
    assert error["field"] == "kind"
    assert error["line"] == "1"


def test_ingesting_twice_changes_nothing(api_kept: Api) -> None:
    api = api_kept
    body = ndjson_events(120)
    first = api.client.post("/v1/ingest", content=body, headers={**api.acme, **NDJSON}).json()
    assert first["accepted"] == 120
    assert list(first["scores"]) == ["mastodon/alice"]
    once = snapshot(api.redis)
    second = api.client.post("/v1/ingest", content=body, headers={**api.acme, **NDJSON}).json()
    assert (second["accepted"], second["duplicates"], second["scores"]) == (0, 120, {})
    assert snapshot(api.redis) == once


def test_json_array_equals_json_lines(make_api: Callable[..., Api]) -> None:
    api = make_api(events_retention_days=3650)
    lines = ndjson_events(50)
    api.client.post("/v1/ingest", content=lines, headers={**api.acme, **NDJSON})
    as_lines = snapshot(api.redis, "rapport:{t:*")
    api.redis.flushall()
    api = make_api(events_retention_days=3650)
    array = b"[" + b",".join(lines.splitlines()) + b"]"
    r = api.client.post(
        "/v1/ingest", content=array, headers={**api.acme, "Content-Type": "application/json"}
    )
    assert r.status_code == 200
    assert snapshot(api.redis, "rapport:{t:*") == as_lines


def test_json_array_error_names_item_and_field(api: Api) -> None:
    events = msgspec.json.decode(b"[" + b",".join(ndjson_events(5).splitlines()) + b"]")
    events[3]["at"] = "soon"
    r = api.client.post(
        "/v1/ingest",
        content=msgspec.json.encode(events),
        headers={**api.acme, "Content-Type": "application/json"},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "[3].at"


def test_empty_body_is_refused(api: Api) -> None:
    r = api.client.post("/v1/ingest", content=b"\n\n", headers={**api.acme, **NDJSON})
    assert r.status_code == 400
    assert "no event" in r.json()["detail"]


def test_score_change_queues_a_signed_webhook_delivery(api: Api) -> None:
    hook = api.client.post(
        "/v1/webhooks", json={"url": "https://hooks.example/r", "threshold": 0.5}, headers=api.acme
    ).json()
    assert hook["secret"].startswith("whsec_")
    api.client.post("/v1/ingest", content=ndjson_events(40), headers={**api.acme, **NDJSON})
    [raw] = api.redis.lrange("rapport:{webhooks}:pending", 0, -1)
    from rapport.storage.records import Delivery, decode

    delivery = decode(raw, Delivery)
    assert delivery.webhook_id == hook["id"]
    assert delivery.headers["Rapport-Signature"].startswith("t=")
    metrics = api.client.get("/metrics").text
    assert "rapport_webhook_deliveries_queued_total 1.0" in metrics


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"at": "9999-12-31T23:59:59Z"}, "at"),  # would poison the de-duplication horizon
        ({"text_len": 10**12}, "text_len"),  # more than the metric can hold
    ],
)
def test_events_the_store_cannot_hold_honestly_are_refused(
    api: Api, change: dict[str, object], field: str
) -> None:
    before = snapshot(api.redis)
    event = msgspec.json.decode(ndjson_events(1).splitlines()[0]) | change
    lines = [*ndjson_events(3).splitlines(), msgspec.json.encode(event)]
    r = api.client.post("/v1/ingest", content=b"\n".join(lines), headers={**api.acme, **NDJSON})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert (error["line"], error["field"]) == ("4", field)
    assert snapshot(api.redis) == before
    array = b"[" + b",".join(lines) + b"]"
    r = api.client.post(
        "/v1/ingest", content=array, headers={**api.acme, "Content-Type": "application/json"}
    )
    assert r.json()["errors"][0]["field"] == f"[3].{field}"


def test_a_years_old_event_is_counted_and_a_resend_is_a_duplicate(api: Api) -> None:
    """Issue 13: the old store refused, as `stale`, events over 400 days older than the
    account's newest; a backfill through the API now counts them, once."""
    api.client.post("/v1/ingest", content=ndjson_events(20), headers={**api.acme, **NDJSON})
    years_ago = msgspec.json.encode(
        {
            "platform": "mastodon",
            "ego": "alice",
            "counterpart": "old-friend",
            "direction": "in",
            "kind": "reply",
            "at": "2019-05-01T10:00:00Z",
            "event_id": "ev-2019",
        }
    )
    first = api.client.post("/v1/ingest", content=years_ago, headers={**api.acme, **NDJSON})
    assert first.status_code == 200, first.text
    assert (first.json()["accepted"], first.json()["refused"]) == (1, {})
    again = api.client.post("/v1/ingest", content=years_ago, headers={**api.acme, **NDJSON})
    assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 1)
    account = api.client.get("/v1/accounts/mastodon/alice", headers=api.acme).json()
    assert account["events"] == 21
