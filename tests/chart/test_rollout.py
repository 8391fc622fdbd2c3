"""A rollout or scale-down loses no request: the chart's API container, under steady load from
clients holding keep-alive connections (as an Ingress controller's upstream pool does), is
stopped the way the kubelet stops it (the preStop hook, then SIGTERM), while the load goes on
for as long as Services and Ingresses may still route to the pod. Every request succeeds.

Issue 18: new connections were refused 0.3 s after SIGTERM while routing still sent them."""

from __future__ import annotations

import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from rapport.redis_launcher import free_port
from rapport.settings import Settings
from tests.api.conftest import make_keys
from tests.chart.helmchart import full_name, render
from tests.chart.pods import Pod, http_get, resolve_env, wait_until_answers
from tests.deadlines import scaled

CLIENTS = 4


def test_a_stopping_api_pod_serves_every_request_routed_to_it(
    redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    rendered = render(
        {
            "redis": {"url": redis_url},
            "api": {"port": port},
            # the load would exceed one key's default limit: a 429 is not what is tested
            "config": {"env": {"RAPPORT_RATE_LIMIT_PER_MINUTE": "100000000"}},
        }
    )
    spec = rendered.get("Deployment", full_name("api"))["spec"]["template"]["spec"]
    pod = Pod(spec, tmp_path, "api")
    container = pod.container("api")
    env = resolve_env(rendered, container)
    drain = Settings.from_env(env).api_drain_seconds
    assert drain > 0
    [key] = make_keys(redis_url, "acme")
    base = f"http://127.0.0.1:{port}"
    routed = threading.Event()  # set: Services and Ingresses still send the pod requests
    routed.set()
    sigterm_at: list[float] = []
    outcomes: Counter[str] = Counter()
    after_sigterm = Counter[str]()
    lock = threading.Lock()

    def client() -> None:
        # a new connection now and then, as new clients (and a proxy's pool) open them
        with httpx.Client(base_url=base, timeout=scaled(30)) as http:
            n = 0
            while routed.is_set():
                n += 1
                try:
                    if n % 5 == 0:
                        with httpx.Client(base_url=base, timeout=scaled(30)) as fresh:
                            response = fresh.get(
                                "/v1/accounts", headers={"Authorization": f"Bearer {key}"}
                            )
                    else:
                        response = http.get(
                            "/v1/accounts", headers={"Authorization": f"Bearer {key}"}
                        )
                    outcome = str(response.status_code)
                except httpx.HTTPError as exc:
                    outcome = type(exc).__name__
                with lock:
                    outcomes[outcome] += 1
                    if sigterm_at:
                        after_sigterm[outcome] += 1

    log = tmp_path / "api.log"
    with pod.run("api", env, log) as process:
        wait_until_answers(f"{base}/readyz", process, log)
        assert http_get(f"{base}/readyz")[0] == 200, log.read_text()[-3000:]
        threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
        for thread in threads:
            thread.start()
        try:
            while sum(outcomes.values()) < 50:  # steady load reached
                assert process.poll() is None, log.read_text()[-3000:]
                time.sleep(0.05)
            # The pod is deleted: the kubelet runs the preStop hook and sends SIGTERM, while
            # the endpoint removal travels to kube-proxy and the Ingress controllers. Routing
            # goes on for part of the drain period, the time the chart gives that removal.
            with lock:
                sigterm_at.append(time.monotonic())
            pod.stop("api", process, env)
            time.sleep(drain / 2)
            draining_readyz = http_get(f"{base}/readyz")[0] if process.poll() is None else None
        finally:
            routed.clear()  # the pod has left every Service and Ingress
            for thread in threads:
                thread.join(timeout=scaled(60))
        # then it stops by itself, within its grace period (the kubelet's SIGKILL comes after)
        process.wait(timeout=scaled(spec["terminationGracePeriodSeconds"]))
    assert process.returncode in {0, -signal.SIGTERM}, log.read_text()[-3000:]
    assert after_sigterm["200"] > 0, outcomes  # the load did reach the stopping pod
    assert set(outcomes) == {"200"}, (outcomes, log.read_text()[-3000:])
    assert draining_readyz == 503  # alive but not ready while draining
