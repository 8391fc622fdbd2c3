"""Replay recorded Mastodon responses over HTTP, through the real shared HTTP layer.

The vcrpy cassettes in tests/fixtures/mastodon/cassettes/ are parsed (PyYAML) into
(method, URL, status, headers, body) records; an `httpx.MockTransport` routes each request by
method, path and query to one of them. `limit`, `types[]` and `since_id` are ignored when
routing: the recordings were made with other page sizes and filters, and what is under test is
how the connector reads the server's answers (bodies, `Link`, `X-RateLimit-*`), not how the
server filters. A request with no route fails the test (the replay is strict).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "mastodon"
_IGNORED_PARAMS = frozenset({"limit", "types[]", "since_id"})
# Hop-by-hop and encoding headers do not survive a replay: the body is stored decoded.
_DROPPED_HEADERS = frozenset({"content-length", "content-encoding", "transfer-encoding"})


@dataclass(frozen=True)
class Recorded:
    method: str
    url: httpx.URL
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def load_cassette(name: str) -> list[Recorded]:
    """Every interaction of a cassette, in recording order."""
    data = yaml.safe_load((FIXTURES / "cassettes" / name).read_text())
    records = []
    for item in data["interactions"]:
        request, response = item["request"], item["response"]
        headers = tuple(
            (key, value)
            for key, values in response["headers"].items()
            if key.lower() not in _DROPPED_HEADERS
            for value in values
        )
        body = response["body"]["string"]
        records.append(
            Recorded(
                method=request["method"],
                url=httpx.URL(request["uri"]),
                status=response["status"]["code"],
                headers=headers,
                body=body.encode() if isinstance(body, str) else body,
            )
        )
    return records


def recorded(cassette: str, method: str, path: str, query: str | None = None) -> Recorded:
    """The one recorded response of `cassette` for `method path[?query]`."""
    for record in load_cassette(cassette):
        same_query = query is None or record.url.query.decode() == query
        if record.method == method and record.url.path == path and same_query:
            return record
    raise LookupError(f"{cassette} has no {method} {path}?{query}")


def variant(name: str) -> Any:
    """A hand-made variant from tests/fixtures/mastodon/api/ (see derive_variants.py)."""
    return json.loads((FIXTURES / "api" / name).read_text())


@dataclass(frozen=True)
class _Answer:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def _key(method: str, url: httpx.URL) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    query = tuple(sorted((k, v) for k, v in url.params.multi_items() if k not in _IGNORED_PARAMS))
    return method, url.path, query


@dataclass
class Replay:
    """Routes requests to recorded responses; `requests` keeps what was asked, in order."""

    routes: dict[tuple[str, str, tuple[tuple[str, str], ...]], _Answer] = field(
        default_factory=dict
    )
    requests: list[httpx.Request] = field(default_factory=list)

    def add(self, record: Recorded, *, url: str | None = None) -> None:
        """Serve `record` for its own URL, or for `url` (re-keyed: e.g. the same empty
        follower list recorded for another account id of the same server)."""
        target = httpx.URL(url) if url else record.url
        self.routes[_key(record.method, target)] = _Answer(
            record.status, record.headers, record.body
        )

    def add_json(
        self,
        url: str,
        body: Any,
        *,
        status: int = 200,
        headers: list[tuple[str, str]] | None = None,
        method: str = "GET",
    ) -> None:
        """Serve a hand-made body (with hand-made headers)."""
        self.routes[_key(method, httpx.URL(url))] = _Answer(
            status,
            (("content-type", "application/json; charset=utf-8"), *(headers or [])),
            json.dumps(body).encode(),
        )

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.routes.get(_key(request.method, request.url))
        if answer is None:
            raise AssertionError(f"unexpected request: {request.method} {request.url}")
        return httpx.Response(answer.status, headers=list(answer.headers), content=answer.body)

    def paths(self) -> list[str]:
        return [
            r.url.path + (f"?{r.url.query.decode()}" if r.url.query else "") for r in self.requests
        ]
