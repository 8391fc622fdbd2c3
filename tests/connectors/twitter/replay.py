"""Replaying recorded X API v2 responses through `httpx.MockTransport` (no server, no port).

A recording is the `decoded/` shape: `[{request: {method, uri}, response: {status, headers,
json}}]`. A request matches a recording when the paths are equal and the request's query holds
every parameter of the recorded URI; a request that carries `pagination_token` only matches a
recording made with that token (so a page-two request never gets page one again). The
recording with the most matching parameters wins, then the one loaded last (so a hand-made
variant can replace a real one). Anything unmatched is a 404 naming the request, which fails
the test that made it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.connectors.twitter.helpers import TWITTER

REAL = TWITTER / "decoded"
HANDMADE_API = TWITTER / "handmade" / "api"


@dataclass(frozen=True)
class Recording:
    method: str
    path: str
    params: dict[str, str]
    status: int
    headers: dict[str, str]
    body: Any


def load(path: Path) -> list[Recording]:
    recordings = []
    for entry in json.loads(path.read_text(encoding="utf-8")):
        url = httpx.URL(entry["request"]["uri"])
        response = entry["response"]
        recordings.append(
            Recording(
                method=entry["request"]["method"],
                path=url.path,
                params=dict(url.params),
                status=response["status"],
                headers=dict(response["headers"]),
                body=response["json"],
            )
        )
    return recordings


class Replay:
    def __init__(self, *files: Path) -> None:
        self.recordings = [r for file in files for r in load(file)]
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        query = dict(request.url.params)
        candidates = []
        for order, rec in enumerate(self.recordings):
            if rec.method != request.method or rec.path != request.url.path:
                continue
            if any(query.get(k) != v for k, v in rec.params.items()):
                continue
            if "pagination_token" in query and "pagination_token" not in rec.params:
                continue
            candidates.append((len(rec.params), order, rec))
        if not candidates:
            return httpx.Response(
                404, json={"title": f"no recording for {request.method} {request.url.path}"}
            )
        rec = max(candidates, key=lambda c: (c[0], c[1]))[2]
        return httpx.Response(rec.status, headers=rec.headers, json=rec.body)

    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


def real(*names: str) -> list[Path]:
    return [REAL / f"test_client_get_{n}.json" for n in names]


#: The real recordings for @Twitter (id 783214) and the hand-made later pages they lack.
def full_replay(*extra: Path) -> Replay:
    return Replay(
        *real("user", "users_tweets", "users_mentions", "users_followers", "users_following"),
        *real("liking_users", "retweeters"),
        REAL / "test_manage_and_lookup_direct_messages.json",
        HANDMADE_API / "tweets_page2_with_fields.json",
        HANDMADE_API / "quote_tweets_with_fields.json",
        HANDMADE_API / "mentions_page2_with_fields.json",
        HANDMADE_API / "followers_page2_last.json",
        *extra,
    )
