"""Cached score documents answered in front of the router.

Why: `GET /v1/accounts/{platform}/{account}/score` is the API's hot path, and once its bytes
are in the score cache (`rapport.api.score_cache`) what is left is litestar's routing, path and
query parsing, dependency injection and response objects: about 25 µs a request, more than
half of what the request costs the server. This layer answers a request that would certainly
be a cache hit without them, like a cache in front of an application server.

It answers only when every condition holds, and otherwise passes the request on untouched, so
litestar gives every other answer (errors, 401, 404, misses, CORS) exactly as before:

- `GET` of exactly `/v1/accounts/<platform>/<account>/score`, no query string, no `Origin`
  header (CORS stays litestar's);
- a bearer key this process verified less than `KEY_CACHE_TTL` ago (the key's tenant names
  the cache entry, so a tenant only ever gets its own account's bytes);
- the score cache holds the document for (tenant, platform, account), which only the
  score route itself puts there, after its own checks;
- the key's rate limit allows the request. It is counted here once; when the budget is spent
  the request goes on to litestar marked as counted, which answers the usual 429.

The response has the same status, headers and body as litestar's (tests/api/
test_cached_scores.py compares them), and the observability layer around it logs and counts
it under the route's template.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

from rapport.api.auth import RATE_LIMIT_COUNTED, bearer_key, key_digest, recently_verified
from rapport.api.state import Services
from rapport.storage.records import ApiKeyRecord

__all__ = ["SCORE_ROUTE", "serve_cached_scores"]

#: The route template this layer answers (as litestar names it in metrics and logs).
SCORE_ROUTE = "/v1/accounts/{platform}/{account}/score"
_JSON = b"application/json"


def _has_origin(scope: Scope) -> bool:
    return any(name == b"origin" for name, _ in scope["headers"])


def _score_path(scope: Scope) -> tuple[str, str] | None:
    """(platform, account) of a plain `GET /v1/accounts/<platform>/<account>/score`."""
    if scope["type"] != ScopeType.HTTP or scope["method"] != "GET" or scope["query_string"]:
        return None
    parts = scope["path"].split("/")  # ["", "v1", "accounts", platform, account, "score"]
    if len(parts) != 6 or parts[5] != "score" or parts[2] != "accounts" or parts[1] != "v1":
        return None
    if not parts[3] or not parts[4] or _has_origin(scope):
        return None
    return parts[3], parts[4]


def serve_cached_scores(services: Services) -> Callable[[ASGIApp], ASGIApp]:
    """An ASGI wrapper factory: `serve_cached_scores(services)(app)`."""

    def wrap(app: ASGIApp) -> ASGIApp:
        cache = services.score_cache

        def cached(scope: Scope, now: float) -> tuple[bytes, ApiKeyRecord] | None:
            target = _score_path(scope) if cache.live else None
            raw_key = None if target is None else bearer_key(scope)
            record = (
                None if raw_key is None else recently_verified(services, key_digest(raw_key), now)
            )
            if target is None or record is None:
                return None
            body = cache.document((record.tenant, *target), now, count_miss=False)
            return None if body is None else (body, record)

        async def cached_scores(scope: Scope, receive: Receive, send: Send) -> None:
            now = services.clock()
            hit = cached(scope, now)
            if hit is not None:
                body, record = hit
                retry = await services.limiter.hit(services.db, record.key_id, now=now)
                if retry is None:
                    scope["path_template"] = SCORE_ROUTE
                    scope["auth"] = record
                    await send(
                        {
                            "type": "http.response.start",
                            "status": 200,
                            "headers": [
                                (b"content-type", _JSON),
                                (b"content-length", str(len(body)).encode()),
                            ],
                        }
                    )
                    await send({"type": "http.response.body", "body": body, "more_body": False})
                    return
                scope[RATE_LIMIT_COUNTED] = retry  # type: ignore[literal-required]
            await app(scope, receive, send)

        return cached_scores

    return wrap
