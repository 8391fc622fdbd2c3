"""Webhook URLs cannot inject headers nor make the worker reach what only the deployment can
(loopback, private ranges, link-local, cloud metadata): refused at subscription (422
problem+json, nothing stored) and at delivery, after DNS resolution, on the connection itself.

Every refused target here is refused before any connection is made; the only receiver is on
loopback."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import JobState
from rapport.settings import Settings, SettingsError
from rapport.storage import keys
from rapport.webhook_targets import TargetPolicy, TargetRefused, check_url, guarded_transport
from tests.api.conftest import Api
from tests.jobs.conftest import WorkerHarness, finished
from tests.jobs.receiver import receiver
from tests.jobs.test_delivery import _job_of, _queue_delivery

REFUSED_URLS = [
    "https://hooks.example/x\r\nX-Injected: 1",
    "https://hooks.example/x\n",
    "https://hooks.example/x\rY",
    "https://hooks.example/a b",
    "https://hooks.example/\tx",
    "https://hooks.example/\x00",
    "https://hooks.exämple/x",
    "http://127.0.0.1:8080/hook",
    "http://127.1/hook",
    "http://2130706433/hook",
    "http://0x7f.0.0.1/hook",
    "http://[::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://localhost/hook",
    "http://api.localhost./hook",
    "http://10.0.0.5/hook",
    "http://192.168.1.1/hook",
    "http://172.16.0.1/hook",
    "http://100.64.0.1/hook",
    "http://[fd00::1]/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://169.254.10.10/",
    "http://[fe80::1]/hook",
    "http://[fd00:ec2::254]/",
    "http://metadata.google.internal/computeMetadata/v1/",
    "http://224.0.0.1/",
    "https://user:hunter2@hooks.example/x",
    "https://hooks.example:0/x",
    "https://hooks.example:99999/x",
    "https:///x",
    "http://ST_(=,U`1o`N7/x",
    "https://-bad-.example/x",
    "https://a..example/x",
]


@pytest.mark.parametrize("url", REFUSED_URLS)
def test_a_refused_url_is_422_problem_json_and_stores_nothing(api: Api, url: str) -> None:
    r = api.client.post("/v1/webhooks", json={"url": url}, headers=api.acme)
    assert r.status_code == 422, (url, r.text)
    assert r.headers["content-type"] == "application/problem+json"
    assert "hunter2" not in r.text
    assert api.client.get("/v1/webhooks", headers=api.acme).json() == {"webhooks": []}


@pytest.mark.parametrize(
    "url", ["https://hooks.example/x", "http://93.184.215.14:8443/h?a=1", "https://[2606:4700::1]/"]
)
def test_a_public_url_is_accepted(api: Api, url: str) -> None:
    r = api.client.post("/v1/webhooks", json={"url": url}, headers=api.acme)
    assert r.status_code == 201, r.text


def test_allow_private_admits_loopback_but_never_link_local_or_metadata(
    make_api: Any,
) -> None:
    api = make_api(webhook_allow_private=True)
    for url, status in [
        ("http://127.0.0.1:9/hook", 201),
        ("http://localhost:9/hook", 201),
        ("http://10.1.2.3/hook", 201),
        ("http://169.254.169.254/latest/meta-data/", 422),
        ("http://[fe80::1]/hook", 422),
        ("http://metadata.google.internal/", 422),
    ]:
        r = api.client.post("/v1/webhooks", json={"url": url}, headers=api.acme)
        assert r.status_code == status, (url, r.text)


def test_an_allowed_network_is_the_operators_explicit_exception() -> None:
    policy = TargetPolicy.from_settings(
        Settings(webhook_allow_networks="169.254.169.254/32, 10.9.0.0/16")
    )
    check_url("http://169.254.169.254/x", policy)
    check_url("http://10.9.3.4/x", policy)
    with pytest.raises(TargetRefused):
        check_url("http://10.8.3.4/x", policy)
    with pytest.raises(SettingsError, match="RAPPORT_WEBHOOK_ALLOW_NETWORKS"):
        Settings.from_env({"RAPPORT_WEBHOOK_ALLOW_NETWORKS": "10.0.0.0/8,10.0.0.0/33"})


async def _post(settings: Settings, url: str) -> httpx.Response:
    async with httpx.AsyncClient(transport=guarded_transport(settings)) as client:
        return await client.post(url, content=b"{}")


@pytest.mark.anyio
async def test_the_connection_checks_the_resolved_address() -> None:
    """`localhost` resolves (from the hosts file, no DNS traffic) to loopback: the delivery
    transport refuses it by default and connects when private targets are allowed."""
    with receiver(200) as got:
        port = got.url.rsplit(":", 1)[1].split("/")[0]
        with pytest.raises(TargetRefused, match="loopback"):
            await _post(Settings(), f"http://localhost:{port}/")
        with pytest.raises(TargetRefused, match="loopback"):
            await _post(Settings(), f"http://127.0.0.1:{port}/")
        assert got.received == []
        r = await _post(Settings(webhook_allow_private=True), f"http://localhost:{port}/")
        assert r.status_code == 200
        assert len(got.received) == 1


@pytest.mark.anyio
async def test_dns_rebinding_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A name whose answer holds a public and a loopback address (or that answered public at
    subscription and loopback now) is refused on the connection, which uses the checked answer
    only: nothing reaches the loopback receiver."""
    loop = asyncio.get_running_loop()
    answers = {
        "rebind.hooks.example": ["93.184.215.14", "127.0.0.1"],
        "late.hooks.example": ["127.0.0.1"],
        "meta.hooks.example": ["169.254.169.254"],
    }

    async def fake_getaddrinfo(host: str, port: int, **_: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port)) for a in answers[host]]

    monkeypatch.setattr(loop, "getaddrinfo", fake_getaddrinfo)
    with receiver(200) as got:
        port = got.url.rsplit(":", 1)[1].split("/")[0]
        for host in answers:
            check_url(f"http://{host}:{port}/", TargetPolicy())  # a name passes subscription
            with pytest.raises(TargetRefused):
                await _post(Settings(), f"http://{host}:{port}/")
        assert got.received == []


