"""The layer that answers cached score documents before routing: the same answer as litestar's,
only when every condition holds, one rate-limit count per request, and never another tenant's
bytes. Unit tests drive the layer with a recording inner app; the rest goes through the app."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from rapport.api.auth import RATE_LIMIT_COUNTED
from rapport.api.cached_scores import SCORE_ROUTE, serve_cached_scores
from rapport.api.observability import Metrics
from rapport.api.state import Services, services_of
from rapport.metric import MetricConfig
from rapport.settings import Settings
from rapport.storage.records import ApiKeyRecord
from tests.api.conftest import NDJSON, Api, ndjson_events
from tests.deadlines import wait_until

SCORE = "/v1/accounts/mastodon/alice/score"


def _loaded(api: Api) -> Api:
    services = services_of(api.client.app.state)
    wait_until(lambda: services.score_cache.live, "cache subscribed")
    r = api.client.post("/v1/ingest", content=ndjson_events(60), headers={**api.acme, **NDJSON})
    assert r.status_code == 200
    return api


@pytest.fixture
def loaded(make_api: Callable[..., Api]) -> Api:
    return _loaded(make_api())


def _without_request_id(headers: Any) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k != "x-request-id"}


def test_the_answer_in_front_of_the_router_is_litestars_answer(loaded: Api) -> None:
    services = services_of(loaded.client.app.state)
    routed = loaded.client.get(SCORE, headers=loaded.acme)  # fills the cache
    hits = services.score_cache.hits
    served = loaded.client.get(SCORE, headers=loaded.acme)
    assert services.score_cache.hits == hits + 1
    assert served.status_code == routed.status_code == 200
    assert served.content == routed.content
    assert _without_request_id(served.headers) == _without_request_id(routed.headers)
    assert served.headers["x-request-id"] != routed.headers["x-request-id"]


def test_it_is_logged_and_counted_under_the_route(loaded: Api) -> None:
    for _ in range(3):
        loaded.client.get(SCORE, headers=loaded.acme)
    text = loaded.client.get("/metrics").text
    line = f'rapport_http_requests_total{{method="GET",route="{SCORE_ROUTE}",status="200"}} 3.0'
    assert line in text


def test_each_request_counts_once_against_the_rate_limit(make_api: Callable[..., Api]) -> None:
    api = _loaded(make_api(rate_limit_per_minute=5))  # the ingest was request 1
    codes = [api.client.get(SCORE, headers=api.acme).status_code for _ in range(5)]
    assert codes == [200, 200, 200, 200, 429]
    refused = api.client.get(SCORE, headers=api.acme)
    assert refused.status_code == 429
    assert refused.headers["content-type"] == "application/problem+json"
    assert int(refused.headers["retry-after"]) >= 1


def test_cors_answers_stay_litestars(make_api: Callable[..., Api]) -> None:
    api = _loaded(make_api(cors_origins="https://app.example"))
    origin = {**api.acme, "Origin": "https://app.example"}
    for _ in range(2):
        r = api.client.get(SCORE, headers=origin)
        assert r.headers["access-control-allow-origin"] == "https://app.example"


def test_another_tenant_is_routed_and_gets_the_404(loaded: Api) -> None:
    loaded.client.get(SCORE, headers=loaded.acme)
    loaded.client.get(SCORE, headers=loaded.acme)
    r = loaded.client.get(SCORE, headers=loaded.rival)
    assert r.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"


# --- the layer alone ---


class _Inner:
    """The app behind the layer: records what reached it."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.scopes.append(scope)


class _FakeLimiter:
    def __init__(self, retry: int | None) -> None:
        self.retry = retry
        self.hits = 0

    async def hit(self, redis: object, key_id: str, *, now: float) -> int | None:
        self.hits += 1
        return self.retry


