"""`POST /v1/accounts/{platform}/{account}/profiles`: real profiles (the Mastodon connector's
reading of a recorded Mastodon server) change the score exactly as the metric says; the body is
all or nothing with errors naming the line or item and the field; the account must be the
caller's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import msgspec
import pytest

from rapport.metric import MetricConfig, score_events
from rapport.metric.table import AccountEvents
from rapport.model import AccountRef, Interaction, Profile
from rapport.storage.profiles import MAX_COUNT
from tests.api.conftest import NDJSON, Api, ndjson_events, snapshot
from tests.connectors.mastodon.test_api import EGO, run, scenario

JSON = {"Content-Type": "application/json"}
#: The day after the recorded server's interactions: they are recent, as in a live refresh.
LIVE = datetime(2026, 8, 2, tzinfo=UTC).timestamp()
PATH = f"/v1/accounts/mastodon/{EGO}"


def _recorded() -> tuple[list[Interaction], list[Profile]]:
    """The events and profiles the Mastodon connector reads from the recorded server."""
    pages = run(scenario())
    events = [i for page in pages for i in page.interactions]
    profiles = {p.account: p for page in pages for p in page.profiles}
    return events, list(profiles.values())


def _lines(records: Iterable[msgspec.Struct]) -> bytes:
    return b"".join(msgspec.json.encode(r) + b"\n" for r in records)


def _array(records: Iterable[msgspec.Struct]) -> bytes:
    return msgspec.json.encode(list(records))


def _ingest(api: Api, events: list[Interaction]) -> None:
    r = api.client.post("/v1/ingest", content=_lines(events), headers={**api.acme, **NDJSON})
    assert r.status_code == 200, r.text


def _score(api: Api) -> dict[str, Any]:
    r = api.client.get(PATH + "/score", headers=api.acme)
    assert r.status_code == 200, r.text
    document: dict[str, Any] = r.json()
    return document


def _history_len(api: Api) -> int:
    return len(api.client.get(PATH + "/score/history", headers=api.acme).json()["history"])


def test_real_profiles_make_authenticity_measurable_as_the_metric_says(api: Api) -> None:
    api.clock.now = LIVE
    events, profiles = _recorded()
    _ingest(api, events)
    config = MetricConfig()
    before = _score(api)  # also puts the score in this process's cache
    assert before["components"]["authenticity"]["measurable"] is False  # no profile known

    r = api.client.post(
        PATH + "/profiles", content=_lines(profiles), headers={**api.acme, **NDJSON}
    )
    assert r.status_code == 200, r.text
    assert r.json()["stored"] == len(profiles) == 3

    # Both counterparts (admin, mastodonpy_test_2) are accounts created the day of their first
    # contact, with the default avatar and under `few_followers` followers: flagged, so none of
    # the attention the ego received counts as authentic.
    after = _score(api)
    assert after["components"]["authenticity"]["value"] == 0.0
    assert after["score"] == r.json()["score"] < before["score"]
    assert _history_len(api) == 2

    bucket = AccountEvents(AccountRef("mastodon", EGO))
    for event in events:
        bucket.add(event)
    known = {p.account: p for p in profiles}
    direct = score_events(
        bucket, as_of=LIVE, config=config, profiles=known, ego_profile=known.pop(EGO)
    )
    assert r.json()["score"] == pytest.approx(direct.score, abs=1e-9)
    assert direct.components["authenticity"].value == 0.0
    fired = {rel["counterpart"]: rel["rules_fired"] for rel in after["relationships"]}
    assert fired == {rel.counterpart: rel.rules_fired for rel in direct.relationships}
    assert fired == {name: ["few_followers", "default_profile", "new_account"] for name in known}


def test_a_json_array_stores_what_json_lines_store(api: Api) -> None:
    api.clock.now = LIVE
    events, profiles = _recorded()
    _ingest(api, events)
    lines = api.client.post(
        PATH + "/profiles", content=_lines(profiles), headers={**api.acme, **NDJSON}
    ).json()
    stored = snapshot(api.redis, "rapport:{t:acme:*}:profiles")
    api.redis.delete(*stored)
    array = api.client.post(
        PATH + "/profiles", content=_array(profiles), headers={**api.acme, **JSON}
    )
    assert array.status_code == 200, array.text
    assert array.json() == lines
    assert snapshot(api.redis, "rapport:{t:acme:*}:profiles") == stored


@pytest.fixture
def tracked(api: Api) -> Api:
    """acme tracks mastodon/alice, scored from events, with one profile stored."""
    api.client.post("/v1/ingest", content=ndjson_events(40), headers={**api.acme, **NDJSON})
    first = Profile(platform="mastodon", account="friend0", followers_count=10)
    r = api.client.post(
        "/v1/accounts/mastodon/alice/profiles",
        content=_lines([first]),
        headers={**api.acme, **NDJSON},
    )
    assert r.status_code == 200, r.text
    return api


def _friends(count: int) -> list[bytes]:
    return [
        msgspec.json.encode(Profile(platform="mastodon", account=f"friend{i}", bio="rust, tea"))
        for i in range(count)
    ]


@pytest.mark.parametrize("bad_line", [1, 4, 8])
@pytest.mark.parametrize(
    ("bad", "field"),
    [
        (b'{"platform":"mastodon"}', "account"),
        (b"not json at all", ""),
        (b'{"platform":"mastodon","account":"x","followers_count":-1}', "followers_count"),
        (b'{"platform":"mastodon","account":"x","created_at":"2026-03-01T00:00:00"}', "created_at"),
        (b'{"platform":"mastodon","account":"x","karma":3}', "karma"),
        (
            b'{"platform":"mastodon","account":"x","posts_count":%d}' % (MAX_COUNT + 1),
            "posts_count",
        ),
    ],
)
def test_one_bad_line_stores_nothing(tracked: Api, bad_line: int, bad: bytes, field: str) -> None:
    api = tracked
    before = snapshot(api.redis)
    lines = _friends(8)
    lines[bad_line - 1] = bad
    r = api.client.post(
        "/v1/accounts/mastodon/alice/profiles",
        content=b"\n".join(lines),
        headers={**api.acme, **NDJSON},
    )
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/problem+json"
    [error] = r.json()["errors"]
    assert (error["line"], error["field"]) == (str(bad_line), field)
    assert f"line {bad_line}:" in r.json()["detail"]
    assert "nothing was stored" in r.json()["detail"]
    assert snapshot(api.redis) == before


def test_another_platform_is_refused_naming_the_line_or_item(tracked: Api) -> None:
    api = tracked
    before = snapshot(api.redis)
    lines = _friends(3)
    lines[1] = msgspec.json.encode(Profile(platform="twitter", account="friend1"))
    path = "/v1/accounts/mastodon/alice/profiles"
    r = api.client.post(path, content=b"\n".join(lines), headers={**api.acme, **NDJSON})
    assert r.status_code == 400
    [error] = r.json()["errors"]
    assert (error["line"], error["field"]) == ("2", "platform")
    assert "path's platform 'mastodon'" in error["message"]
    r = api.client.post(path, content=b"[" + b",".join(lines) + b"]", headers={**api.acme, **JSON})
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "[1].platform"
    assert snapshot(api.redis) == before


def test_an_array_error_names_the_item_and_field(tracked: Api) -> None:
    items = msgspec.json.decode(b"[" + b",".join(_friends(5)) + b"]")
    items[3]["default_avatar"] = "maybe"
    r = tracked.client.post(
        "/v1/accounts/mastodon/alice/profiles",
        content=msgspec.json.encode(items),
        headers={**tracked.acme, **JSON},
    )
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "[3].default_avatar"


def test_an_empty_body_is_refused(tracked: Api) -> None:
    r = tracked.client.post(
        "/v1/accounts/mastodon/alice/profiles", content=b"\n\n", headers={**tracked.acme, **NDJSON}
    )
    assert r.status_code == 400
    assert "no profile" in r.json()["detail"]


def test_an_untracked_account_is_the_account_404(api: Api) -> None:
    before = snapshot(api.redis)
    r = api.client.post(
        "/v1/accounts/mastodon/nobody/profiles",
        content=b"\n".join(_friends(2)),
        headers={**api.acme, **NDJSON},
    )
    read = api.client.get("/v1/accounts/mastodon/nobody", headers=api.acme)
    assert r.status_code == read.status_code == 404
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["detail"] == read.json()["detail"] == "account mastodon/nobody is not tracked"
    assert snapshot(api.redis) == before


def test_another_tenant_gets_the_same_404_and_changes_nothing(tracked: Api) -> None:
    api = tracked
    before = snapshot(api.redis)
    body = {"content": b"\n".join(_friends(2)), "headers": {**api.rival, **NDJSON}}
    theirs = api.client.post("/v1/accounts/mastodon/alice/profiles", **body)  # type: ignore[arg-type]
    missing = api.client.post("/v1/accounts/mastodon/nobody/profiles", **body)  # type: ignore[arg-type]
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json()["detail"] == missing.json()["detail"].replace("nobody", "alice")
    assert snapshot(api.redis) == before


def test_another_content_type_is_415(tracked: Api) -> None:
    before = snapshot(tracked.redis)
    r = tracked.client.post(
        "/v1/accounts/mastodon/alice/profiles",
        content=b"\n".join(_friends(2)),
        headers={**tracked.acme, "Content-Type": "text/csv"},
    )
    assert r.status_code == 415
    assert r.headers["content-type"] == "application/problem+json"
    assert "application/x-ndjson" in r.json()["detail"]
    assert snapshot(tracked.redis) == before


def test_an_oversized_body_is_413(make_api: Callable[..., Api]) -> None:
    api = make_api(max_body_bytes=4096)
    api.client.post("/v1/ingest", content=ndjson_events(10), headers={**api.acme, **NDJSON})
    before = snapshot(api.redis)
    r = api.client.post(
        "/v1/accounts/mastodon/alice/profiles",
        content=b"\n".join(_friends(200)),
        headers={**api.acme, **NDJSON},
    )
    assert r.status_code == 413
    assert r.headers["content-type"] == "application/problem+json"
    assert snapshot(api.redis) == before
