"""Render the chart with the real Helm engine (helm-python-sdk binds Helm's own Go library: no
helm binary, no cluster) and read what it renders."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml
from kubernetes_validate.utils import latest_version

ROOT = Path(__file__).resolve().parents[2]
CHART_DIR = ROOT / "charts" / "rapport"
RELEASE = "demo"
NAMESPACE = "rapport"
#: The oldest Kubernetes the chart supports (Chart.yaml kubeVersion) and the newest schemas
#: kubernetes-validate ships: every manifest must validate against both.
KUBE_VERSIONS = ("1.25.0", latest_version())

helm.disable_logging()  # `fail` messages are asserted through the exceptions, not stderr

Manifest = dict[str, Any]


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(dict(base))
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


class Rendered:
    """One render of the chart: the manifests by kind and name, and the NOTES text."""

    def __init__(self, files: Mapping[str, str]) -> None:
        self.files = dict(files)
        self.notes = next((text for path, text in files.items() if path.endswith("NOTES.txt")), "")
        self.manifests: list[Manifest] = []
        for path, text in sorted(files.items()):
            if path.endswith(".txt"):
                continue
            for doc in yaml.safe_load_all(text):
                if doc:
                    doc.setdefault("__source__", path)
                    self.manifests.append(doc)

    def kinds(self) -> list[str]:
        return sorted(m["kind"] for m in self.manifests)

    def all(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m["kind"] == kind]

    def get(self, kind: str, name: str) -> Manifest:
        found = [m for m in self.all(kind) if m["metadata"]["name"] == name]
        assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}: {self.kinds()}"
        return found[0]

    def has(self, kind: str, name: str) -> bool:
        return any(m["metadata"]["name"] == name for m in self.all(kind))

    def pod_specs(self) -> Iterator[tuple[str, Manifest]]:
        """(kind/name, pod spec) of every workload and bare pod."""
        for m in self.manifests:
            name = f"{m['kind']}/{m['metadata']['name']}"
            if m["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
                yield name, m["spec"]["template"]["spec"]
            elif m["kind"] == "Pod":
                yield name, m["spec"]


def clean(manifest: Manifest) -> Manifest:
    """The manifest without this module's bookkeeping key."""
    return {k: v for k, v in manifest.items() if k != "__source__"}


_chart: helm.Chart | None = None


def chart() -> helm.Chart:
    """The chart, loaded once per process (a loaded chart is immutable and thread-safe)."""
    global _chart
    if _chart is None:
        _chart = helm.Chart.load(CHART_DIR)
    return _chart


def render(values: Mapping[str, Any] | None = None, **options: Any) -> Rendered:
    """Render as `helm install demo charts/rapport -n rapport -f values` would (the values
    schema is enforced by the engine)."""
    options = {"name": RELEASE, "namespace": NAMESPACE, "is_install": True, **options}
    return Rendered(chart().render(values=dict(values or {}), **options))


def full_name(component: str | None = None) -> str:
    base = f"{RELEASE}-rapport"
    return f"{base}-{component}" if component else base


EXTERNAL = {"redis": {"url": "rediss://:s3cret@redis.example.internal:6380/0"}}

#: The values scenarios every render test runs: what operators set most.
SCENARIOS: dict[str, dict[str, Any]] = {
    "external-redis-url": EXTERNAL,
    "existing-secret": {"secrets": {"create": False, "existingSecret": "rapport-prod"}},
    "ingress-tls": deep_merge(
        EXTERNAL,
        {
            "api": {
                "ingress": {
                    "enabled": True,
                    "className": "nginx",
                    "annotations": {"cert-manager.io/cluster-issuer": "letsencrypt"},
                    "hosts": [
                        {
                            "host": "rapport.example.com",
                            "paths": [{"path": "/", "pathType": "Prefix"}],
                        }
                    ],
                    "tls": [{"secretName": "rapport-tls", "hosts": ["rapport.example.com"]}],
                }
            }
        },
    ),
    "autoscaling": deep_merge(
        EXTERNAL,
        {
            "api": {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 12}},
            "worker": {
                "autoscaling": {
                    "enabled": True,
                    "maxReplicas": 8,
                    "queueDepth": {"enabled": True, "selector": {"namespace": NAMESPACE}},
                }
            },
        },
    ),
    "service-monitor": deep_merge(
        EXTERNAL,
        {"metrics": {"serviceMonitor": {"enabled": True, "labels": {"release": "prometheus"}}}},
    ),
    "in-cluster-redis": {
        "redis": {"inCluster": {"enabled": True, "persistence": {"enabled": True}}},
        "networkPolicy": {"enabled": True, "restrictEgress": True},
    },
    "everything": deep_merge(
        EXTERNAL,
        {
            "redis": {
                "queueUrl": "redis+sentinel://:pw@sentinel-0:26379,sentinel-1:26379/rapportq/1"
            },
            "config": {"logLevel": "DEBUG", "env": {"RAPPORT_RATE_LIMIT_PER_MINUTE": 600}},
            "secrets": {"env": {"RAPPORT_TWITTER_TOKEN": "t0ken", "RAPPORT_MASTODON_TOKEN": "m"}},
            "extraEnv": [{"name": "TZ", "value": "UTC"}],
            "imagePullSecrets": [{"name": "regcred"}],
            "image": {"digest": "sha256:" + "a" * 64},
            "commonLabels": {"team": "trust"},
            "api": {
                "autoscaling": {"enabled": True},
                "ingress": {"enabled": True, "tls": [{"secretName": "t", "hosts": ["x.example"]}]},
                "podAnnotations": {"example.com/a": "b"},
            },
            "worker": {"autoscaling": {"enabled": True}},
            "uploads": {"persistence": {"enabled": True, "storageClass": "nfs"}},
            "metrics": {"serviceMonitor": {"enabled": True}},
            "networkPolicy": {
                "enabled": True,
                "restrictEgress": True,
                "apiIngressFrom": [{"namespaceSelector": {"matchLabels": {"team": "edge"}}}],
                "extraEgress": [{"ports": [{"port": 443, "protocol": "TCP"}]}],
            },
        },
    ),
}
