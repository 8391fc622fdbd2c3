"""The documented upgrade, `helm upgrade --reuse-values`, from the repository's first chart to
this one: the manifests are valid and both processes start with the environment they get.

Issue 18: after that upgrade the ConfigMap held `RAPPORT_JOB_TIMEOUT_SECONDS: null` (a value
added after the first chart, absent because --reuse-values does not read the new chart's
defaults), the pods got "", and both processes exited with "invalid environment: Expected
float, got str"."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest

from rapport.redis_launcher import free_port
from rapport.settings import Settings
from tests.chart.helmchart import KUBE_VERSIONS, Rendered, clean, full_name
from tests.chart.pods import (
    Pod,
    enqueue_noop,
    http_get,
    resolve_env,
    wait_until_answers,
    wait_until_complete,
)
from tests.chart.upgrade import chart_at, first_chart_commit, render_chart, reuse_values_upgrade


def _install_values(redis_url: str, port: int) -> dict[str, Any]:
    """What the first chart's docs told an operator to set (image, Redis), and a port."""
    return {
        "image": {"repository": "registry.example.com/rapport"},
        "redis": {"url": redis_url},
        "api": {"port": port},
    }


@pytest.fixture
def upgraded(redis_url: str, tmp_path: Path) -> Rendered:
    old_chart = chart_at(first_chart_commit(), tmp_path / "first-chart")
    values = _install_values(redis_url, free_port())
    render_chart(old_chart, values, upgrade=False)  # the first release installs
    return reuse_values_upgrade(old_chart, values, tmp_path / "upgrade")


def test_the_first_chart_is_older_than_the_values_it_now_needs(tmp_path: Path) -> None:
    """The premise: the first chart lacks values this chart reads, so the test exercises them."""
    old_chart = chart_at(first_chart_commit(), tmp_path / "first-chart")
    old_values = (old_chart / "values.yaml").read_text()
    for value in ("jobTimeoutSeconds", "drainSeconds"):
        assert f"{value}:" not in old_values


def test_upgraded_manifests_have_no_null_setting_and_validate(upgraded: Rendered) -> None:
    config = upgraded.get("ConfigMap", full_name())["data"]
    assert all(isinstance(v, str) and v for v in config.values()), config
    for manifest in upgraded.manifests:
        for version in KUBE_VERSIONS:
            kubernetes_validate.validate(clean(manifest), version, strict=True)


def test_both_processes_start_after_the_upgrade(upgraded: Rendered, tmp_path: Path) -> None:

    api = Pod(
        upgraded.get("Deployment", full_name("api"))["spec"]["template"]["spec"], tmp_path, "api"
    )
    worker = Pod(
        upgraded.get("Deployment", full_name("worker"))["spec"]["template"]["spec"],
        tmp_path,
        "worker",
    )
    api_env = resolve_env(upgraded, api.container("api"))
    worker_env = resolve_env(upgraded, worker.container("worker"))
    settings = Settings.from_env(worker.environment(worker.container("worker"), worker_env))
    assert settings.job_timeout_seconds == Settings().job_timeout_seconds  # the default
    queue_url = settings.queue_redis_url or settings.redis_url
    assert queue_url is not None

    port = api.container("api")["ports"][0]["containerPort"]
    api_log, worker_log = tmp_path / "api.log", tmp_path / "worker.log"
    job_id = enqueue_noop(queue_url, 3)
    with (
        api.run("api", api_env, api_log) as api_process,
        worker.run("worker", worker_env, worker_log) as worker_process,
    ):
        ready = f"http://127.0.0.1:{port}/readyz"
        wait_until_answers(ready, api_process, api_log)
        assert http_get(ready)[0] == 200, api_log.read_text()[-3000:]
        wait_until_complete(queue_url, job_id, worker_process, worker_log)
        assert api_process.poll() is None, api_log.read_text()[-3000:]
    assert "invalid environment" not in api_log.read_text() + worker_log.read_text()