def _services(retry: int | None = None) -> Services:
    """Real services with a verified key `secret` of tenant acme and alice's document cached."""
    services = Services(Settings(), MetricConfig(), Metrics(), None, clock=lambda: 100.0)
    services.redis = object()  # type: ignore[assignment]  # never used: the limiter is faked
    services.limiter = _FakeLimiter(retry)  # type: ignore[assignment]
    record = ApiKeyRecord(key_id="k1", tenant="acme", sha256="-", created_at=0.0)
    services.key_cache[hashlib.sha256(b"secret").hexdigest()] = (record, 105.0)
    cache = services.score_cache
    cache.live = True
    cache.put_document(("acme", "mastodon", "alice"), cache.mark(), b'{"score":1}', now=100.0)
    return services


def _scope(**overrides: Any) -> dict[str, Any]:
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": SCORE,
        "query_string": b"",
        "headers": [(b"authorization", b"Bearer secret")],
    }
    scope.update(overrides)
    return scope


def _drive(services: Services, scope: dict[str, Any]) -> tuple[_Inner, list[dict[str, Any]]]:
    inner = _Inner()
    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def receive() -> dict[str, Any]:
        raise AssertionError("the layer never reads a body")

    asyncio.run(serve_cached_scores(services)(inner)(scope, receive, send))  # type: ignore[arg-type]
    return inner, sent


def test_a_hit_is_answered_without_the_app() -> None:
    services = _services()
    inner, sent = _drive(services, scope := _scope())
    assert inner.scopes == []
    assert sent[0]["status"] == 200
    assert sent[0]["headers"] == [
        (b"content-type", b"application/json"),
        (b"content-length", b"11"),
    ]
    assert sent[1]["body"] == b'{"score":1}'
    assert scope["path_template"] == SCORE_ROUTE
    assert scope["auth"].tenant == "acme"
    assert services.limiter.hits == 1  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "overrides",
    [
        {"method": "HEAD"},
        {"method": "POST"},
        {"type": "websocket"},
        {"query_string": b"top=20"},
        {"path": "/v1/accounts/mastodon/alice/score/history"},
        {"path": "/v1/accounts/mastodon/alice/"},
        {"path": "/v2/accounts/mastodon/alice/score"},
        {"path": "/v1/accounts/mastodon/bob/score"},  # not cached
        {"path": "/v1/accounts/x/alice/score"},
        {"path": "/v1/accounts//alice/score"},
        {"headers": [(b"authorization", b"Bearer secret"), (b"origin", b"https://a.example")]},
        {"headers": [(b"authorization", b"Bearer other")]},  # not verified here
        {"headers": [(b"authorization", b"Basic secret")]},
        {"headers": []},
    ],
)
def test_anything_else_goes_on_to_the_app_uncounted(overrides: dict[str, Any]) -> None:
    services = _services()
    inner, sent = _drive(services, _scope(**overrides))
    assert len(inner.scopes) == 1
    assert sent == []
    assert RATE_LIMIT_COUNTED not in inner.scopes[0]
    assert services.limiter.hits == 0  # type: ignore[attr-defined]


def test_another_tenants_verified_key_never_gets_the_bytes() -> None:
    services = _services()

    rival = ApiKeyRecord(key_id="k2", tenant="rival", sha256="-", created_at=0.0)
    services.key_cache[hashlib.sha256(b"rival").hexdigest()] = (rival, 105.0)
    inner, sent = _drive(services, _scope(headers=[(b"authorization", b"Bearer rival")]))
    assert len(inner.scopes) == 1
    assert sent == []


def test_an_expired_key_verification_or_a_dead_subscription_goes_on() -> None:
    services = _services()
    services.clock = lambda: 106.0  # the key was verified until 105
    inner, _ = _drive(services, _scope())
    assert len(inner.scopes) == 1
    services = _services()
    services.score_cache.live = False
    inner, _ = _drive(services, _scope())
    assert len(inner.scopes) == 1


def test_a_spent_budget_goes_on_marked_as_counted() -> None:
    services = _services(retry=17)
    inner, sent = _drive(services, _scope())
    assert sent == []
    assert inner.scopes[0][RATE_LIMIT_COUNTED] == 17
    assert services.limiter.hits == 1  # type: ignore[attr-defined]
