"""`rapport api` (serve the scoring API with uvicorn) and `rapport keys` (create, list and
revoke API keys). Both need a Redis: `RAPPORT_REDIS_URL`, else that of a running `rapport up`
(`rapport.cli.which_redis`)."""

from __future__ import annotations

import asyncio
import math
import os
import socket
import sys
import time
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from redis.asyncio import Redis
from redis.asyncio.connection import parse_url
from redis.exceptions import RedisError

from rapport.cli.errors import fail, handle_input_errors
from rapport.cli.group import RapportGroup
from rapport.cli.which_redis import which_redis
from rapport.settings import Settings
from rapport.storage import apikeys
from rapport.storage.records import ApiKeyRecord

__all__ = ["register"]

T = TypeVar("T")

keys_app = typer.Typer(
    name="keys",
    cls=RapportGroup,
    help="Create, list and revoke API keys (each key belongs to one tenant). They are stored "
    "in RAPPORT_REDIS_URL, else in the Redis of a running `rapport up`.",
    no_args_is_help=True,
    rich_markup_mode=None,
)


def register(app: typer.Typer) -> None:
    app.command("api")(api)
    app.add_typer(keys_app, name="keys")


def _with_redis(url: str, work: Callable[[Redis], Awaitable[T]]) -> T:
    async def run() -> T:
        client = Redis.from_url(url, socket_connect_timeout=3.0, socket_timeout=5.0)
        try:
            await client.ping()
            return await work(client)
        finally:
            await client.aclose()

    try:
        return asyncio.run(run())
    except (RedisError, OSError) as exc:
        where = "RAPPORT_REDIS_URL" if os.environ.get("RAPPORT_REDIS_URL") else url
        fail(f"cannot reach Redis at {where}: {type(exc).__name__}: {exc}")
    except ValueError as exc:
        fail(str(exc))


def api(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (loopback by default).", metavar="HOST")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.", metavar="PORT")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="Server processes.", metavar="N")] = 1,
) -> None:
    """Serve the scoring API (OpenAPI at /schema) with uvicorn."""
    import uvicorn  # only this command needs the server

    from rapport.api.server import serve

    with handle_input_errors():
        settings = Settings.from_env()
        url = which_redis(settings)
    _check_redis_url(url)
    # No ping: a Redis that is down at start is reported by /readyz (503) until it answers,
    # and the process serves from then on, rather than exiting into a CrashLoopBackOff.
    os.environ["RAPPORT_REDIS_URL"] = url  # what each server process's app factory reads
    _check_bindable(host, port)
    config = uvicorn.Config(
        "rapport.api.asgi:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes one JSON line per request, with its request id
        log_level=settings.log_level.lower(),
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=math.ceil(settings.api_shutdown_seconds),
    )
    if not serve(config, drain_seconds=settings.api_drain_seconds):
        sys.exit(3)  # uvicorn's start-up failure, as `uvicorn.run` exits


def _check_redis_url(url: str) -> None:
    """Fail in one line on a URL no client can use (a typo'd scheme): that is not an outage."""
    try:
        parse_url(url)
    except ValueError as exc:
        where = "RAPPORT_REDIS_URL" if os.environ.get("RAPPORT_REDIS_URL") else url
        fail(f"{where}: {exc}")


def _check_bindable(host: str, port: int) -> None:
    """Fail in one line when the address is taken (uvicorn would log and exit 1)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        fail(f"--host {host!r}: {exc.strerror}")
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror}")


@keys_app.command("create")
def create_key(
    tenant: Annotated[
        str, typer.Option(help="Tenant the key belongs to, e.g. acme.", metavar="NAME")
    ],
) -> None:
    """Create a key and print it once (only its SHA-256 is stored: it cannot be shown again)."""
    with handle_input_errors():
        url = which_redis(Settings.from_env())

    async def work(client: Redis) -> tuple[str, str]:
        key, record = await apikeys.create(client, tenant, now=time.time())
        return key, record.key_id

    key, key_id = _with_redis(url, work)
    sys.stderr.write(
        f"created key {key_id} for tenant {tenant}; it is shown once, store it now. "
        f"Revoke it with `rapport keys revoke {key_id}`.\n"
    )
    sys.stdout.write(key + "\n")


@keys_app.command("list")
def list_keys(
    tenant: Annotated[str, typer.Option(help="Tenant whose keys to list.", metavar="NAME")],
) -> None:
    """List a tenant's key ids (the keys themselves are not stored)."""
    with handle_input_errors():
        url = which_redis(Settings.from_env())

    async def work(client: Redis) -> list[ApiKeyRecord]:
        return await apikeys.list_keys(client, tenant)

    for record in _with_redis(url, work):
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created_at))
        sys.stdout.write(f"{record.key_id}\t{record.tenant}\t{created}\n")


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[str, typer.Argument(help="The key's id (or the key).", metavar="KEY_ID")],
) -> None:
    """Revoke a key; API processes stop accepting it within a few seconds."""
    with handle_input_errors():
        url = which_redis(Settings.from_env())

    async def work(client: Redis) -> ApiKeyRecord | None:
        return await apikeys.revoke(client, key_id)

    record = _with_redis(url, work)
    if record is None:
        fail(f"no key {key_id!r}")
    sys.stderr.write(f"revoked key {record.key_id} of tenant {record.tenant}\n")
