"""Run a rendered container as a local process: the closest thing to a pod without a cluster.

What the kubelet would do, done here: the environment is resolved from the container's `env`
and `envFrom` against the rendered ConfigMap and Secret (or a Secret the test plays the operator
for), volumes become directories (one per emptyDir per pod, one per PersistentVolumeClaim shared
by every pod that mounts it), and the command runs with the image's `ENV` (from the
Dockerfile) on a PATH whose `rapport` is this venv's console script, since there is no image.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from rapport.jobs.arq_queue import ArqJobQueue
from rapport.jobs.queue import NOOP, JobInfo, JobState
from tests.chart import dockerfile
from tests.chart.helmchart import Rendered
from tests.children import kill_group
from tests.deadlines import scaled

VENV_BIN = Path(sys.executable).parent


class MissingKeyError(LookupError):
    """What the kubelet reports as CreateContainerConfigError: a referenced key is absent."""


def secret_data(manifest: Mapping[str, Any]) -> dict[str, str]:
    data = {k: base64.b64decode(v).decode() for k, v in (manifest.get("data") or {}).items()}
    data.update(manifest.get("stringData") or {})
    return data


def resolve_env(
    rendered: Rendered,
    container: Mapping[str, Any],
    external_secrets: Mapping[str, Mapping[str, str]] | None = None,
) -> dict[str, str]:
    """The container's environment as the kubelet builds it: `envFrom` sources in order (a
    later source wins), then `env` (wins over all of them)."""
    secrets = {m["metadata"]["name"]: secret_data(m) for m in rendered.all("Secret")}
    secrets.update({k: dict(v) for k, v in (external_secrets or {}).items()})
    # The API server stores a null value of a ConfigMap's data as "" (Go's map[string]string).
    maps = {
        m["metadata"]["name"]: {k: "" if v is None else v for k, v in (m.get("data") or {}).items()}
        for m in rendered.all("ConfigMap")
    }

    def source(kind: str, name: str, optional: bool) -> dict[str, str]:
        store = maps if kind == "configMap" else secrets
        if name not in store:
            if optional:
                return {}
            raise MissingKeyError(f"{kind} {name!r} does not exist")
        return store[name]

    env: dict[str, str] = {}
    for item in container.get("envFrom", []):
        for kind in ("configMap", "secret"):
            ref = item.get(f"{kind}Ref")
            if ref:
                data = source(kind, ref["name"], ref.get("optional", False))
                env.update({item.get("prefix", "") + k: v for k, v in data.items()})
    for var in container.get("env", []):
        if "value" in var:
            env[var["name"]] = str(var["value"])
            continue
        value_from = var["valueFrom"]
        for kind in ("configMap", "secret"):
            ref = value_from.get(f"{kind}KeyRef")
            if ref:
                optional = ref.get("optional", False)
                data = source(kind, ref["name"], optional)
                if ref["key"] in data:
                    env[var["name"]] = data[ref["key"]]
                elif not optional:
                    raise MissingKeyError(f"{kind} {ref['name']!r} has no key {ref['key']!r}")
                break
        else:
            raise AssertionError(f"unsupported valueFrom in the chart: {value_from}")
    return env


def image_env() -> dict[str, str]:
    """The final stage's `ENV` of the Dockerfile (PATH excepted: it is the venv's here)."""
    env: dict[str, str] = {}
    for ins in dockerfile.stages()[1][-1].all("ENV"):
        for pair in shlex.split(ins.value):
            key, _, value = pair.partition("=")
            env[key] = value
    env.pop("PATH", None)
    return env


class Pod:
    """One pod spec's volumes as local directories; `run` starts one of its containers."""

    def __init__(self, spec: Mapping[str, Any], root: Path, pod_name: str) -> None:
        self.spec = spec
        self.dirs: dict[str, Path] = {}
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                # a claim is shared by every pod that mounts it (the uploads volume)
                path = root / "claims" / volume["persistentVolumeClaim"]["claimName"]
            elif "emptyDir" in volume:
                path = root / "pods" / pod_name / volume["name"]
            else:
                raise AssertionError(f"volume type not simulated: {volume}")
            path.mkdir(parents=True, exist_ok=True)
            self.dirs[volume["name"]] = path

    def container(self, name: str) -> Mapping[str, Any]:
        (found,) = [c for c in self.spec["containers"] if c["name"] == name]
        return found

    def local_path(self, container: Mapping[str, Any], path: str) -> str:
        """A path inside the container, on the local disk (through its volume mounts)."""
        for mount in sorted(container.get("volumeMounts", []), key=lambda m: -len(m["mountPath"])):
            root = mount["mountPath"].rstrip("/")
            if path == root or path.startswith(root + "/"):
                return str(self.dirs[mount["name"]]) + path[len(root) :]
        return path

    def environment(self, container: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, str]:
        full = {**image_env(), **env}
        full = {
            k: self.local_path(container, v) if v.startswith("/") else v for k, v in full.items()
        }
        full["PATH"] = f"{VENV_BIN}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin"
        return full

    @contextlib.contextmanager
    def run(
        self, name: str, env: Mapping[str, str], log: Path, executable: str | None = None
    ) -> Iterator[subprocess.Popen[bytes]]:
        """Start the container `name` as a process (its command and args, verbatim; the program
        is the venv's unless `executable` says where the image's is); on exit stop it as the
        kubelet does: SIGTERM, then SIGKILL after the grace period."""
        container = self.container(name)
        argv = [*container.get("command", []), *container.get("args", [])]
        # paths into mounted volumes point at their local directories
        argv = [
            argv[0],
            *(self.local_path(container, a) if a.startswith("/") else a for a in argv[1:]),
        ]
        workdir = Path(self.local_path(container, "/tmp"))  # the image's WORKDIR
        with log.open("wb") as out:
            process = subprocess.Popen(
                argv,
                start_new_session=True,  # its own group: killed whole if it outlives the test
                env=self.environment(container, env),
                cwd=workdir,
                stdout=out,
                stderr=subprocess.STDOUT,
                executable=executable or self._which(argv[0]),
            )
            try:
                yield process
            finally:
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        process.wait(
                            timeout=scaled(self.spec.get("terminationGracePeriodSeconds", 30))
                        )
                kill_group(process)  # what the kubelet's SIGTERM left, and any child

    def stop(self, name: str, process: subprocess.Popen[bytes], env: Mapping[str, str]) -> None:
        """Stop container `name` as the kubelet does when its pod is deleted: run its preStop
        hook (an `exec` hook to its end; a `sleep` hook sleeps), then send SIGTERM to the
        container's main process. The kubelet starts the hook at the same moment the endpoints
        controller starts removing the pod from its Services."""
        container = self.container(name)
        hook = container.get("lifecycle", {}).get("preStop")
        if hook is not None:
            if "exec" in hook:
                subprocess.run(
                    hook["exec"]["command"],
                    env=self.environment(container, env),
                    executable=self._which(hook["exec"]["command"][0]),
                    check=False,
                    timeout=self.spec.get("terminationGracePeriodSeconds", 30),
                )
            elif "sleep" in hook:
                time.sleep(hook["sleep"]["seconds"])
            else:
                raise AssertionError(f"preStop hook type not simulated: {hook}")
        process.send_signal(signal.SIGTERM)

    @staticmethod
    def _which(program: str) -> str:
        local = VENV_BIN / program
        assert local.exists(), f"{program!r} is not installed in the venv"
        return str(local)


