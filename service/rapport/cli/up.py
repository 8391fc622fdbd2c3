"""`rapport up`: the whole service on one machine, in one command.

API (uvicorn) and worker run in this process, on one event loop. Without `RAPPORT_REDIS_URL`
a private, real `redis-server` is started on a unix socket in the data directory (no port, not
on the network), with AOF persistence fsynced on every write, so stopping it, or killing it,
loses nothing that was acknowledged; the next `rapport up` finds the same data. A lock file
keeps two `rapport up` from sharing one data directory. The private Redis is supervised: if it
dies (kill -9, OOM) it is started again on the same AOF, and the API, which answers 503 in the
meantime, recovers by itself. A Redis left running by a `rapport up` that was itself killed is
shut down (writing its AOF) before a new one starts. While it runs, the private Redis's address
and the API's URL are in `rapport-up.json` in the data directory (0600, removed on a clean
stop), where `rapport keys`, `rapport worker` and `rapport api` find them when
`RAPPORT_REDIS_URL` is unset (`rapport.local_stack`).

On first start it creates an API key for the tenant `default` and prints it once (only its
SHA-256 is stored); later starts say how to get a new one (`rapport up --new-key`). `--demo`
loads the bundled example account for the `default` tenant, moved in time so that it was
exported today (decay would otherwise have faded it), with months of score history
(`rapport.demo_account`); loading it twice changes nothing.

Ctrl-C (SIGINT) or SIGTERM stops everything in order: the API stops taking requests, the
worker lets running jobs finish (`RAPPORT_WORKER_SHUTDOWN_SECONDS`), Redis writes its AOF and
exits. Exit code 0; a problem that stops it from starting is one line on stderr and exit 2.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any, TextIO

import msgspec
import typer
from redis.asyncio import Redis
from redis.exceptions import RedisError

from rapport import local_stack
from rapport.cli.errors import fail, handle_input_errors
from rapport.errors import RapportError
from rapport.redis_launcher import RedisServer
from rapport.settings import Settings

__all__ = ["DEFAULT_TENANT", "register", "up"]

DEFAULT_TENANT = "default"
_STARTED_TIMEOUT = 30.0


def register(app: typer.Typer) -> None:
    app.command("up")(up)


def _say(out: TextIO, line: str = "") -> None:
    out.write(line + "\n")
    out.flush()


@contextlib.contextmanager
def _lock(data: Path) -> Iterator[None]:
    path = data / "rapport-up.lock"
    with path.open("a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fail(f"another `rapport up` is using {data}: stop it, or set RAPPORT_DATA_DIR")
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _listen(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


async def _ensure_key(redis: Redis, *, new_key: bool) -> str | None:
    """The plaintext of a key created now (first start, or `--new-key`), else None."""
    from rapport.storage import apikeys

    if new_key or not await apikeys.list_keys(redis, DEFAULT_TENANT):
        key, _ = await apikeys.create(redis, DEFAULT_TENANT, now=time.time())
        return key
    return None


def _shutdown_orphan(server: RedisServer) -> None:
    """A `rapport up` killed with SIGKILL leaves its Redis running: shut it down (it writes
    its AOF) before starting ours, so two servers never share one data directory."""
    if not server.ping():
        return
    import redis as redis_sync

    client = redis_sync.Redis.from_url(server.url, socket_timeout=10.0)
    with contextlib.suppress(redis_sync.ConnectionError):
        client.shutdown()
    client.close()
    deadline = time.monotonic() + 10
    while server.ping() and time.monotonic() < deadline:
        time.sleep(0.05)


async def _start_redis(server: RedisServer) -> None:
    await asyncio.to_thread(server.start)
    client = Redis.from_url(server.url, socket_timeout=10.0)
    try:
        # Every acknowledged write is on disk before Redis answers.
        await client.config_set("appendfsync", "always")
    finally:
        await client.aclose()


async def _supervise(server: RedisServer, out: TextIO, interval: float = 0.5) -> None:
    """Restart the private Redis when it dies (killed, OOM): the API answers 503 meanwhile
    and recovers by itself; the AOF brings back every acknowledged write."""
    while True:
        await asyncio.sleep(interval)
        if server.running:
            continue
        _say(out, "Redis stopped unexpectedly; restarting it")
        try:
            await _start_redis(server)
        except (RapportError, RedisError, OSError) as exc:
            _say(out, f"Redis did not restart ({exc}); trying again")


def _record(data: Path, redis_url: str, api_url: str) -> Path:
    """Tell the other commands on this machine where the private Redis is (local_stack)."""
    stack = local_stack.LocalStack(
        pid=os.getpid(), redis_url=redis_url, api_url=api_url, started_at=time.time()
    )
    return local_stack.write(data, stack)


def _server_class() -> Any:
    import uvicorn

    class Server(uvicorn.Server):
        """uvicorn without its own signal handling: `rapport up` owns SIGINT/SIGTERM and
        stops the API and the worker together."""

        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            yield

        def install_signal_handlers(self) -> None:
            pass

    return Server


async def _run(
    settings: Settings,
    *,
    host: str,
    port: int,
    demo: bool,
    new_key: bool,
    data: Path,
    out: TextIO,
) -> None:
    import uvicorn

    from rapport.api.app import create_app
    from rapport.cli.worker import configure_worker_logging
    from rapport.demo_account import load_demo_account
    from rapport.jobs.worker import run_worker
    from rapport.metric import MetricConfig

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)

    server: RedisServer | None = None
    supervisor: asyncio.Task[None] | None = None
    # Under the lock, any record is another's that was killed: it must not name a dead stack.
    local_stack.remove(data, None)
    url = settings.redis_url
    if url is None:
        server = RedisServer(data / "redis", unix_socket=True, appendonly=True)
        await asyncio.to_thread(_shutdown_orphan, server)
        await _start_redis(server)
        url = server.url
        supervisor = asyncio.create_task(_supervise(server, out))
    try:
        redis = Redis.from_url(url, socket_timeout=10.0, socket_connect_timeout=5.0)
        try:
            key = await _ensure_key(redis, new_key=new_key)
            loaded = (
                await load_demo_account(
                    redis, DEFAULT_TENANT, now=time.time(), config=MetricConfig(), settings=settings
                )
                if demo
                else None
            )
        finally:
            await redis.aclose()

        settings = msgspec.structs.replace(
            settings,
            redis_url=url,
            upload_dir=settings.upload_dir or str(data / "uploads"),
        )
        configure_worker_logging(settings.log_level)
        listener = _listen(host, port)
        bound_port = listener.getsockname()[1]
        app = create_app(settings)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            server_header=False,
        )
        api = _server_class()(config)
        api_task = asyncio.create_task(api.serve(sockets=[listener]))
        worker_task = asyncio.create_task(run_worker(settings, stop=stop))

        deadline = loop.time() + _STARTED_TIMEOUT
        while not api.started and not api_task.done() and loop.time() < deadline:
            await asyncio.sleep(0.05)
        if not api.started:
            stop.set()
            await asyncio.gather(api_task, worker_task, return_exceptions=True)
            fail("the API did not start (see the log above)")

        shown = f"[{host}]" if ":" in host else host
        base = f"http://{shown}:{bound_port}"
        record = None if server is None else _record(data, url, base)
        _say(out, f"Rapport is up: {base}")
        _say(out, f"  API docs:  {base}/schema")
        _say(out, f"  web page:  {base}/ui  (sign in with the API key)")
        if key is not None:
            _say(out, f"  API key:   {key}")
            _say(out, "             (tenant `default`; shown once, only its hash is stored)")
        else:
            _say(out, "  API key:   created on first start and shown then; a new one:")
            _say(out, "             `rapport up --new-key` (prints it once)")
        _say(out, f"  try:       curl -H 'Authorization: Bearer <key>' {base}/v1/accounts")
        if loaded is not None:
            _say(out, f"  demo:      {loaded} new example events for tenant `default`")
        _say(out, f"  data:      {data}" + ("" if server is None else " (private Redis, AOF)"))
        if record is not None:
            _say(out, f"  Redis:     {url}")
            _say(out, f"             (`rapport keys`, `worker`, `api` here find it: {record})")
        _say(out, "Press Ctrl-C to stop.")

        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([stopping, api_task, worker_task], return_when=asyncio.FIRST_COMPLETED)
        crashed = [t for t in (api_task, worker_task) if t.done()] if not stop.is_set() else []
        stop.set()
        _say(out, "Stopping...")
        local_stack.remove(data, os.getpid())  # from now on, nobody should start using it
        api.should_exit = True
        await asyncio.gather(stopping, api_task, worker_task, return_exceptions=True)
        if crashed:
            # One half stopped on its own: do not go on serving half a service.
            which = "API" if crashed[0] is api_task else "worker"
            error = None if crashed[0].cancelled() else crashed[0].exception()
            fail(f"the {which} stopped unexpectedly" + (f": {error!r}" if error else ""))
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        local_stack.remove(data, os.getpid())
        if supervisor is not None:
            supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await supervisor
        if server is not None:
            await asyncio.to_thread(server.stop)
    _say(out, "Stopped.")


def up(
    host: Annotated[
        str, typer.Option(help="Interface to listen on (loopback by default).", metavar="HOST")
    ] = ("127.0.0.1"),
    port: Annotated[
        int, typer.Option(min=0, max=65535, help="TCP port of the API.", metavar="PORT")
    ] = 8000,
    demo: Annotated[
        bool, typer.Option("--demo", help="Also load the bundled example account.")
    ] = False,
    new_key: Annotated[
        bool, typer.Option("--new-key", help="Create another API key for tenant `default`.")
    ] = False,
) -> None:
    """Run the API and the worker together, with a private Redis unless RAPPORT_REDIS_URL is
    set; data persists in RAPPORT_DATA_DIR (default: $XDG_DATA_HOME/rapport or ./.rapport).
    While it runs, `rapport keys`, `worker` and `api` with the same data directory use its
    Redis."""
    from rapport.jobs.paths import data_dir
    from rapport.redis_launcher import RedisLaunchError

    with handle_input_errors():
        settings = Settings.from_env()
    data = data_dir(settings)
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create the data directory {data}: {exc.strerror or exc}")
    with _lock(data):
        try:
            asyncio.run(
                _run(
                    settings,
                    host=host,
                    port=port,
                    demo=demo,
                    new_key=new_key,
                    data=data,
                    out=sys.stdout,
                )
            )
        except RedisLaunchError as exc:
            fail(str(exc))
        except (RedisError, OSError) as exc:
            fail(f"cannot use Redis: {type(exc).__name__}: {exc}")
