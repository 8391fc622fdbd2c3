"""The chart, rendered and linted by the real Helm engine for the scenarios operators use, every
manifest validated against Kubernetes' own JSON schemas (offline), and what a safe deployment
needs asserted on every pod."""

from __future__ import annotations

import base64
import copy

import helm_python as helm
import kubernetes_validate
import pytest

from tests.chart.helmchart import (
    CHART_DIR,
    EXTERNAL,
    KUBE_VERSIONS,
    NAMESPACE,
    RELEASE,
    SCENARIOS,
    Rendered,
    clean,
    deep_merge,
    full_name,
    render,
)

#: Kinds that are CustomResourceDefinitions, not Kubernetes built-ins: kubernetes-validate has no
#: schema for them. Only the Prometheus Operator's ServiceMonitor (monitoring.coreos.com/v1) is
#: one here; its fields are asserted by test_service_monitor_scrapes_the_api_service instead.
CRD_KINDS = {"ServiceMonitor"}


@pytest.fixture(scope="module", params=sorted(SCENARIOS))
def scenario(request: pytest.FixtureRequest) -> tuple[str, Rendered]:
    return request.param, render(SCENARIOS[request.param])


def test_chart_metadata() -> None:
    meta = helm.Chart.load(CHART_DIR).metadata
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "rapport"
    assert meta["appVersion"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_helm_lint_is_clean(name: str) -> None:
    report = helm.lint(CHART_DIR, SCENARIOS[name], strict=True, namespace=NAMESPACE)
    assert report["errors"] == []
    # severity 2 = warning, 3 = error (1 = info, e.g. "icon is recommended")
    assert [m for m in report["messages"] if m["severity"] >= 2] == []


def test_every_manifest_validates_against_kubernetes_schemas(
    scenario: tuple[str, Rendered],
) -> None:
    _, rendered = scenario
    assert rendered.manifests
    for manifest in rendered.manifests:
        if manifest["kind"] in CRD_KINDS:
            continue
        for version in KUBE_VERSIONS:
            # strict: unknown fields are errors too (a typo'd field is silently dropped by a
            # real API server, so it must not pass here)
            kubernetes_validate.validate(clean(manifest), version, strict=True)


def test_schema_validation_is_strict_enough_to_catch_mistakes() -> None:
    """The validator the test above relies on rejects what it should (a negative control)."""
    deployment = clean(render(EXTERNAL).get("Deployment", full_name("api")))
    typo = copy.deepcopy(deployment)
    typo["spec"]["template"]["spec"]["containers"][0]["readinessProbes"] = {}
    wrong_type = copy.deepcopy(deployment)
    wrong_type["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "http"
    for broken in (typo, wrong_type):
        with pytest.raises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, KUBE_VERSIONS[0], strict=True)


def test_every_pod_runs_locked_down(scenario: tuple[str, Rendered]) -> None:
    name, rendered = scenario
    pods = list(rendered.pod_specs())
    assert pods
    for where, spec in pods:
        assert spec["automountServiceAccountToken"] is False, where
        # Kubernetes would otherwise add RAPPORT_API_PORT=tcp://... for a Service named
        # rapport-api: variables in the service's own prefix that nobody set
        assert spec["enableServiceLinks"] is False, where
        pod_sc = spec["securityContext"]
        assert pod_sc["runAsNonRoot"] is True, where
        assert pod_sc["runAsUser"] > 0, where
        assert pod_sc["seccompProfile"] == {"type": "RuntimeDefault"}, where
        volumes = {v["name"]: v for v in spec.get("volumes", [])}
        for container in spec.get("initContainers", []) + spec["containers"]:
            sc = container["securityContext"]
            at = f"{where} {container['name']} ({name})"
            assert sc["runAsNonRoot"] is True, at
            assert sc["readOnlyRootFilesystem"] is True, at
            assert sc["allowPrivilegeEscalation"] is False, at
            assert sc.get("privileged", False) is False, at
            assert sc["capabilities"] == {"drop": ["ALL"]}, at
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, at
            # a read-only root filesystem needs a writable /tmp, and it must be an emptyDir
            tmp = [m for m in container["volumeMounts"] if m["mountPath"] == "/tmp"]
            assert len(tmp) == 1, at
            assert "emptyDir" in volumes[tmp[0]["name"]], at
            assert container.get("resources", {}).get("limits", {}).get("memory"), at


def test_service_accounts_mount_no_token(scenario: tuple[str, Rendered]) -> None:
    _, rendered = scenario
    for account in rendered.all("ServiceAccount"):
        assert account["automountServiceAccountToken"] is False


def test_every_resource_carries_the_helm_labels(scenario: tuple[str, Rendered]) -> None:
    _, rendered = scenario
    for manifest in rendered.manifests:
        labels = manifest["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "rapport"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"]
        assert labels["helm.sh/chart"].startswith("rapport-")


def test_selectors_pick_exactly_their_own_pods(scenario: tuple[str, Rendered]) -> None:
    _, rendered = scenario
    pods = {
        m["metadata"]["name"]: m["spec"]["template"]["metadata"]["labels"]
        for m in rendered.all("Deployment")
    }

    def selected(selector: dict[str, str]) -> set[str]:
        return {name for name, labels in pods.items() if selector.items() <= labels.items()}

    for deployment in rendered.all("Deployment"):
        name = deployment["metadata"]["name"]
        assert selected(deployment["spec"]["selector"]["matchLabels"]) == {name}
    api_service = rendered.get("Service", full_name("api"))
    assert selected(api_service["spec"]["selector"]) == {full_name("api")}
    for pdb in rendered.all("PodDisruptionBudget"):
        assert selected(pdb["spec"]["selector"]["matchLabels"]) == {pdb["metadata"]["name"]}
    for policy in rendered.all("NetworkPolicy"):
        assert selected(policy["spec"]["podSelector"]["matchLabels"]) == {
            policy["metadata"]["name"]
        }


def _container(rendered: Rendered, component: str) -> dict:
    deployment = rendered.get("Deployment", full_name(component))
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    return container


def test_api_and_worker_run_the_rapport_commands_with_probes(
    scenario: tuple[str, Rendered],
) -> None:
    _, rendered = scenario
    api = _container(rendered, "api")
    assert api["command"] == ["rapport"]
    assert api["args"][:5] == ["api", "--host", "0.0.0.0", "--port", "8000"]
    ports = {p["name"]: p["containerPort"] for p in api["ports"]}
    assert ports == {"http": 8000}
    assert api["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
    assert api["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
    worker = _container(rendered, "worker")
    assert worker["command"] == ["rapport"]
    assert worker["args"] == ["worker"]
    service = rendered.get("Service", full_name("api"))
    assert service["spec"]["ports"][0]["targetPort"] == "http"


def test_worker_grace_period_outlasts_the_longest_job() -> None:
    from rapport.settings import Settings

    rendered = render(EXTERNAL)
    worker = rendered.get("Deployment", full_name("worker"))["spec"]["template"]["spec"]
    config = rendered.get("ConfigMap", full_name())["data"]
    job_timeout = float(config["RAPPORT_JOB_TIMEOUT_SECONDS"])
    shutdown_wait = float(config["RAPPORT_WORKER_SHUTDOWN_SECONDS"])
    # the worker lets a running job finish for as long as a job may run, and Kubernetes waits
    # longer than that before its SIGKILL
    assert shutdown_wait >= job_timeout
    assert worker["terminationGracePeriodSeconds"] > max(job_timeout, shutdown_wait)
    # the chart's default job timeout is the service's own default (no silent change)
    assert job_timeout == Settings().job_timeout_seconds
    # and the values the ConfigMap passes are ones the service accepts
    settings = Settings.from_env(config)
    assert settings.worker_shutdown_seconds == shutdown_wait
    assert settings.upload_dir == config["RAPPORT_UPLOAD_DIR"]


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_api_grace_period_outlasts_its_prestop_drain_and_shutdown(name: str) -> None:
    """A rollout removes an API pod in three steps, all inside its grace period: the preStop
    hook (none: the image has no shell), the drain (RAPPORT_API_DRAIN_SECONDS: still serving
    while the pod leaves its Services and Ingresses) and the shutdown (RAPPORT_API_SHUTDOWN_SECONDS:
    requests in flight finish). The kubelet's SIGKILL must come after all three."""
    from rapport.settings import Settings

    rendered = render(SCENARIOS[name])
    api = rendered.get("Deployment", full_name("api"))["spec"]["template"]["spec"]
    (container,) = api["containers"]
    pre_stop = container.get("lifecycle", {}).get("preStop")
    assert pre_stop is None  # a hook would need a shell, or Kubernetes 1.30's `sleep`
    settings = Settings.from_env(rendered.get("ConfigMap", full_name())["data"])
    drain, shutdown = settings.api_drain_seconds, settings.api_shutdown_seconds
    # long enough for endpoint removal to reach kube-proxy and the Ingress controllers
    assert drain >= 5
    assert 0 + drain + shutdown < api["terminationGracePeriodSeconds"]


def _annotations(rendered: Rendered, component: str) -> dict[str, str]:
    deployment = rendered.get("Deployment", full_name(component))
    return deployment["spec"]["template"]["metadata"]["annotations"]


@pytest.mark.parametrize(
    ("change", "rolled"),
    [
        ({"config": {"logLevel": "DEBUG"}}, "checksum/config"),
        ({"config": {"env": {"RAPPORT_SCORE_HISTORY_LEN": "10"}}}, "checksum/config"),
        ({"redis": {"url": "redis://other.example:6379/0"}}, "checksum/secret"),
        ({"secrets": {"env": {"RAPPORT_TWITTER_TOKEN": "new"}}}, "checksum/secret"),
    ],
)
def test_a_config_or_secret_change_rolls_the_pods(change: dict, rolled: str) -> None:
    before = render(EXTERNAL)
    after = render(deep_merge(EXTERNAL, change))
    for component in ("api", "worker"):
        old, new = _annotations(before, component), _annotations(after, component)
        assert old[rolled] != new[rolled], component
        others = {k for k in old if k.startswith("checksum/")} - {rolled}
        assert {k: old[k] for k in others} == {k: new[k] for k in others}


def test_an_unrelated_change_does_not_roll_the_pods() -> None:
    before = render(EXTERNAL)
    after = render(deep_merge(EXTERNAL, {"api": {"replicaCount": 5}}))
    assert _annotations(before, "worker") == _annotations(after, "worker")


def _env(container: dict) -> dict[str, dict]:
    return {e["name"]: e for e in container["env"]}


def test_external_redis_url_lives_in_the_secret_only() -> None:
    rendered = render(SCENARIOS["everything"])
    secret = rendered.get("Secret", full_name())
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data == {
        "RAPPORT_REDIS_URL": EXTERNAL["redis"]["url"],
        "RAPPORT_QUEUE_REDIS_URL": SCENARIOS["everything"]["redis"]["queueUrl"],
        "RAPPORT_TWITTER_TOKEN": "t0ken",
        "RAPPORT_MASTODON_TOKEN": "m",
    }
    config = rendered.get("ConfigMap", full_name())["data"]
    assert config == {
        "RAPPORT_LOG_LEVEL": "DEBUG",
        "RAPPORT_RATE_LIMIT_PER_MINUTE": "600",
        "RAPPORT_UPLOAD_DIR": "/var/lib/rapport/uploads",
        "RAPPORT_JOB_TIMEOUT_SECONDS": "300",
        "RAPPORT_WORKER_SHUTDOWN_SECONDS": "300",
        "RAPPORT_API_DRAIN_SECONDS": "10",
        "RAPPORT_API_SHUTDOWN_SECONDS": "15",
    }
    for component in ("api", "worker"):
        container = _container(rendered, component)
        ref = _env(container)["RAPPORT_REDIS_URL"]["valueFrom"]["secretKeyRef"]
        assert ref == {"name": full_name(), "key": "RAPPORT_REDIS_URL"}
        assert container["envFrom"] == [
            {"configMapRef": {"name": full_name()}},
            {"secretRef": {"name": full_name()}},
        ]
        assert _env(container)["TZ"] == {"name": "TZ", "value": "UTC"}
        assert container["image"] == "rapport@sha256:" + "a" * 64
    assert not rendered.has("Deployment", full_name("redis"))
    assert "redis.example.internal" not in str(
        [m for m in rendered.manifests if m["kind"] != "Secret"]
    ), "the Redis URL (with its password) leaked out of the Secret"


def test_existing_secret_is_used_instead_of_a_chart_secret() -> None:
    rendered = render(SCENARIOS["existing-secret"])
    assert rendered.all("Secret") == []
    for component in ("api", "worker"):
        container = _container(rendered, component)
        ref = _env(container)["RAPPORT_REDIS_URL"]["valueFrom"]["secretKeyRef"]
        # not optional: a Secret without the key stops the pod with an error naming it
        assert ref == {"name": "rapport-prod", "key": "RAPPORT_REDIS_URL"}
        assert {"secretRef": {"name": "rapport-prod"}} in container["envFrom"]
    assert "rollout restart" in rendered.notes


def test_image_tag_defaults_to_the_app_version() -> None:
    app_version = helm.Chart.load(CHART_DIR).metadata["appVersion"]
    assert _container(render(EXTERNAL), "api")["image"] == f"rapport:{app_version}"
    tagged = render(deep_merge(EXTERNAL, {"image": {"repository": "r.example/rp", "tag": "9"}}))
    assert _container(tagged, "worker")["image"] == "r.example/rp:9"


def test_ingress_terminates_tls_and_routes_to_the_api_service() -> None:
    rendered = render(SCENARIOS["ingress-tls"])
    ingress = rendered.get("Ingress", full_name("api"))
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [
        {"secretName": "rapport-tls", "hosts": ["rapport.example.com"]}
    ]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "rapport.example.com"
    backend = rule["http"]["paths"][0]["backend"]["service"]
    service = rendered.get("Service", backend["name"])
    assert backend["port"]["name"] in {p["name"] for p in service["spec"]["ports"]}
    assert "https://rapport.example.com" in rendered.notes


def test_no_ingress_by_default() -> None:
    assert render(EXTERNAL).all("Ingress") == []


def test_autoscalers_target_the_deployments() -> None:
    rendered = render(SCENARIOS["autoscaling"])
    api_hpa = rendered.get("HorizontalPodAutoscaler", full_name("api"))
    assert api_hpa["spec"]["scaleTargetRef"]["name"] == full_name("api")
    assert (api_hpa["spec"]["minReplicas"], api_hpa["spec"]["maxReplicas"]) == (3, 12)
    (cpu,) = api_hpa["spec"]["metrics"]
    assert cpu["resource"]["name"] == "cpu"
    worker_hpa = rendered.get("HorizontalPodAutoscaler", full_name("worker"))
    assert worker_hpa["spec"]["scaleTargetRef"]["name"] == full_name("worker")
    by_type = {m["type"]: m for m in worker_hpa["spec"]["metrics"]}
    assert by_type["External"]["external"]["metric"]["name"] == "rapport_jobs_queued"
    assert by_type["External"]["external"]["target"] == {
        "type": "AverageValue",
        "averageValue": "100",
    }
    # the autoscaler owns the replica count: the Deployments must not fight it
    for component in ("api", "worker"):
        assert "replicas" not in rendered.get("Deployment", full_name(component))["spec"]
    assert "replicas" in render(EXTERNAL).get("Deployment", full_name("api"))["spec"]


def test_service_monitor_scrapes_the_api_service() -> None:
    rendered = render(SCENARIOS["service-monitor"])
    monitor = rendered.get("ServiceMonitor", full_name("api"))
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "prometheus"
    service = rendered.get("Service", full_name("api"))
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    (endpoint,) = monitor["spec"]["endpoints"]
    assert endpoint["path"] == "/metrics"
    assert endpoint["port"] in {p["name"] for p in service["spec"]["ports"]}
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}


def test_in_cluster_redis_is_opt_in_and_marked_for_development() -> None:
    rendered = render(SCENARIOS["in-cluster-redis"])
    redis = rendered.get("Deployment", full_name("redis"))
    assert redis["spec"]["replicas"] == 1
    assert redis["metadata"]["annotations"]["rapport.example/purpose"] == "development-only"
    (container,) = redis["spec"]["template"]["spec"]["containers"]
    assert container["image"].startswith("redis:")
    assert container["command"] == ["redis-server"]
    service = rendered.get("Service", full_name("redis"))
    port = service["spec"]["ports"][0]["port"]
    for component in ("api", "worker"):
        env = _env(_container(rendered, component))
        assert env["RAPPORT_REDIS_URL"]["value"] == f"redis://{full_name('redis')}:{port}/0"
    assert rendered.get("Secret", full_name())["data"] == {}
    claim = rendered.get("PersistentVolumeClaim", full_name("redis"))
    assert claim["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
    assert "DEVELOPMENT ONLY" in rendered.notes
    # only this release's API and worker may reach it
    policy = rendered.get("NetworkPolicy", full_name("redis"))
    peers = [
        p["podSelector"]["matchLabels"]["app.kubernetes.io/component"]
        for p in policy["spec"]["ingress"][0]["from"]
    ]
    assert sorted(peers) == ["api", "worker"]
    assert not any(
        m["kind"] == "Deployment" and "redis" in m["metadata"]["name"]
        for m in render(EXTERNAL).manifests
    )


def test_network_policies_close_the_worker_and_scope_the_api() -> None:
    rendered = render(SCENARIOS["everything"])
    worker = rendered.get("NetworkPolicy", full_name("worker"))
    assert worker["spec"]["ingress"] == []
    api = rendered.get("NetworkPolicy", full_name("api"))
    (rule,) = api["spec"]["ingress"]
    assert rule["ports"] == [{"port": "http", "protocol": "TCP"}]
    peers = rule["from"]
    assert {"namespaceSelector": {"matchLabels": {"team": "edge"}}} in peers
    # the helm test pod of this release is among the allowed peers
    test_pod = rendered.get("Pod", full_name("test-readyz"))
    assert any(
        p.get("podSelector", {}).get("matchLabels", {}).items()
        <= test_pod["metadata"]["labels"].items()
        for p in peers
        if "podSelector" in p
    )
    assert "Egress" in api["spec"]["policyTypes"]
    egress_ports = [port["port"] for r in api["spec"]["egress"] for port in r.get("ports", [])]
    assert 53 in egress_ports
    assert 443 in egress_ports
    assert render(EXTERNAL).all("NetworkPolicy") == []


def test_helm_test_hook_calls_readyz_through_the_service() -> None:
    rendered = render(EXTERNAL)
    pod = rendered.get("Pod", full_name("test-readyz"))
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    assert pod["spec"]["restartPolicy"] == "Never"
    (container,) = pod["spec"]["containers"]
    env = _env(container)
    service = rendered.get("Service", full_name("api"))
    port = service["spec"]["ports"][0]["port"]
    assert env["READYZ_URL"]["value"] == f"http://{full_name('api')}:{port}/readyz"
    assert container["image"] == _container(rendered, "api")["image"]


def test_worker_can_be_turned_off() -> None:
    rendered = render(deep_merge(EXTERNAL, {"worker": {"enabled": False}}))
    assert not rendered.has("Deployment", full_name("worker"))
    assert not rendered.has("PodDisruptionBudget", full_name("worker"))
    assert rendered.has("Deployment", full_name("api"))
    assert "Worker: disabled" in rendered.notes


def test_long_release_names_still_make_valid_resource_names() -> None:
    long_name = "r" * 53  # Helm's longest release name
    rendered = render(EXTERNAL, name=long_name)
    for manifest in rendered.manifests:
        assert len(manifest["metadata"]["name"]) <= 63, manifest["metadata"]["name"]
        kubernetes_validate.validate(clean(manifest), KUBE_VERSIONS[-1], strict=True)


def _volume_of(rendered: Rendered, component: str, mount_path: str) -> dict:
    spec = rendered.get("Deployment", full_name(component))["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    (mount,) = [m for m in container["volumeMounts"] if m["mountPath"] == mount_path]
    (volume,) = [v for v in spec["volumes"] if v["name"] == mount["name"]]
    return volume


def test_api_and_workers_share_the_uploads_volume() -> None:
    rendered = render(SCENARIOS["everything"])
    upload_dir = rendered.get("ConfigMap", full_name())["data"]["RAPPORT_UPLOAD_DIR"]
    claims = {
        _volume_of(rendered, component, upload_dir)["persistentVolumeClaim"]["claimName"]
        for component in ("api", "worker")
    }
    assert claims == {full_name("uploads")}
    claim = rendered.get("PersistentVolumeClaim", full_name("uploads"))
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["storageClassName"] == "nfs"
    existing = render(
        deep_merge(EXTERNAL, {"uploads": {"persistence": {"enabled": True, "existingClaim": "c"}}})
    )
    assert not existing.has("PersistentVolumeClaim", full_name("uploads"))
    assert _volume_of(existing, "worker", upload_dir)["persistentVolumeClaim"] == {"claimName": "c"}
    # off by default: a writable emptyDir per pod, and NOTES says uploads cannot reach a worker
    default = render(EXTERNAL)
    assert "emptyDir" in _volume_of(default, "api", upload_dir)
    assert "uploads.persistence.enabled is false" in default.notes
    assert "uploads.persistence.enabled is false" not in rendered.notes


def test_values_schema_is_a_valid_json_schema_that_refuses_unknown_keys() -> None:
    import json

    import jsonschema

    schema = json.loads((CHART_DIR / "values.schema.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    validator = jsonschema.Draft7Validator(schema)
    defaults = helm.Chart.load(CHART_DIR).values
    assert list(validator.iter_errors(defaults)) == []
    assert list(validator.iter_errors({**defaults, "replicas": 3}))  # a typo'd top-level key