def test_policy_refuses_every_non_public_range() -> None:
    policy = TargetPolicy()
    for address in [
        "127.0.0.1",
        "::1",
        "10.0.0.1",
        "169.254.1.1",
        "fe80::1",
        "fc00::1",
        "100.64.0.1",
        "0.0.0.0",
        "::",
        "255.255.255.255",
        "::ffff:10.0.0.1",
    ]:
        assert policy.refusal(ipaddress.ip_address(address)) is not None, address
    assert policy.refusal(ipaddress.ip_address("93.184.215.14")) is None


@pytest.mark.anyio
async def test_a_delivery_to_a_refused_target_is_a_dead_letter_without_a_request(
    queue: ArqJobQueue, worker: WorkerHarness, redis: Redis
) -> None:
    """A subscription stored before the guard (or under a looser setting) is refused at
    delivery: a dead letter at once, no retries, no request, and the reason names no URL."""
    with receiver(200) as got:
        await _queue_delivery(redis, got.url)
        job_id = await _job_of(redis)
        worker.start(webhook_allow_private=False)
        info = await finished(queue, job_id)
        assert info.state is JobState.FAILED
        assert got.received == []
        (letter,) = await queue.dead_letters("acme")
        assert "refused webhook target" in letter.reason
        assert got.url not in letter.reason
        assert await redis.hlen(keys.deliveries_in_flight()) == 0  # type: ignore[misc]


@pytest.mark.parametrize("url", ["ftp://hooks.example/x", "hooks.example/x", "x" * 3000])
def test_a_url_outside_the_schema_is_a_400_validation_problem(api: Api, url: str) -> None:
    r = api.client.post("/v1/webhooks", json={"url": url}, headers=api.acme)
    assert r.status_code == 400
    assert r.json()["errors"][0]["field"] == "url"
