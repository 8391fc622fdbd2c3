"""Hostile JSON bodies on every route that can take one, enumerated from the app itself (a new
route is covered without editing this file): JSON nested 1,000 and 100,000 deep, a body over
the size limit, invalid and truncated JSON, as `application/json` and as JSON Lines. Each is a
4xx RFC 9457 problem+json, never a 500 (a 1,000-deep body was a 500: msgspec raised
`RecursionError` while decoding it)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.api.conftest import Api

#: Values for path parameters: the tenant's own seeded names, or a name that does not exist.
_PARAMETERS = {"platform": "mastodon", "account": "alice"}
_PARAMETER = re.compile(r"\{(?P<name>\w+)(?::\w+)?\}")
_BODY_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
#: The account pages take forms and answer people with pages (tests/web); the rest is the API.
_PAGES = re.compile(r"^/ui(/.*)?$")
_MAX_BODY = 64 * 1024


def _nested(depth: int) -> bytes:
    return b'{"a":' * depth + b"1" + b"}" * depth


BODIES: dict[str, bytes] = {
    "arrays-1000-deep": b"[" * 1000 + b"]" * 1000,
    "objects-1000-deep": _nested(1000),
    "arrays-100000-deep": b"[" * 100_000 + b"]" * 100_000,
    "inside-a-field-1000-deep": b'{"platform": "mastodon", "account": '
    + b"[" * 1000
    + b"]" * 1000
    + b"}",
    "unclosed-1000-deep": b"[" * 1000,
    "over-the-size-limit": b"[" + b"0," * (_MAX_BODY // 2) + b"0]",
    "invalid": b'{"platform": mastodon}',
    "truncated": b'{"platform": "masto',
    "not-utf8": b'{"platform": "\xff\xfe"}',
    "empty": b"",
}
CONTENT_TYPES = ("application/json", "application/x-ndjson")


def _body_routes(api: Api) -> list[tuple[str, str]]:
    found = set()
    for route in api.client.app.routes:
        for method in getattr(route, "methods", ()):
            if method in _BODY_METHODS:
                found.add((method, route.path))
    return sorted(found)


def _url(path: str) -> str:
    return _PARAMETER.sub(lambda m: _PARAMETERS.get(m["name"], "no-such-" + m["name"]), path)


@pytest.fixture
def small_api(make_api: Callable[..., Api]) -> Api:
    return make_api(max_body_bytes=_MAX_BODY)


def test_the_routes_are_found(small_api: Api) -> None:
    """The enumeration finds the body routes the review named (it is not vacuous)."""
    routes = _body_routes(small_api)
    for expected in ("/v1/accounts", "/v1/scores/batch", "/v1/webhooks", "/v1/ingest"):
        assert ("POST", expected) in routes


@pytest.mark.parametrize("content_type", CONTENT_TYPES)
@pytest.mark.parametrize("shape", sorted(BODIES))
def test_no_body_reaches_a_500(small_api: Api, shape: str, content_type: str) -> None:
    body = BODIES[shape]
    answers = {}
    for method, path in _body_routes(small_api):
        r = small_api.client.request(
            method,
            _url(path),
            content=body,
            headers={**small_api.acme, "Content-Type": content_type},
        )
        answers[(method, path)] = r.status_code
        assert r.status_code < 500, (method, path, r.status_code, r.text[:300])
        if _PAGES.match(path):
            continue
        if r.status_code >= 400:
            assert r.headers["content-type"] == "application/problem+json", (method, path)
            problem = r.json()
            assert problem["status"] == r.status_code
            assert "Traceback" not in r.text
    assert answers
