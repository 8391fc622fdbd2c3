"""Every error is RFC 9457 problem+json: routing, auth, validation, size, rate limit, and
server failures (without stack traces)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from litestar.testing import TestClient

from rapport.api import create_app
from rapport.settings import Settings
from tests.api.conftest import NDJSON, Api, make_keys, snapshot


def _problem(response, status: int) -> dict:  # type: ignore[no-untyped-def, type-arg]
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status
    assert body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    assert "Traceback" not in response.text
    return body


def test_unknown_route_and_method(api: Api) -> None:
    _problem(api.client.get("/v1/nothing-here", headers=api.acme), 404)
    _problem(api.client.put("/v1/accounts", headers=api.acme), 405)


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Bearer",
        "Bearer ",
        "Basic dXNlcjpwYXNz",
        "Bearer rpk_0000000000000000_" + "A" * 43,
        "Bearer not-a-key",
        "Bearer " + "x" * 5000,
    ],
)
def test_missing_or_wrong_key_is_401(api: Api, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    body = _problem(api.client.get("/v1/accounts", headers=headers), 401)
    assert "rpk_" not in body.get("detail", "")


def test_key_in_the_url_is_not_accepted(api: Api) -> None:
    _problem(api.client.get("/v1/accounts", params={"api_key": api.acme_key}), 401)


def test_revoked_key_stops_working(api: Api) -> None:
    import asyncio

    from redis.asyncio import Redis

    from rapport.api.auth import KEY_CACHE_TTL
    from rapport.storage import apikeys

    assert api.client.get("/v1/accounts", headers=api.acme).status_code == 200

    async def revoke() -> None:
        client = Redis.from_url(_url(api))
        await apikeys.revoke(client, api.acme_key)
        await client.aclose()

    asyncio.run(revoke())
    api.clock.now += KEY_CACHE_TTL + 1
    _problem(api.client.get("/v1/accounts", headers=api.acme), 401)


def _url(api: Api) -> str:
    kw = api.redis.connection_pool.connection_kwargs
    return f"redis://{kw['host']}:{kw['port']}/{kw.get('db', 0)}"


def test_validation_names_the_field(api: Api) -> None:
    body = _problem(
        api.client.post(
            "/v1/accounts", json={"platform": "Bad Name", "account": "a"}, headers=api.acme
        ),
        400,
    )
    assert body["errors"][0]["field"] == "platform"
    body = _problem(api.client.post("/v1/accounts", json={"platform": "x"}, headers=api.acme), 400)
    assert body["errors"][0]["field"] == "account"
    body = _problem(api.client.post("/v1/accounts", content=b"{not json", headers=api.acme), 400)
    body = _problem(api.client.get("/v1/accounts", params={"limit": "0"}, headers=api.acme), 400)
    assert body["errors"][0]["field"] == "limit"
    body = _problem(
        api.client.get("/v1/accounts/x/a/score", params={"as_of": "yesterday"}, headers=api.acme),
        400,
    )
    assert body["errors"][0]["field"] == "as_of"


def test_batch_over_the_limit_is_refused(api: Api) -> None:
    accounts = [{"platform": "x", "account": str(i)} for i in range(1001)]
    body = _problem(
        api.client.post("/v1/scores/batch", json={"accounts": accounts}, headers=api.acme), 400
    )
    assert body["errors"][0]["field"] == "accounts"
    assert "1000" in body["errors"][0]["message"]


def test_oversized_body_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=4096)
    before = snapshot(api.redis)
    _problem(
        api.client.post("/v1/ingest", content=b"x" * 5000, headers={**api.acme, **NDJSON}), 413
    )
    assert snapshot(api.redis) == before


def test_wrong_content_type_is_415(api: Api) -> None:
    _problem(
        api.client.post(
            "/v1/ingest", content=b"a,b", headers={**api.acme, "Content-Type": "text/csv"}
        ),
        415,
    )


def test_rate_limit_is_429_with_retry_after(make_api: Callable[..., Api]) -> None:
    api = make_api(rate_limit_per_minute=3)
    api.clock.now = 1_800_000_010.0  # 10 s into a one-minute window
    for _ in range(3):
        assert api.client.get("/v1/accounts", headers=api.acme).status_code == 200
    response = api.client.get("/v1/accounts", headers=api.acme)
    body = _problem(response, 429)
    assert response.headers["retry-after"] == "50"
    assert "rate limit" in body["detail"]
    assert api.client.get("/v1/accounts", headers=api.rival).status_code == 200  # per key
    api.clock.now += 50
    assert api.client.get("/v1/accounts", headers=api.acme).status_code == 200


def test_redis_down_is_503_without_details_and_readyz_503(redis_url: str) -> None:
    [key] = make_keys(redis_url, "acme")
    app = create_app(Settings(), redis_url="redis://127.0.0.1:1/0", load_plugins=False)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/v1/accounts", headers={"Authorization": f"Bearer {key}"})
        body = _problem(response, 503)  # issue 5: an outage is 503 + Retry-After, not a 500
        assert response.headers["retry-after"] == "5"
        assert body["detail"] == "a backing service (Redis) is unavailable; retry shortly"
        assert "Connection" not in str(body)
        ready = client.get("/readyz")
        _problem(ready, 503)
        assert client.get("/healthz").status_code == 200
