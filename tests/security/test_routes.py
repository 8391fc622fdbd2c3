"""Authentication and tenancy on every route of the app, enumerated from the app itself: a
route added without a case here fails `test_every_route_has_a_case`.

For every bearer route: no key, a malformed header, a wrong key and a revoked key are the same
401 problem+json and change nothing; another tenant's key answers as if the first tenant's
objects did not exist (404, empty lists, its own records), never shows them, and changes none of
the first tenant's data. Every body-taking route answers an oversized body with 413
problem+json."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from redis.asyncio import Redis

from rapport.storage import apikeys
from tests.api.conftest import NDJSON, NOW, Api, bearer, ndjson_events, snapshot

ZIP = {"Content-Type": "application/zip"}


@dataclass(frozen=True)
class Seeded:
    """acme's objects: the account mastodon/alice (scored), a webhook and two jobs."""

    api: Api
    webhook_id: str
    webhook_secret: str
    job_ids: tuple[str, ...]

    def secrets(self, path: str) -> list[str]:
        """Strings that must never appear in an answer to another tenant (an id the request
        itself sent may be echoed: the caller knew it already)."""
        found = [self.webhook_id, self.webhook_secret, self.api.acme_key, *self.job_ids]
        return [s for s in found if s not in path]


@dataclass(frozen=True)
class Case:
    """One request to a route (built from the seeded objects) and the statuses another
    tenant may get."""

    request: Callable[[Seeded], tuple[str, dict[str, Any]]]
    rival: frozenset[int]


def _ingest_body(_: Seeded) -> tuple[str, dict[str, Any]]:
    return "/v1/ingest", {"content": ndjson_events(5), "headers": NDJSON}


def _profiles_body(_: Seeded) -> tuple[str, dict[str, Any]]:
    body = b'{"platform": "mastodon", "account": "friend0", "followers_count": 3}\n'
    return ALICE + "/profiles", {"content": body, "headers": NDJSON}


ALICE = "/v1/accounts/mastodon/alice"
CASES: dict[tuple[str, str], Case] = {
    ("GET", "/v1/accounts"): Case(lambda s: ("/v1/accounts", {}), frozenset({200})),
    ("POST", "/v1/accounts"): Case(
        lambda s: ("/v1/accounts", {"json": {"platform": "mastodon", "account": "alice"}}),
        frozenset({201}),
    ),
    ("GET", "/v1/accounts/{platform:str}/{account:str}"): Case(
        lambda s: (ALICE, {}), frozenset({404})
    ),
    ("DELETE", "/v1/accounts/{platform:str}/{account:str}"): Case(
        lambda s: (ALICE, {}), frozenset({404})
    ),
    ("GET", "/v1/accounts/{platform:str}/{account:str}/score"): Case(
        lambda s: (ALICE + "/score", {"params": {"top": 3}}), frozenset({404})
    ),
    ("GET", "/v1/accounts/{platform:str}/{account:str}/score/history"): Case(
        lambda s: (ALICE + "/score/history", {}), frozenset({404})
    ),
    ("POST", "/v1/scores/batch"): Case(
        lambda s: (
            "/v1/scores/batch",
            {"json": {"accounts": [{"platform": "mastodon", "account": "alice"}]}},
        ),
        frozenset({200}),
    ),
    ("POST", "/v1/ingest"): Case(_ingest_body, frozenset({200})),
    ("POST", "/v1/accounts/{platform:str}/{account:str}/profiles"): Case(
        _profiles_body, frozenset({404})
    ),
    ("GET", "/v1/connectors"): Case(lambda s: ("/v1/connectors", {}), frozenset({200})),
    ("GET", "/v1/webhooks"): Case(lambda s: ("/v1/webhooks", {}), frozenset({200})),
    ("POST", "/v1/webhooks"): Case(
        lambda s: ("/v1/webhooks", {"json": {"url": "https://hooks.example/rival"}}),
        frozenset({201}),
    ),
    ("DELETE", "/v1/webhooks/{webhook_id:str}"): Case(
        lambda s: (f"/v1/webhooks/{s.webhook_id}", {}), frozenset({404})
    ),
    ("GET", "/v1/jobs/dead-letters"): Case(
        lambda s: ("/v1/jobs/dead-letters", {}), frozenset({200})
    ),
    ("GET", "/v1/jobs/{job_id:str}"): Case(
        lambda s: (f"/v1/jobs/{s.job_ids[0]}", {}), frozenset({404})
    ),
    ("POST", "/v1/accounts/{platform:str}/{account:str}/refresh"): Case(
        lambda s: (ALICE + "/refresh", {}), frozenset({202})
    ),
    ("POST", "/v1/accounts/{platform:str}/{account:str}/archive"): Case(
        lambda s: (ALICE + "/archive", {"content": b"PK\x03\x04" + b"x" * 100, "headers": ZIP}),
        frozenset({202}),
    ),
}

