"""Health, readiness, Prometheus metrics, request ids, JSON logs without secrets, CORS."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterator

import msgspec
import pytest

from rapport.api.observability import JsonFormatter
from rapport.api.state import services_of
from tests.api.conftest import NDJSON, Api, ndjson_events


def test_health_and_readiness(api: Api) -> None:
    assert api.client.get("/healthz").json() == {"status": "ok"}
    assert api.client.get("/readyz").json() == {"status": "ready"}


def test_metrics_count_routes_statuses_and_scores(api: Api) -> None:
    api.client.get("/v1/accounts", headers=api.acme)
    api.client.get("/v1/accounts/x/none", headers=api.acme)
    api.client.post("/v1/ingest", content=ndjson_events(10), headers={**api.acme, **NDJSON})
    text = api.client.get("/metrics").text
    assert 'rapport_http_requests_total{method="GET",route="/v1/accounts",status="200"} 1.0' in text
    assert (
        'rapport_http_requests_total{method="GET",route="/v1/accounts/{platform}/{account}",'
        'status="404"} 1.0'
    ) in text
    assert 'rapport_http_request_duration_seconds_bucket{le="0.001",route="/v1/accounts"}' in text
    assert 'rapport_score_computations_total{reason="ingest"} 1.0' in text
    assert "rapport_events_ingested_total 10.0" in text


def test_request_id_is_echoed_or_made(api: Api) -> None:
    mine = api.client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert mine.headers["x-request-id"] == "abc-123"
    hostile = api.client.get("/healthz", headers={"X-Request-ID": "a\tb<script>"})
    assert hostile.headers["x-request-id"] != "a\tb<script>"
    assert len(hostile.headers["x-request-id"]) == 32


@pytest.fixture
def log_lines(api: Api) -> Iterator[Callable[[], list[dict[str, object]]]]:
    """Every JSON line the API writes: `rapport.api` log records and the access log."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("rapport.api")
    logger.addHandler(handler)
    access_log = services_of(api.client.app.state).access_log
    access = access_log.stream = io.BytesIO()

    def lines() -> list[dict[str, object]]:
        access_log.flush()
        text = stream.getvalue() + access.getvalue().decode()
        return [msgspec.json.decode(line) for line in text.splitlines()]

    try:
        yield lines
    finally:
        logger.removeHandler(handler)
        access_log.stream = None


def test_logs_are_json_with_request_id_and_no_secret(
    api: Api, log_lines: Callable[[], list[dict[str, object]]]
) -> None:
    api.client.get("/v1/accounts", headers={**api.acme, "X-Request-ID": "req-1"})
    api.client.get("/v1/accounts", headers={"Authorization": "Bearer rpk_leak"})
    lines = log_lines()
    first = next(line for line in lines if line.get("request_id") == "req-1")
    assert first["route"] == "/v1/accounts"
    assert first["status"] == 200
    assert first["tenant"] == "acme"
    assert first["level"] == "INFO"
    assert first["logger"] == "rapport.api"
    assert isinstance(first["duration_ms"], float)
    assert isinstance(first["ts"], float)
    unauthorised = [line for line in lines if line.get("status") == 401]
    assert unauthorised
    assert unauthorised[0]["tenant"] is None
    everything = repr(lines)
    assert api.acme_key not in everything
    assert api.acme_key.rsplit("_", 1)[1] not in everything
    assert "rpk_leak" not in everything


def test_cors_is_off_by_default(api: Api) -> None:
    preflight = api.client.options(
        "/v1/accounts",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in preflight.headers
    plain = api.client.get("/v1/accounts", headers={**api.acme, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in plain.headers


def test_cors_when_configured(make_api: Callable[..., Api]) -> None:
    api = make_api(cors_origins="https://app.example")
    ok = api.client.get("/v1/accounts", headers={**api.acme, "Origin": "https://app.example"})
    assert ok.headers["access-control-allow-origin"] == "https://app.example"
    other = api.client.get("/v1/accounts", headers={**api.acme, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
