"""Authentication (`Authorization: Bearer <key>`) and per-key rate limiting.

Every route but `/healthz`, `/readyz`, `/metrics` and `/schema*` needs a key. The key's record
becomes `request.auth`; handlers get its tenant through the `ctx` dependency, and every storage
call is scoped by it. A missing, malformed, unknown or revoked key is one and the
same 401, so the answer tells nothing about which keys exist. Keys are never read from the URL.

A verified key is cached in-process for `KEY_CACHE_TTL` seconds (keyed by its SHA-256, never by
the plaintext) to save a Redis round trip per request; revocation therefore takes effect within
that many seconds.
"""

from __future__ import annotations

import hashlib

from litestar import Litestar
from litestar.enums import ScopeType
from litestar.exceptions import NotAuthorizedException
from litestar.types import ASGIApp, Receive, Scope, Send

from rapport.api.problems import RateLimitedError
from rapport.api.state import Services, services_of
from rapport.storage import apikeys
from rapport.storage.records import ApiKeyRecord

__all__ = [
    "KEY_CACHE_TTL",
    "RATE_LIMIT_COUNTED",
    "BearerKeyMiddleware",
    "bearer_key",
    "enforce_rate_limit",
    "key_digest",
    "recently_verified",
]

KEY_CACHE_TTL = 5.0
_CACHE_MAX = 10_000


async def enforce_rate_limit(services: Services, key_id: str, now: float) -> None:
    """Count one request against the key's per-minute budget; 429 with Retry-After past it.
    The API and the account pages share this, so a key has one budget wherever it is used."""
    _refuse_if_limited(services, await services.limiter.hit(services.db, key_id, now=now))


def _refuse_if_limited(services: Services, retry_after: int | None) -> None:
    if retry_after is not None:
        limit = services.settings.rate_limit_per_minute
        raise RateLimitedError(
            f"rate limit of {limit} requests per minute for this key exceeded",
            headers={"Retry-After": str(retry_after)},
        )


def _is_public(path: str) -> bool:
    """Probes, scrapers and readers of the OpenAPI document have no key."""
    return path in _PUBLIC_EXACT or path.startswith("/schema")


_PUBLIC_EXACT = frozenset({"/healthz", "/readyz", "/metrics"})


def _missing() -> NotAuthorizedException:
    return NotAuthorizedException(
        "missing API key: send `Authorization: Bearer <key>`",
        headers={"WWW-Authenticate": 'Bearer realm="rapport"'},
    )


def bearer_key(scope: Scope) -> bytes | None:
    """The raw key of an `Authorization: Bearer <key>` header, or None."""
    header = b""
    for name, value in scope["headers"]:
        if name == b"authorization":
            header = value
            break
    scheme, _, raw_key = header.partition(b" ")
    raw_key = raw_key.strip()
    if scheme.lower() != b"bearer" or not raw_key:
        return None
    return raw_key


def key_digest(raw_key: bytes) -> str:
    """What names a key in this process's caches (never the plaintext)."""
    return hashlib.sha256(raw_key).hexdigest()


def recently_verified(services: Services, digest: str, now: float) -> ApiKeyRecord | None:
    """The record of the key with this `key_digest` if this process verified it less than
    `KEY_CACHE_TTL` ago."""
    cached = services.key_cache.get(digest)
    if cached is not None and cached[1] > now:
        return cached[0]
    return None


#: Set in the scope by a layer that already counted the request against its key's budget
#: (`rapport.api.cached_scores`): the value is what the count said (None: allowed).
RATE_LIMIT_COUNTED = "rapport.rate_limit_counted"


class BearerKeyMiddleware:
    """Plain ASGI middleware (litestar runs it inside its exception handling, so the errors it
    raises become problem+json). It reads the raw header list instead of building a
    connection object: it runs on every request."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP or _is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        raw_key = bearer_key(scope)
        if raw_key is None:
            raise _missing()
        try:
            key = raw_key.decode("ascii")
        except UnicodeDecodeError:
            raise _missing() from None
        services = services_of(Litestar.from_scope(scope).state)
        now = services.clock()
        digest = key_digest(raw_key)
        record = recently_verified(services, digest, now)
        if record is None:
            found = await services.key_loads.run(
                digest, lambda: apikeys.authenticate(services.db, key)
            )
            if found is None:
                services.key_cache.pop(digest, None)
                raise NotAuthorizedException(
                    "invalid API key",
                    headers={"WWW-Authenticate": 'Bearer realm="rapport", error="invalid_token"'},
                )
            record = found
            if len(services.key_cache) >= _CACHE_MAX:
                services.key_cache.clear()
            services.key_cache[digest] = (record, now + KEY_CACHE_TTL)
        if RATE_LIMIT_COUNTED in scope:
            _refuse_if_limited(services, scope[RATE_LIMIT_COUNTED])  # type: ignore[literal-required]
        else:
            await enforce_rate_limit(services, record.key_id, now)
        scope["user"] = record.tenant
        scope["auth"] = record
        await self.app(scope, receive, send)
