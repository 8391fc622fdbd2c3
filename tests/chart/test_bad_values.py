"""An operator's mistakes in values stop `helm install` / `helm template` before anything is
applied, with a message that says what to set (template `fail` calls and values.schema.json)."""

from __future__ import annotations

from typing import Any

import helm_python as helm
import pytest

from tests.chart.helmchart import EXTERNAL, deep_merge, render

IN_CLUSTER = {"redis": {"inCluster": {"enabled": True}}}
EXISTING = {"secrets": {"create": False, "existingSecret": "rapport-prod"}}

BAD_VALUES: dict[str, tuple[dict[str, Any], str]] = {
    "no redis at all": (
        {},
        "no Redis: set redis.url",
    ),
    "in-cluster and external redis": (
        deep_merge(IN_CLUSTER, EXTERNAL),
        "both an in-cluster and an external Redis are set: unset redis.url and "
        "redis.queueUrl, or set redis.inCluster.enabled=false",
    ),
    "in-cluster redis and an external queue": (
        deep_merge(IN_CLUSTER, {"redis": {"queueUrl": "redis://q.example:6379/0"}}),
        "both an in-cluster and an external Redis are set",
    ),
    "existingSecret empty when required": (
        {"secrets": {"create": False, "existingSecret": ""}},
        "secrets.create is false but secrets.existingSecret is empty: set "
        "secrets.existingSecret to the name of a Secret holding RAPPORT_REDIS_URL",
    ),
    "existingSecret while creating one": (
        deep_merge(EXTERNAL, {"secrets": {"existingSecret": "rapport-prod"}}),
        'secrets.existingSecret="rapport-prod" is set but secrets.create is true: set '
        "secrets.create=false",
    ),
    "redis url that the existing secret would shadow": (
        deep_merge(EXISTING, EXTERNAL),
        "ignored with secrets.existingSecret: put them into that Secret as RAPPORT_REDIS_URL",
    ),
    "token in the configmap": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_TWITTER_TOKEN": "x"}}}),
        "config.env.RAPPORT_TWITTER_TOKEN looks like a secret and the ConfigMap is not one: "
        "move it to secrets.env",
    ),
    "redis url in the configmap": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_QUEUE_REDIS_URL": "redis://q"}}}),
        "config.env.RAPPORT_QUEUE_REDIS_URL: Redis URLs may hold a password; set redis.url",
    ),
    "log level twice": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_LOG_LEVEL": "DEBUG"}}}),
        "config.env.RAPPORT_LOG_LEVEL: set config.logLevel instead",
    ),
    "redis url among the secret env": (
        deep_merge(EXTERNAL, {"secrets": {"env": {"RAPPORT_REDIS_URL": "redis://x"}}}),
        "secrets.env.RAPPORT_REDIS_URL: set redis.url / redis.queueUrl instead",
    ),
    "cpu autoscaling without a cpu request": (
        deep_merge(
            EXTERNAL,
            {"api": {"autoscaling": {"enabled": True}, "resources": {"requests": {"cpu": None}}}},
        ),
        "api.autoscaling scales on CPU, which needs a CPU request: set api.resources.requests.cpu",
    ),
    "worker autoscaling without a target": (
        deep_merge(
            EXTERNAL,
            {"worker": {"autoscaling": {"enabled": True, "targetCPUUtilizationPercentage": 0}}},
        ),
        "worker.autoscaling has no target: set worker.autoscaling.targetCPUUtilizationPercentage"
        " or worker.autoscaling.queueDepth.enabled=true",
    ),
    "autoscaling bounds upside down": (
        deep_merge(
            EXTERNAL,
            {"api": {"autoscaling": {"enabled": True, "minReplicas": 9, "maxReplicas": 3}}},
        ),
        "api.autoscaling.minReplicas is above api.autoscaling.maxReplicas",
    ),
    "ingress without hosts": (
        deep_merge(EXTERNAL, {"api": {"ingress": {"enabled": True, "hosts": []}}}),
        "api.ingress.enabled is true but api.ingress.hosts is empty",
    ),
    "grace period shorter than a job": (
        deep_merge(EXTERNAL, {"worker": {"jobTimeoutSeconds": 600}}),
        "worker.terminationGracePeriodSeconds (330) must be longer than "
        "worker.jobTimeoutSeconds (600) and worker.shutdownSeconds (300), or Kubernetes kills "
        "jobs midway: raise it (e.g. to 630)",
    ),
    "api grace period shorter than its drain and shutdown": (
        deep_merge(EXTERNAL, {"api": {"drainSeconds": 20}}),
        "api.terminationGracePeriodSeconds (30) must be longer than api.drainSeconds (20) plus "
        "api.shutdownSeconds (15), or Kubernetes kills requests midway: raise it (e.g. to 40)",
    ),
    "api drain in the configmap": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_API_DRAIN_SECONDS": "9"}}}),
        "config.env.RAPPORT_API_DRAIN_SECONDS: set api.drainSeconds",
    ),
    "job timeout in the configmap": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_JOB_TIMEOUT_SECONDS": "9"}}}),
        "config.env.RAPPORT_JOB_TIMEOUT_SECONDS: set worker.jobTimeoutSeconds",
    ),
    "upload dir in the configmap": (
        deep_merge(EXTERNAL, {"config": {"env": {"RAPPORT_UPLOAD_DIR": "/data"}}}),
        "config.env.RAPPORT_UPLOAD_DIR: set uploads.mountPath instead",
    ),
    "uploads under /tmp": (
        deep_merge(EXTERNAL, {"uploads": {"mountPath": "/tmp/uploads"}}),
        "uploads.mountPath must not be under /tmp",
    ),
    # values.schema.json: wrong names and types are refused, not silently ignored
    "typo in a key": (
        deep_merge(EXTERNAL, {"redis": {"URL": "redis://x"}}),
        "at '/redis': additional properties 'URL' not allowed",
    ),
    "root user": (
        deep_merge(EXTERNAL, {"securityContext": {"runAsUser": 0}}),
        "at '/securityContext/runAsUser': minimum: got 0, want 1",
    ),
    "unknown log level": (
        deep_merge(EXTERNAL, {"config": {"logLevel": "LOUD"}}),
        "/config/logLevel",
    ),
    "not a redis url": (
        {"redis": {"url": "redis.example:6379"}},
        "/redis/url",
    ),
    "lower-case setting name": (
        deep_merge(EXTERNAL, {"config": {"env": {"rapport_log_level": "x"}}}),
        "'rapport_log_level' does not match pattern",
    ),
    "bad image digest": (
        deep_merge(EXTERNAL, {"image": {"digest": "latest"}}),
        "/image/digest",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_VALUES))
def test_bad_values_fail_with_what_to_set(case: str) -> None:
    values, message = BAD_VALUES[case]
    with pytest.raises(helm.HelmError) as caught:
        render(values)
    assert message in str(caught.value)


def test_the_good_neighbours_of_the_bad_values_render() -> None:
    """Each family of checks above lets the corrected values through (so the failures are
    about the mistake, not about the scenario)."""
    for values in (
        EXTERNAL,
        IN_CLUSTER,
        EXISTING,
        deep_merge(
            EXTERNAL, {"config": {"env": {"RAPPORT_MASTODON_BASE_URL": "https://m.example"}}}
        ),
        deep_merge(EXTERNAL, {"worker": {"autoscaling": {"enabled": True}}}),
        deep_merge(
            EXTERNAL,
            {
                "worker": {
                    "autoscaling": {
                        "enabled": True,
                        "targetCPUUtilizationPercentage": 0,
                        "queueDepth": {"enabled": True},
                    },
                    "resources": {"requests": {"cpu": None}},
                }
            },
        ),
    ):
        assert render(values).manifests