#: Routes without a bearer key, and why: probes and scrapers, and the OpenAPI document.
PUBLIC = re.compile(r"^/(healthz|readyz|metrics)$|^/schema(/.*)?$")
#: The account pages sign in with a cookie, not a bearer key (service/rapport/web; their own tests).
COOKIE_UI = re.compile(r"^/ui(/.*)?$")


def _app_routes(api: Api) -> set[tuple[str, str]]:
    found = set()
    for route in api.client.app.routes:
        for method in getattr(route, "methods", ()):
            if method not in ("OPTIONS", "HEAD"):
                found.add((method, route.path))
    return found


def test_every_route_has_a_case(api: Api) -> None:
    routes = _app_routes(api)
    bearer_routes = {r for r in routes if not PUBLIC.match(r[1]) and not COOKIE_UI.match(r[1])}
    assert bearer_routes == set(CASES), "a route without a security case (add it to CASES)"
    assert any(PUBLIC.match(path) for _, path in routes)


@pytest.fixture
def seeded(make_api: Callable[..., Api], tmp_path: Path) -> Seeded:
    api = make_api(upload_dir=str(tmp_path / "uploads"))
    r = api.client.post("/v1/ingest", content=ndjson_events(60), headers={**api.acme, **NDJSON})
    assert r.status_code == 200, r.text
    hook = api.client.post(
        "/v1/webhooks", json={"url": "https://hooks.example/a"}, headers=api.acme
    )
    assert hook.status_code == 201, hook.text
    refresh = api.client.post(ALICE + "/refresh", headers=api.acme)
    upload = api.client.post(ALICE + "/archive", content=b"PK\x03\x04xx", headers=api.acme | ZIP)
    assert refresh.status_code == upload.status_code == 202
    return Seeded(
        api,
        hook.json()["id"],
        hook.json()["secret"],
        (refresh.json()["job_id"], upload.json()["job_id"]),
    )


def _acme_data(api: Api) -> dict[str, Any]:
    return snapshot(api.redis, "rapport:{t:acme:*") | snapshot(api.redis, "rapport:{tenant:acme}*")


def _revoked_key(api: Api, url: str) -> str:
    async def make() -> str:
        client = Redis.from_url(url)
        try:
            key, record = await apikeys.create(client, "acme", now=NOW)
            assert await apikeys.revoke(client, record.key_id) is not None
            return key
        finally:
            await client.aclose()

    return asyncio.run(make())


ROUTES = sorted(CASES)


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_no_key_a_wrong_key_and_a_revoked_key_are_one_401(
    seeded: Seeded, redis_url: str, method: str, route: str
) -> None:
    api = seeded.api
    path, kwargs = CASES[(method, route)].request(seeded)
    extra = kwargs.pop("headers", {})
    before = _acme_data(api)
    credentials: list[dict[str, str]] = [
        {},
        {"Authorization": "Bearer"},
        {"Authorization": "Basic " + api.acme_key},
        {"Authorization": api.acme_key},
        bearer("rk_" + "0" * 40),
        bearer(api.acme_key + "x"),
        bearer(_revoked_key(api, redis_url)),
    ]
    for headers in credentials:
        r = api.client.request(method, path, headers={**extra, **headers}, **kwargs)
        assert r.status_code == 401, (headers, r.text)
        assert r.headers["content-type"] == "application/problem+json"
        assert r.headers["www-authenticate"].startswith("Bearer")
        assert all(s not in r.text for s in seeded.secrets(path))
    assert _acme_data(api) == before


@pytest.mark.parametrize(("method", "route"), ROUTES)
def test_another_tenants_key_sees_and_changes_nothing_of_the_first(
    seeded: Seeded, method: str, route: str
) -> None:
    api = seeded.api
    case = CASES[(method, route)]
    path, kwargs = case.request(seeded)
    before = _acme_data(api)
    extra = kwargs.pop("headers", {})
    r = api.client.request(method, path, headers={**extra, **api.rival}, **kwargs)
    assert r.status_code in case.rival, r.text
    assert all(s not in r.text for s in seeded.secrets(path))
    if r.status_code == 404:
        assert r.headers["content-type"] == "application/problem+json"
    if r.status_code == 200 and method == "GET":
        assert "alice" not in r.text  # rival tracks nothing: lists are empty
    assert _acme_data(api) == before
    # And the owner still sees its objects (the request above was not a no-op by accident).
    own = api.client.request(method, path, headers={**extra, **api.acme}, **kwargs)
    assert own.status_code < 500


