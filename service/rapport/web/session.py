"""Who is signed in to the web pages, and the CSRF token of their forms.

The API key is kept in an HttpOnly, SameSite=Strict cookie scoped to `/ui` (Secure when the
page is served over https, or when `RAPPORT_UI_SECURE_COOKIES` is set), so page scripts cannot
read it and no other site can send it. It is verified on every request with the same function
as the API's bearer keys (`rapport.storage.apikeys.authenticate`), so a revoked key signs the
page out at once, and it counts against the same per-key rate limit. It is never in a URL.

CSRF: double submit. A random token lives in a second cookie and in a hidden field of every
form; a POST whose field does not match its cookie is refused. SameSite=Strict already keeps
other sites' forms from carrying the key; the token also covers the sign-in form itself.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Any

from litestar import Request, Response
from litestar.datastructures import Cookie

from rapport.api.auth import enforce_rate_limit
from rapport.api.state import services_of
from rapport.storage import apikeys
from rapport.storage.records import ApiKeyRecord

__all__ = [
    "CSRF_COOKIE",
    "CSRF_FIELD",
    "KEY_COOKIE",
    "csrf_cookie",
    "csrf_token",
    "csrf_valid",
    "key_cookie",
    "signed_in",
    "signed_out_cookies",
]

KEY_COOKIE = "rapport_key"
CSRF_COOKIE = "rapport_csrf"
CSRF_FIELD = "csrf_token"
_PATH = "/ui"


def _secure(request: Request[Any, Any, Any]) -> bool:
    """Secure over https, and always when the operator says TLS ends at a proxy in front."""
    settings = services_of(request.app.state).settings
    return request.url.scheme == "https" or settings.ui_secure_cookies


def key_cookie(request: Request[Any, Any, Any], key: str) -> Cookie:
    """The session cookie: the key itself, unreadable from scripts, sent only by this site."""
    return Cookie(
        key=KEY_COOKIE,
        value=key,
        path=_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def csrf_token(request: Request[Any, Any, Any]) -> str:
    """The request's CSRF token: the cookie's, or a new one (set it with `csrf_cookie`)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    return token if len(token) == 43 else secrets.token_urlsafe(32)


def csrf_cookie(request: Request[Any, Any, Any], token: str) -> Cookie:
    return Cookie(
        key=CSRF_COOKIE,
        value=token,
        path=_PATH,
        httponly=True,
        samesite="strict",
        secure=_secure(request),
    )


def csrf_valid(request: Request[Any, Any, Any], submitted: object) -> bool:
    """True when the form's token matches the cookie's (compared in constant time)."""
    cookie = request.cookies.get(CSRF_COOKIE, "")
    if not cookie or not isinstance(submitted, str) or not submitted:
        return False
    return hmac.compare_digest(cookie.encode(), submitted.encode())


def signed_out_cookies(request: Request[Any, Any, Any]) -> list[Cookie]:
    """Cookies that delete the session (the CSRF token goes too)."""
    return [
        Cookie(
            key=name,
            value="",
            path=_PATH,
            max_age=0,
            httponly=True,
            samesite="strict",
            secure=_secure(request),
        )
        for name in (KEY_COOKIE, CSRF_COOKIE)
    ]


async def signed_in(request: Request[Any, Any, Any]) -> ApiKeyRecord | None:
    """The record of the key in the session cookie, if it is a valid, unrevoked key; the same
    per-key rate limit as the API applies (429 past it)."""
    key = request.cookies.get(KEY_COOKIE)
    if not key:
        return None
    services = services_of(request.app.state)
    record = await apikeys.authenticate(services.db, key)
    if record is None:
        return None
    request.scope["user"] = record.tenant  # the request log line names the tenant, as on /v1
    now = services.clock()
    await enforce_rate_limit(services, record.key_id, now)
    return record


def with_cookies(response: Response[Any], cookies: list[Cookie]) -> Response[Any]:
    for cookie in cookies:
        response.set_cookie(cookie)
    return response
