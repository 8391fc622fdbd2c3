"""`/v1/accounts/{platform}/{account}/refresh|archive`, `/v1/jobs/{id}`, `/v1/jobs/dead-letters`
and the queue metrics: every route tried with the owner's key and with another tenant's."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import DeadLetter
from rapport.jobs.refresh import refresh_job_id
from rapport.storage import keys
from tests.api.conftest import Api
from tests.deadlines import scaled

ZIP = {"Content-Type": "application/zip"}


@pytest.fixture
def jobs_api(make_api: Callable[..., Api], tmp_path: Path) -> Api:
    return make_api(upload_dir=str(tmp_path / "uploads"), upload_max_bytes=4096)


def _uploads(tmp_path: Path) -> list[str]:
    folder = tmp_path / "uploads"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_refresh_is_accepted_once_per_account_and_tracks_it(jobs_api: Api) -> None:
    api = jobs_api
    first = api.client.post("/v1/accounts/twitter/jack/refresh", headers=api.acme)
    assert first.status_code == 202, first.text
    body = first.json()
    assert body["job_id"] == refresh_job_id("acme", "twitter", "jack")
    assert body["created"] is True
    assert body["status_url"] == f"/v1/jobs/{body['job_id']}"
    again = api.client.post("/v1/accounts/twitter/jack/refresh", headers=api.acme).json()
    assert (again["job_id"], again["created"]) == (body["job_id"], False)
    assert api.client.get("/v1/accounts/twitter/jack", headers=api.acme).status_code == 200

    status = api.client.get(body["status_url"], headers=api.acme)
    assert status.status_code == 200
    assert status.json()["state"] == "queued"
    assert status.json()["name"] == "refresh_account"

    # Another tenant: its own refresh is another job, and the first one is invisible to it.
    rival = api.client.post("/v1/accounts/twitter/jack/refresh", headers=api.rival).json()
    assert rival["job_id"] != body["job_id"]
    hidden = api.client.get(body["status_url"], headers=api.rival)
    assert hidden.status_code == 404
    assert hidden.headers["content-type"].startswith("application/problem+json")
    assert api.client.get("/v1/accounts/twitter/jack", headers=api.rival).status_code == 200


def test_archive_upload_is_stored_and_queued(jobs_api: Api, tmp_path: Path) -> None:
    api = jobs_api
    response = api.client.post(
        "/v1/accounts/twitter/jack/archive", content=b"PK" + b"x" * 1000, headers=api.acme | ZIP
    )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    (stored,) = _uploads(tmp_path)
    assert stored.endswith(".zip")
    assert (tmp_path / "uploads" / stored).read_bytes() == b"PK" + b"x" * 1000
    own = api.client.get(f"/v1/jobs/{job_id}", headers=api.acme).json()
    assert (own["name"], own["state"]) == ("ingest_archive", "queued")
    assert api.client.get(f"/v1/jobs/{job_id}", headers=api.rival).status_code == 404


def test_an_archive_over_the_cap_is_413_and_leaves_nothing(jobs_api: Api, tmp_path: Path) -> None:
    api = jobs_api
    declared = api.client.post(
        "/v1/accounts/twitter/jack/archive", content=b"x" * 5000, headers=api.acme | ZIP
    )
    assert declared.status_code == 413
    assert declared.headers["content-type"].startswith("application/problem+json")

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap applies while streaming
        for _ in range(10):
            yield b"y" * 1000

    streamed = api.client.post(
        "/v1/accounts/twitter/jack/archive", content=chunks(), headers=api.acme | ZIP
    )
    assert streamed.status_code == 413
    assert _uploads(tmp_path) == []


def test_an_empty_upload_is_400(jobs_api: Api, tmp_path: Path) -> None:
    response = jobs_api.client.post(
        "/v1/accounts/twitter/jack/archive", content=b"", headers=jobs_api.acme | ZIP
    )
    assert response.status_code == 400
    assert _uploads(tmp_path) == []


def test_routes_need_a_key(jobs_api: Api) -> None:
    client = jobs_api.client
    assert client.post("/v1/accounts/twitter/jack/refresh").status_code == 401
    assert client.post("/v1/accounts/twitter/jack/archive", content=b"PK").status_code == 401
    assert client.get("/v1/jobs/dead-letters").status_code == 401
    assert client.get("/v1/jobs/anything").status_code == 401


def test_unknown_job_is_404(jobs_api: Api) -> None:
    response = jobs_api.client.get("/v1/jobs/no-such-job", headers=jobs_api.acme)
    assert response.status_code == 404
    assert response.json()["status"] == 404


def _add_letters(redis_url: str, letters: list[DeadLetter]) -> None:
    async def add() -> None:
        queue = ArqJobQueue.from_url(redis_url)
        try:
            for letter in letters:
                await queue.add_dead_letter(letter)
        finally:
            await queue.aclose()

    asyncio.run(add())


def test_dead_letters_are_the_tenants_own(jobs_api: Api, redis_url: str) -> None:
    _add_letters(
        redis_url,
        [
            DeadLetter(
                id="d1",
                name="deliver_webhook",
                tenant="acme",
                reason="DeliveryError: the receiver answered HTTP 503",
                tries=5,
                failed_at=1_800_000_000.0,
                subject={"delivery": "abc", "webhook": "w1"},
            ),
            DeadLetter(
                id="d2", name="ingest_archive", tenant="rival", reason="x", tries=1, failed_at=1.0
            ),
        ],
    )
    acme = jobs_api.client.get("/v1/jobs/dead-letters", headers=jobs_api.acme)
    assert acme.status_code == 200
    (letter,) = acme.json()["dead_letters"]
    assert letter["id"] == "d1"
    assert letter["reason"] == "DeliveryError: the receiver answered HTTP 503"
    assert letter["tries"] == 5
    assert letter["subject"] == {"delivery": "abc", "webhook": "w1"}
    rival = jobs_api.client.get("/v1/jobs/dead-letters", headers=jobs_api.rival).json()
    assert [d["id"] for d in rival["dead_letters"]] == ["d2"]


def test_queue_depth_and_outcomes_are_in_metrics(jobs_api: Api) -> None:
    api = jobs_api
    api.client.post("/v1/accounts/twitter/jack/refresh", headers=api.acme)
    api.client.post("/v1/accounts/twitter/jill/refresh", headers=api.acme)
    api.redis.hincrby(keys.job_outcomes(), "refresh_account:complete", 3)
    deadline = time.monotonic() + scaled(30)
    while True:
        text = api.client.get("/metrics").text
        if (
            "rapport_jobs_queued 2.0" in text
            and 'rapport_jobs_total{job="refresh_account",outcome="complete"} 3.0' in text
        ):
            break
        assert time.monotonic() < deadline, text[-2000:]
        time.sleep(0.2)


def test_unknown_platform_or_one_without_archives_is_422(redis_url: str, tmp_path: Path) -> None:
    from litestar.testing import TestClient

    from rapport.api import create_app
    from rapport.plugins.host import load_connectors
    from rapport.settings import Settings
    from tests.api.conftest import bearer, make_keys

    [key] = make_keys(redis_url, "acme")
    settings = Settings(upload_dir=str(tmp_path / "uploads"))
    app = create_app(settings, redis_url=redis_url, registry=load_connectors(settings))
    with TestClient(app, raise_server_exceptions=False) as client:
        unknown = client.post("/v1/accounts/nope/jack/refresh", headers=bearer(key))
        assert unknown.status_code == 422
        assert "no connector named 'nope'" in unknown.json()["detail"]
        no_archive = client.post(
            "/v1/accounts/bluesky/jack/archive", content=b"PK", headers=bearer(key) | ZIP
        )
        assert no_archive.status_code == 422
        assert "reads no export archives" in no_archive.json()["detail"]
        assert _uploads(tmp_path) == []
        known = client.post("/v1/accounts/mastodon/jack/refresh", headers=bearer(key))
        assert known.status_code == 202