BODY_ROUTES = [
    ("POST", "/v1/accounts"),
    ("POST", "/v1/scores/batch"),
    ("POST", "/v1/ingest"),
    ("POST", "/v1/accounts/{platform:str}/{account:str}/profiles"),
    ("POST", "/v1/webhooks"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
def test_an_oversized_body_is_413_problem_json(
    make_api: Callable[..., Api], method: str, path: str
) -> None:
    api = make_api(max_body_bytes=4096)
    body = b'{"accounts": [' + b" " * 8000 + b"]}"
    r = api.client.request(
        method,
        path.replace("{platform:str}/{account:str}", "mastodon/alice"),
        content=body,
        headers={**api.acme, "Content-Type": "application/json"},
    )
    assert r.status_code == 413, r.text
    assert r.headers["content-type"] == "application/problem+json"


def test_every_body_route_has_an_oversize_case() -> None:
    """The POST routes take a body: each is in BODY_ROUTES, or is the archive upload (its own
    cap, RAPPORT_UPLOAD_MAX_BYTES, tested in test_uploads) or takes no body (refresh)."""
    posts = {r for m, r in CASES if m == "POST"}
    own_cap = {
        "/v1/accounts/{platform:str}/{account:str}/archive",
        "/v1/accounts/{platform:str}/{account:str}/refresh",
    }
    assert posts == {p for _, p in BODY_ROUTES} | own_cap


# --- The account pages (`/ui`): a cookie holding the key, not a bearer header. Their own suite
# (tests/web) tests sign-in and CSRF; here every page is enumerated too, so a new page without
# a case fails, and each is tried without a session and with another tenant's session.

UI_PUBLIC = {
    ("GET", "/ui/sign-in"),
    ("POST", "/ui/sign-in"),
    ("GET", "/ui/static/{name:str}"),
}
UI_CASES: dict[tuple[str, str], Callable[[Seeded], str]] = {
    ("GET", "/ui"): lambda s: "/ui",
    ("POST", "/ui/sign-out"): lambda s: "/ui/sign-out",
    ("GET", "/ui/accounts"): lambda s: "/ui/accounts",
    ("GET", "/ui/accounts/{platform:str}/{account:str}"): lambda s: "/ui/accounts/mastodon/alice",
    ("GET", "/ui/upload"): lambda s: "/ui/upload",
    ("POST", "/ui/upload"): lambda s: "/ui/upload",
    ("GET", "/ui/jobs/{job_id:str}"): lambda s: f"/ui/jobs/{s.job_ids[0]}",
    ("GET", "/ui/jobs/{job_id:str}/state"): lambda s: f"/ui/jobs/{s.job_ids[0]}/state",
}


def test_every_page_has_a_case(api: Api) -> None:
    pages = {r for r in _app_routes(api) if COOKIE_UI.match(r[1])}
    assert pages == set(UI_CASES) | UI_PUBLIC, "a /ui page without a security case"


@pytest.mark.parametrize(("method", "route"), sorted(UI_CASES))
def test_a_page_without_a_session_shows_nothing_even_with_a_bearer_key(
    seeded: Seeded, method: str, route: str
) -> None:
    """No session cookie: a redirect to sign-in or a refusal. A bearer header is not a session
    (a page must never be reachable by a script holding an API key)."""
    api = seeded.api
    path = UI_CASES[(method, route)](seeded)
    before = _acme_data(api)
    r = api.client.request(method, path, headers=api.acme, follow_redirects=False)
    assert r.status_code in (303, 401, 403), r.text
    if r.status_code == 303:  # to sign in, or from `/ui` to the list (which sends to sign in)
        assert r.headers["location"] in ("/ui/sign-in", "/ui/accounts")
    assert all(s not in r.text for s in seeded.secrets(path))
    assert "alice" not in r.text
    assert _acme_data(api) == before


@pytest.mark.parametrize(("method", "route"), sorted(UI_CASES))
def test_another_tenants_session_sees_nothing_of_the_first(
    seeded: Seeded, method: str, route: str
) -> None:
    api = seeded.api
    path = UI_CASES[(method, route)](seeded)
    rival_key = api.rival["Authorization"].removeprefix("Bearer ")
    before = _acme_data(api)
    r = api.client.request(
        method, path, headers={"Cookie": f"rapport_key={rival_key}"}, follow_redirects=False
    )
    assert r.status_code < 500, r.text
    assert all(s not in r.text for s in seeded.secrets(path))
    if "{" in route:  # a page of one of acme's objects: as if it did not exist
        assert r.status_code == 404, r.text
    elif method == "GET":
        assert "mastodon/alice" not in r.text
    assert _acme_data(api) == before
