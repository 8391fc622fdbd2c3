"""Authentication (`Authorization: Bearer <key>`) and per-key rate limiting.

The key's tenant becomes `request.auth`; handlers get it through the `tenant` dependency and
every storage call is scoped by it. A missing, malformed, unknown or revoked key is one and the
same 401, so the answer tells nothing about which keys exist. Keys are never read from the URL.

A verified key is cached in-process for `KEY_CACHE_TTL` seconds (keyed by its SHA-256, never by
the plaintext) to save a Redis round trip per request; revocation therefore takes effect within
that many seconds.
"""

from __future__ import annotations

import hashlib
from typing import Any

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from service.api.problems import RateLimitedError
from service.api.state import services_of
from service.storage import apikeys, ratelimit

__all__ = ["KEY_CACHE_TTL", "PUBLIC_PATHS", "BearerKeyMiddleware"]

KEY_CACHE_TTL = 5.0
#: Routes that need no key: liveness, readiness, metrics and the OpenAPI document.
PUBLIC_PATHS = ["^/healthz$", "^/readyz$", "^/metrics$", "^/schema"]
_CACHE_MAX = 10_000


class BearerKeyMiddleware(AbstractAuthenticationMiddleware):
    async def authenticate_request(
        self, connection: ASGIConnection[Any, Any, Any, Any]
    ) -> AuthenticationResult:
        services = services_of(connection.app.state)
        header = connection.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        key = key.strip()
        if scheme.lower() != "bearer" or not key:
            raise NotAuthorizedException(
                "missing API key: send `Authorization: Bearer <key>`",
                headers={"WWW-Authenticate": 'Bearer realm="rapport"'},
            )
        now = services.clock()
        digest = hashlib.sha256(key.encode()).hexdigest()
        cached = services.key_cache.get(digest)
        if cached is not None and cached[1] > now:
            record = cached[0]
        else:
            found = await apikeys.authenticate(services.db, key)
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
        retry_after = await ratelimit.hit(
            services.db,
            record.key_id,
            limit=services.settings.rate_limit_per_minute,
            now=now,
        )
        if retry_after is not None:
            raise RateLimitedError(
                f"rate limit of {services.settings.rate_limit_per_minute} requests per minute "
                "for this key exceeded",
                headers={"Retry-After": str(retry_after)},
            )
        return AuthenticationResult(user=record.tenant, auth=record)
