"""API fuzzing from the checked-in OpenAPI document (docs/openapi.json) with schemathesis.

Every operation of the document gets generated requests, valid and invalid (schemathesis'
positive and negative modes), sent to the real app served by uvicorn on a loopback port, on
real Redis, three times: with the key of tenant `acme` (who owns seeded data), without a key,
and with the key of tenant `rival`. Each answer must:

* never be a 5xx;
* conform to the document (status code documented, body and headers matching its schema,
  problem+json for errors): what clients are promised is what they get;
* without a key, be 401 on every route that needs one;
* with rival's key, show none of acme's objects (ids, secrets) and change none of acme's
  data. Generated path parameters are, half the time, replaced by acme's real ids, so the
  cross-tenant probe asks for objects that exist.

The number of examples per operation is `RAPPORT_FUZZ_EXAMPLES` (default 8, the CI bound); a
long run: `RAPPORT_FUZZ_EXAMPLES=500 .venv/bin/pytest -q -n 2 tests/fuzz/test_api_schemathesis.py`.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
import redis as redis_sync
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from redis.asyncio import Redis
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from rapport.api import create_app
from rapport.redis_launcher import free_port
from rapport.settings import Settings
from rapport.storage import apikeys
from tests.api.conftest import NOW, ndjson_events, snapshot
from tests.conftest import ROOT
from tests.deadlines import scaled

if TYPE_CHECKING:
    from rapport.redis_launcher import RedisServer

EXAMPLES = int(os.environ.get("RAPPORT_FUZZ_EXAMPLES", "8"))
SCHEMA: OpenApiSchema = schemathesis.openapi.from_path(ROOT / "docs" / "openapi.json")
OPERATIONS = sorted(result.ok().label for result in SCHEMA.get_all_operations())
PUBLIC = {"GET /healthz", "GET /readyz", "GET /metrics"}
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


@dataclass(frozen=True)
class Served:
    base_url: str
    acme: dict[str, str]
    rival: dict[str, str]
    known: dict[str, str]
    """acme's real ids, by path parameter name."""
    secrets: tuple[str, ...]
    redis: redis_sync.Redis
    session: requests.Session


@pytest.fixture(scope="module")
def served(redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The app under uvicorn on 127.0.0.1, with the installed connectors, seeded for acme."""
    sync = redis_sync.Redis.from_url(redis_server.url)
    sync.flushall()

    async def make_keys() -> list[str]:
        client = Redis.from_url(redis_server.url)
        try:
            return [(await apikeys.create(client, t, now=NOW))[0] for t in ("acme", "rival")]
        finally:
            await client.aclose()

    acme_key, rival_key = asyncio.run(make_keys())
    uploads = tmp_path_factory.mktemp("uploads")
    app = create_app(
        Settings(upload_dir=str(uploads), upload_max_bytes=1 << 20, max_body_bytes=1 << 20),
        redis_url=redis_server.url,
        clock=lambda: NOW,
    )
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + scaled(30)
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped at start-up"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    base = f"http://127.0.0.1:{port}"
    acme = {"Authorization": f"Bearer {acme_key}"}
    session = requests.Session()
    r = session.post(
        base + "/v1/ingest",
        data=ndjson_events(60),
        headers={**acme, "Content-Type": "application/x-ndjson"},
    )
    assert r.status_code == 200, r.text
    hook = session.post(
        base + "/v1/webhooks", json={"url": "https://hooks.example/a"}, headers=acme
    )
    assert hook.status_code == 201, hook.text
    job = session.post(base + "/v1/accounts/mastodon/alice/refresh", headers=acme)
    assert job.status_code == 202, job.text
    known = {
        "platform": "mastodon",
        "account": "alice",
        "webhook_id": hook.json()["id"],
        "job_id": job.json()["job_id"],
    }
    try:
        yield Served(
            base_url=base,
            acme=acme,
            rival={"Authorization": f"Bearer {rival_key}"},
            known=known,
            secrets=(known["webhook_id"], hook.json()["secret"], known["job_id"], acme_key),
            redis=sync,
            session=session,
        )
    finally:
        server.should_exit = True
        thread.join(30)
        session.close()
        sync.close()


def _acme_data(served: Served) -> dict[str, Any]:
    return snapshot(served.redis, "rapport:{t:acme:*") | snapshot(
        served.redis, "rapport:{tenant:acme}*"
    )


def _send(served: Served, case: schemathesis.Case, auth: dict[str, str]) -> requests.Response:
    headers = {k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"}
    case.headers = headers
    response = case.call(base_url=served.base_url, session=served.session, headers=auth)
    assert response.status_code < 500, (case.as_curl_command(), response.text)
    case.validate_response(response, checks=CHECKS, headers={**headers, **auth})
    return response


@pytest.mark.parametrize("label", OPERATIONS)
def test_operation(served: Served, label: str) -> None:
    operation = SCHEMA.find_operation_by_label(label)
    assert operation is not None
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        mode = data.draw(st.sampled_from(modes), label="mode")
        case = data.draw(operation.as_strategy(generation_mode=mode), label="case")
        if case.path_parameters and data.draw(st.booleans(), label="acme's ids"):
            for name in case.path_parameters:
                if name in served.known:
                    case.path_parameters[name] = served.known[name]
        path = case.formatted_path
        before = _acme_data(served)
        theirs = _send(served, case, served.rival)
        leaked = [s for s in served.secrets if s in theirs.text and s not in path]
        assert leaked == [], (case.as_curl_command(), theirs.text)
        anonymous = _send(served, case, {})
        if label not in PUBLIC:
            assert anonymous.status_code == 401, (case.as_curl_command(), anonymous.text)
        assert _acme_data(served) == before, "rival or no key changed acme's data"
        _send(served, case, served.acme)

    run()