def http_get(
    url: str, headers: Mapping[str, str] | None = None, body: bytes | None = None
) -> tuple[int, bytes]:
    """GET `url` (POST `body` when given); (status, body) whatever the status."""
    request = urllib.request.Request(url, data=body, headers=dict(headers or {}))
    try:
        with urllib.request.urlopen(request, timeout=scaled(5)) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def wait_until_answers(
    url: str, process: subprocess.Popen[bytes], log: Path, deadline_s: float = 90.0
) -> int:
    """Poll `url` until it answers (any HTTP status); fail early if the process died. The
    deadline only bounds a hung start on a busy machine: nothing is asserted about time."""
    end = time.monotonic() + scaled(deadline_s)
    while True:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            return http_get(url)[0]
        except OSError:
            if time.monotonic() > end:
                raise AssertionError(f"{url} never answered:\n{log.read_text()[-3000:]}") from None
            time.sleep(0.2)


def cli_accepts(argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run the installed `rapport` console script with `argv` plus `--help`: the parser checks
    the command and every option name (an unknown one exits 2) and then prints the command's
    help instead of running it."""
    return subprocess.run(
        [str(VENV_BIN / "rapport"), *argv, "--help"],
        capture_output=True,
        text=True,
        check=False,
        timeout=scaled(60),
    )


def enqueue_noop(queue_url: str, n: int) -> str:
    """Queue a `noop` job on the chart's queue, as the API would; its id."""

    async def enqueue() -> str:
        queue = ArqJobQueue.from_url(queue_url)
        try:
            return (await queue.enqueue(NOOP, {"n": n})).id
        finally:
            await queue.aclose()

    return asyncio.run(enqueue())


def wait_until_complete(
    queue_url: str, job_id: str, worker: subprocess.Popen[bytes], log: Path
) -> JobInfo:
    """The job's final info once the worker container completed it; fails with the worker's
    log if the worker exits first or never completes it (a bound on a hung worker, not a
    timing claim)."""

    async def status() -> JobInfo | None:
        queue = ArqJobQueue.from_url(queue_url)
        try:
            return await queue.status(job_id)
        finally:
            await queue.aclose()

    end = time.monotonic() + scaled(90)
    while True:
        assert worker.poll() is None, log.read_text()[-3000:]
        info = asyncio.run(status())
        if info is not None and info.state == JobState.COMPLETE:
            return info
        assert time.monotonic() < end, f"job {info}; worker log:\n{log.read_text()[-3000:]}"
        time.sleep(0.2)
