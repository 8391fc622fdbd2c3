"""`rapport keys` and `rapport api`, run as a user would (a real uvicorn on a free port)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from rapport.cli import app
from rapport.redis_launcher import free_port
from tests.children import kill_group, popen
from tests.deadlines import scaled

RAPPORT = str(Path(sys.executable).parent / "rapport")


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [RAPPORT, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=scaled(60),
    )


def test_keys_create_list_revoke(redis_url: str) -> None:
    env = {"RAPPORT_REDIS_URL": redis_url}
    created = _run(["keys", "create", "--tenant", "acme"], env)
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip()
    assert key.startswith("rpk_")
    assert created.stdout.count("\n") == 1
    key_id = key.split("_")[1]
    listed = _run(["keys", "list", "--tenant", "acme"], env)
    assert listed.stdout.split("\t")[0] == key_id
    assert key.rsplit("_", 1)[1] not in listed.stdout
    assert _run(["keys", "revoke", key_id], env).returncode == 0
    assert _run(["keys", "list", "--tenant", "acme"], env).stdout == ""


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (
            ["keys", "create", "--tenant", "acme"],
            {"RAPPORT_REDIS_URL": ""},
            "set RAPPORT_REDIS_URL (e.g. redis://localhost:6379/0) or start `rapport up`",
        ),
        (
            ["keys", "create", "--tenant", "acme"],
            {"RAPPORT_REDIS_URL": "redis://127.0.0.1:1/0"},
            "cannot reach Redis",
        ),
        (["keys", "create", "--tenant", "Not Valid"], {}, "invalid tenant"),
        (["keys", "revoke", "0000000000000000"], {}, "no key"),
        # a Redis that does not answer is an outage (/readyz says so); a URL no client can use
        # is a mistake
        (["api"], {"RAPPORT_REDIS_URL": "http://127.0.0.1:1/0"}, "RAPPORT_REDIS_URL: "),
        (["api", "--host", "no-such-host.invalid"], {}, "--host"),
    ],
)
def test_errors_are_one_line_exit_2(
    redis_url: str, tmp_path: Path, args: list[str], env: dict[str, str], message: str
) -> None:
    runner = CliRunner()
    full_env = {"RAPPORT_REDIS_URL": redis_url, "RAPPORT_DATA_DIR": str(tmp_path), **env}
    if not full_env["RAPPORT_REDIS_URL"]:
        del full_env["RAPPORT_REDIS_URL"]
    old = os.environ.pop("RAPPORT_REDIS_URL", None)
    try:
        result = runner.invoke(app, args, env=full_env)
    finally:
        if old is not None:
            os.environ["RAPPORT_REDIS_URL"] = old
    assert result.exit_code == 2, result.output
    assert message in result.stderr
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.output


def test_api_port_in_use_is_one_line_exit_2(redis_url: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = _run(["api", "--port", str(port)], {"RAPPORT_REDIS_URL": redis_url})
    assert result.returncode == 2
    assert result.stderr.startswith(f"rapport: error: cannot listen on 127.0.0.1:{port}")
    assert result.stderr.count("\n") == 1


@pytest.fixture
def served(redis_url: str) -> Iterator[tuple[str, str]]:
    env = {"RAPPORT_REDIS_URL": redis_url}
    key = _run(["keys", "create", "--tenant", "acme"], env).stdout.strip()
    port = free_port()
    process = popen(
        [RAPPORT, "api", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + scaled(30)
        while True:
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"rapport api did not start: {process.stderr!r}")
            time.sleep(0.1)
        yield base, key
    finally:
        kill_group(process)
        if process.stderr:
            process.stderr.close()


def test_rapport_api_serves(served: tuple[str, str]) -> None:
    base, key = served
    headers = {"Authorization": f"Bearer {key}"}
    assert httpx.get(f"{base}/readyz").status_code == 200
    assert httpx.get(f"{base}/v1/accounts").status_code == 401
    r = httpx.post(f"{base}/v1/accounts", json={"platform": "x", "account": "a"}, headers=headers)
    assert r.status_code == 201
    assert "server" not in r.headers
    assert httpx.get(f"{base}/v1/accounts", headers=headers).json()["total"] == 1
