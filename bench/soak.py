"""Soak test: the whole service under a steady mixed load for minutes, then proof of its effects.

    .venv/bin/python bench/soak.py                        # 10 minutes at half of saturation
    .venv/bin/python bench/soak.py --minutes 10 --json /tmp/soak.json --plot docs/img/soak.png
    .venv/bin/python bench/soak.py --seconds 6 --rate 20  # CI smoke: fixed rate, no phase 1

A benchmark answers "how fast"; a soak answers "does it stay correct and flat for as long as it
runs": no error, no lost or doubled effect, no memory that keeps growing. Everything runs on
loopback (127.0.0.1) and is bounded in time:

- a private `redis-server` (unix socket), the API under uvicorn exactly as `bench/api_bench.py`
  serves it (one process), one `rapport worker` process, and `bench/soak_peers.py`: the X
  platform replayed over HTTP from the recorded responses (so refresh jobs really fetch) and a
  webhook receiver that checks every delivery's HMAC-SHA256 signature and records its id;
- phase 1 measures the saturation rate of the mixed workload (closed loop, `--clients`
  concurrent clients, `--saturation-seconds`); phase 2 offers half of that rate open loop (a
  fixed arrival schedule, latency counted from each request's scheduled time, so a stall is not
  hidden by the generator waiting for it) for `--minutes`;
- the mix: single score reads, 100-account batch reads, event ingests (one in five re-sends an
  acknowledged batch, which must come back all duplicates), refreshes of @Twitter (202 and a
  job), and uploads of an X export archive zipped from tests/fixtures (202 and a job); two
  webhook subscriptions (threshold 0 and 1 point) get a delivery whenever a score moves;
- every `--interval` seconds a line: requests, errors, p50/p99 per operation, resident memory
  of the API, worker and Redis processes, CPU of each process and of the whole machine (on a
  shared machine, other work shows), queue depth, deliveries waiting;
- at the end it drains the queue and checks the effects (see `verify`), prints a table, writes
  `--json`, draws `--plot`, and prints PASS or FAIL (exit status 1).

Absolute rates depend on the machine and what else runs on it; the saturation rate measured in
the same run is printed next to them. docs/soak.md explains how to read the output.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
from collections import Counter, deque
from collections.abc import Awaitable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]  # also when imported, not run

from api_bench import HOST, serve  # noqa: E402

from rapport.jobs.arq_queue import ArqJobQueue  # noqa: E402
from rapport.redis_launcher import RedisServer, free_port  # noqa: E402
from rapport.storage import apikeys, keys  # noqa: E402
from tests.jobs.helpers import ARCHIVE_EGO, EGO, HANDLE, TOKEN, zip_archive  # noqa: E402

TENANT = "soak"
PLATFORM = "mastodon"
ACCOUNTS = 100
COUNTERPARTS = 40
EVENTS_PER_BATCH = 10
RESEND_ONE_IN = 5
#: Relative weights of the operations in the mix.
MIX = {"score": 40, "batch100": 15, "ingest": 30, "refresh": 10, "upload": 5}
OPERATIONS = tuple(MIX)
#: Thresholds of the webhook subscriptions: 0 gets every change, 1 only moves of a point.
THRESHOLDS = (0.0, 1.0)
KINDS = ("reply", "like", "mention", "repost", "message", "quote")
MB = 1024 * 1024
#: Memory is flat when it grew by less than this after warm-up, or by less than FLAT_FRACTION.
FLAT_BYTES = 20 * MB
FLAT_FRACTION = 0.10
#: Shorter than this after warm-up, growth says nothing either way: memory is not judged.
MIN_JUDGED_SECONDS = 60
#: In-flight requests beyond which the open loop does not send an arrival and counts it as an
#: error: the service fell behind the offered rate (a real client would have given up). It equals
#: the connection pool, so no request ever waits for a connection inside httpx, whose pool gets
#: slower the more requests wait (the generator would then become the bottleneck).
MAX_IN_FLIGHT = 256


# --- the processes -------------------------------------------------------------------------


@dataclass
class Stack:
    """The running parts and how to reach them."""

    api: str
    redis_url: str
    receiver: str
    key: str
    pids: dict[str, int]
    logs: Path


def _worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    rapport = str(Path(sys.executable).with_name("rapport"))
    with log.open("ab") as err:
        return subprocess.Popen([rapport, "worker"], env=env, stdout=subprocess.DEVNULL, stderr=err)


def _peers() -> tuple[subprocess.Popen[str], dict[str, str]]:
    """Start bench/soak_peers.py; it prints its two URLs once it listens."""
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "soak_peers.py")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit("bench/soak_peers.py did not start")
    urls: dict[str, str] = json.loads(line)
    return process, urls


def _stop(process: subprocess.Popen[Any], timeout: float = 15) -> None:
    """SIGTERM (the worker and uvicorn stop gracefully), SIGKILL when stuck."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def _redis_pid(url: str) -> int:
    import redis as redis_sync

    client = redis_sync.Redis.from_url(url)
    try:
        return int(client.info("server")["process_id"])  # type: ignore[index]
    finally:
        client.close()


def _api_key(url: str) -> str:
    async def create() -> str:
        client = Redis.from_url(url)
        try:
            key, _ = await apikeys.create(client, TENANT, now=time.time())
            return key
        finally:
            await client.aclose()

    return asyncio.run(create())


@contextlib.contextmanager
def running_stack(tmp: Path, log_level: str) -> Iterator[Stack]:
    """Redis, the peers, the worker and the API, all on loopback; stopped in reverse order."""
    uploads = tmp / "uploads"
    uploads.mkdir()
    with contextlib.ExitStack() as stack:
        redis = stack.enter_context(RedisServer(tmp / "redis", unix_socket=True))
        peers, urls = _peers()
        stack.callback(_close_peers, peers)
        common = {
            "RAPPORT_REDIS_URL": redis.url,
            "RAPPORT_UPLOAD_DIR": str(uploads),
            "RAPPORT_WEBHOOK_ALLOW_PRIVATE": "1",
            "RAPPORT_RATE_LIMIT_PER_MINUTE": str(10**9),
            "RAPPORT_PLUGINS_ALLOW": "twitter",
            "RAPPORT_LOG_LEVEL": log_level,
        }
        clean = {k: v for k, v in os.environ.items() if not k.startswith("RAPPORT_")}
        worker_env = {
            **clean,
            **common,
            "RAPPORT_LOG_LEVEL": "WARNING",
            "RAPPORT_TWITTER_BASE_URL": urls["platform"],
            "RAPPORT_TWITTER_TOKEN": TOKEN,
        }
        worker = _worker(worker_env, tmp / "worker.log")
        stack.callback(_stop, worker)
        port = free_port()
        api = serve(["rapport.api.asgi:app_factory"], port, {**clean, **common})
        stack.callback(_stop, api)
        yield Stack(
            api=f"http://{HOST}:{port}",
            redis_url=redis.url,
            receiver=urls["receiver"],
            key=_api_key(redis.url),
            pids={
                "api": api.pid,
                "worker": worker.pid,
                "redis": _redis_pid(redis.url),
                "peers": peers.pid,
                "generator": os.getpid(),
            },
            logs=tmp,
        )


def _close_peers(process: subprocess.Popen[str]) -> None:
    if process.stdin is not None:
        process.stdin.close()
    _stop(process, 5)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far, from /proc (None once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_seconds() -> float:
    """CPU time all cores spent on anything but idling, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int | None:
    """Resident set size of a process from /proc (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


# --- the workload ---------------------------------------------------------------------------


class UnexpectedAnswerError(Exception):
    """A response the soak did not expect (status or body)."""


@dataclass
class Sent:
    """What the load generator sent, to check the effects against at the end."""

    events: Counter[str] = field(default_factory=Counter)
    uncertain: Counter[str] = field(default_factory=Counter)
    next_seq: Counter[str] = field(default_factory=Counter)
    acked: deque[tuple[str, bytes]] = field(default_factory=lambda: deque(maxlen=200))
    resent: int = 0
    uploads: list[str] = field(default_factory=list)
    refreshes_created: int = 0
    refreshes_joined: int = 0


def account_name(i: int) -> str:
    return f"soak{i}@example.social"


def events_body(account: str, first: int, count: int, now: datetime) -> bytes:
    """`count` fresh events of `account` (ids `first`...), as a JSON array."""
    rng = random.Random(f"{account}:{first}")
    events = [
        {
            "platform": PLATFORM,
            "ego": account,
            "counterpart": f"peer{rng.randrange(COUNTERPARTS)}@example.social",
            "direction": rng.choice(("in", "out")),
            "kind": rng.choice(KINDS),
            "at": (now - timedelta(seconds=rng.uniform(0, 3600))).isoformat(),
            "event_id": f"{account}#{first + n}",
            "text_len": rng.randrange(10, 300),
        }
        for n in range(count)
    ]
    return json.dumps(events).encode()


class Workload:
    """The mixed operations, each one request checked for its status and, for ingest, for
    exactly-once counts; `UnexpectedAnswerError` for anything else."""

    def __init__(self, client: httpx.AsyncClient, archive: bytes, seed: int) -> None:
        self.client = client
        self.archive = archive
        self.rng = random.Random(seed)
        self.sent = Sent()
        accounts = [{"platform": PLATFORM, "account": account_name(i)} for i in range(ACCOUNTS)]
        self.batch = json.dumps({"accounts": accounts}).encode()
        self.weights = [MIX[o] for o in OPERATIONS]

    def pick(self) -> str:
        return self.rng.choices(OPERATIONS, self.weights)[0]

    async def run(self, operation: str) -> None:
        await getattr(self, "op_" + operation)()

    async def _expect(self, response: httpx.Response, status: int) -> Any:
        if response.status_code != status:
            raise UnexpectedAnswerError(f"HTTP {response.status_code}: {response.text[:200]}")
        return response.json()

    async def op_score(self) -> None:
        account = account_name(self.rng.randrange(ACCOUNTS))
        r = await self.client.get(f"/v1/accounts/{PLATFORM}/{account}/score", params={"top": 5})
        await self._expect(r, 200)

    async def op_batch100(self) -> None:
        r = await self.client.post(
            "/v1/scores/batch", content=self.batch, headers={"Content-Type": "application/json"}
        )
        doc = await self._expect(r, 200)
        if sum(item["status"] == "ok" for item in doc["results"]) != ACCOUNTS:
            raise UnexpectedAnswerError("batch: not every account has a score")

    async def op_ingest(self) -> None:
        if self.sent.acked and self.rng.randrange(RESEND_ONE_IN) == 0:
            await self._resend()
            return
        account = account_name(self.rng.randrange(ACCOUNTS))
        first = self.sent.next_seq[account]
        self.sent.next_seq[account] += EVENTS_PER_BATCH
        body = events_body(account, first, EVENTS_PER_BATCH, datetime.now(UTC))
        try:
            doc = await self._post_events(body)
        except BaseException:
            self.sent.uncertain[account] += EVENTS_PER_BATCH
            raise
        self.sent.events[account] += EVENTS_PER_BATCH
        if (doc["accepted"], doc["duplicates"]) != (EVENTS_PER_BATCH, 0):
            raise UnexpectedAnswerError(f"ingest of new events: {doc['accepted']} accepted")
        self.sent.acked.append((account, body))

    async def _resend(self) -> None:
        _, body = self.rng.choice(self.sent.acked)
        doc = await self._post_events(body)
        self.sent.resent += 1
        if (doc["accepted"], doc["duplicates"]) != (0, EVENTS_PER_BATCH):
            raise UnexpectedAnswerError(f"re-sent batch: {doc['accepted']} accepted again")

    async def _post_events(self, body: bytes) -> Any:
        r = await self.client.post(
            "/v1/ingest", content=body, headers={"Content-Type": "application/json"}
        )
        return await self._expect(r, 200)

    async def op_refresh(self) -> None:
        r = await self.client.post(f"/v1/accounts/twitter/{HANDLE}/refresh")
        doc = await self._expect(r, 202)
        if doc["created"]:
            self.sent.refreshes_created += 1
        else:
            self.sent.refreshes_joined += 1

    async def op_upload(self) -> None:
        r = await self.client.post(
            f"/v1/accounts/twitter/{ARCHIVE_EGO}/archive",
            content=self.archive,
            headers={"Content-Type": "application/zip"},
        )
        doc = await self._expect(r, 202)
        self.sent.uploads.append(doc["job_id"])


# --- measuring ------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float | None:
    """The `q` quantile (nearest rank) of `values`, or None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


@dataclass
class Window:
    """Latencies (seconds) and errors of one interval, per operation."""

    latencies: dict[str, list[float]] = field(default_factory=dict)
    errors: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    not_sent: int = 0

    def ok(self, operation: str, seconds: float) -> None:
        self.latencies.setdefault(operation, []).append(seconds)

    def failed(self, operation: str, seconds: float, reason: str) -> None:
        self.ok(operation, seconds)
        self.errors[operation] += 1
        if len(self.samples) < 10:
            self.samples.append(f"{operation}: {reason}")

    def refused(self, operation: str) -> None:
        """An arrival not sent because MAX_IN_FLIGHT requests were waiting. Not an error of the
        service (no request was made, so it has no status and no latency): the service, or a
        machine busy with other work, fell behind the offered rate. Counted apart."""
        self.not_sent += 1
        if self.not_sent == 1 and len(self.samples) < 10:
            self.samples.append(f"{operation}: not sent, {MAX_IN_FLIGHT} requests in flight")

    def summary(self) -> dict[str, dict[str, float | int | None]]:
        out: dict[str, dict[str, float | int | None]] = {}
        for operation in OPERATIONS:
            values = self.latencies.get(operation, [])
            p50, p99 = percentile(values, 0.50), percentile(values, 0.99)
            out[operation] = {
                "requests": len(values),
                "errors": self.errors[operation],
                "p50_ms": None if p50 is None else round(p50 * 1000, 2),
                "p99_ms": None if p99 is None else round(p99 * 1000, 2),
            }
        return out


class Meter:
    """Times operations into the current window; `rotate` hands it over for a report."""

    def __init__(self, workload: Workload) -> None:
        self.workload = workload
        self.window = Window()
        #: Every latency of each phase, per operation, for the whole-phase percentiles.
        self.history: dict[str, dict[str, list[float]]] = {}
        self.in_flight = 0

    async def timed(self, operation: str, started: float) -> None:
        """Run one operation; its latency counts from `started` (the scheduled time in the
        open loop, so a request that waited for a slot is not hidden)."""
        self.in_flight += 1
        try:
            await self.workload.run(operation)
        except UnexpectedAnswerError as exc:
            self.window.failed(operation, time.perf_counter() - started, str(exc))
        except httpx.HTTPError as exc:
            self.window.failed(operation, time.perf_counter() - started, repr(exc))
        else:
            self.window.ok(operation, time.perf_counter() - started)
        finally:
            self.in_flight -= 1

    def rotate(self) -> Window:
        window, self.window = self.window, Window()
        return window


async def closed_loop(meter: Meter, clients: int, seconds: float) -> None:
    """`clients` loops, each sending its next request as soon as the last one answered."""
    deadline = time.perf_counter() + seconds

    async def client() -> None:
        while time.perf_counter() < deadline:
            await meter.timed(meter.workload.pick(), time.perf_counter())

    await asyncio.gather(*(client() for _ in range(clients)))


async def open_loop(meter: Meter, rate: float, seconds: float) -> None:
    """Arrivals on a fixed schedule (`rate` per second), whatever the answers' speed."""
    start = time.perf_counter()
    tasks: set[asyncio.Task[None]] = set()
    n = 0
    while (due := start + n / rate) < start + seconds:
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        operation = meter.workload.pick()
        n += 1
        if meter.in_flight >= MAX_IN_FLIGHT:
            meter.window.refused(operation)
            continue
        task = asyncio.create_task(meter.timed(operation, due))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
    if tasks:
        await asyncio.gather(*tasks)


# --- sampling the system --------------------------------------------------------------------


class Probe:
    """Reads what the system holds: memory of the processes, queue, deliveries, receiver."""

    def __init__(self, stack: Stack, redis: Redis, queue: ArqJobQueue) -> None:
        self.stack = stack
        self.redis = redis
        self.queue = queue
        self.http = httpx.AsyncClient(base_url=stack.receiver, timeout=30)
        self.cpu: dict[str, float | None] = {}
        self.cpu_at = time.perf_counter()
        self.cpu_percent()

    async def deliveries_waiting(self) -> int:
        pending = await self.redis.llen(keys.pending_deliveries())  # type: ignore[misc]
        in_flight = await self.redis.hlen(keys.deliveries_in_flight())  # type: ignore[misc]
        return int(pending) + int(in_flight)

    async def receiver_stats(self) -> dict[str, int]:
        r = await self.http.get("/_stats")
        stats: dict[str, int] = r.json()
        return stats

    def cpu_percent(self) -> dict[str, float | None]:
        """Each process's share of one core since the last call, and the whole machine's
        (`machine`, all cores: 200 is two cores busy): who used the machine. On a shared
        machine `machine` minus the rest is the other work that competed with the soak."""
        now, last_at = time.perf_counter(), self.cpu_at
        used = {name: cpu_seconds(pid) for name, pid in self.stack.pids.items()}
        used["machine"] = machine_busy_seconds()
        out: dict[str, float | None] = {}
        for name, seconds in used.items():
            before = self.cpu.get(name)
            if seconds is None or before is None:
                out[name] = None
            else:
                out[name] = round(100 * (seconds - before) / (now - last_at), 1)
        self.cpu, self.cpu_at = used, now
        return out

    async def sample(self) -> dict[str, Any]:
        return {
            "rss_mb": {
                name: None if (rss := rss_bytes(pid)) is None else round(rss / MB, 1)
                for name, pid in self.stack.pids.items()
            },
            "cpu_pct": self.cpu_percent(),
            "queue_depth": await self.queue.depth(),
            "deliveries_waiting": await self.deliveries_waiting(),
            "receiver": await self.receiver_stats(),
        }


@dataclass
class Interval:
    phase: str
    t: float
    seconds: float
    operations: dict[str, dict[str, float | int | None]]
    rss_mb: dict[str, float | None]
    cpu_pct: dict[str, float | None]
    queue_depth: int
    deliveries_waiting: int
    deliveries_received: int
    not_sent: int
    error_samples: list[str]

    @property
    def requests(self) -> int:
        return sum(int(o["requests"] or 0) for o in self.operations.values())

    @property
    def errors(self) -> int:
        return sum(int(o["errors"] or 0) for o in self.operations.values())


def print_interval(row: Interval) -> None:
    p99 = " ".join(
        f"{name}={_ms(o['p99_ms'])}" for name, o in row.operations.items() if o["requests"]
    )
    rss = " ".join(f"{k}={row.rss_mb[k]}" for k in ("api", "worker", "redis"))
    cpu = " ".join(f"{k}={_ms(v)}" for k, v in row.cpu_pct.items())
    print(
        f"[{row.phase} t={row.t:6.0f}s] req={row.requests:6d} "
        f"({row.requests / row.seconds:6.1f}/s) err={row.errors}"
        + (f" (not sent: {row.not_sent})" if row.not_sent else "")
        + f" p99ms {p99} | RSS MB {rss} | "
        f"CPU% {cpu} | "
        f"queue={row.queue_depth} deliveries waiting={row.deliveries_waiting} "
        f"received={row.deliveries_received}",
        flush=True,
    )
    for sample in row.error_samples:
        print(f"    error: {sample}", flush=True)


def _ms(value: float | int | None) -> str:
    return "-" if value is None else f"{value:.1f}"


async def measured(
    phase: str,
    load: Awaitable[None],
    meter: Meter,
    probe: Probe,
    every: float,
    origin: float,
    rows: list[Interval],
) -> None:
    """Run `load`, closing a reporting interval every `every` seconds and when it ends."""
    task = asyncio.ensure_future(load)
    last = time.perf_counter()
    while True:
        done, _ = await asyncio.wait({task}, timeout=every)
        now = time.perf_counter()
        window = meter.rotate()
        for op, values in window.latencies.items():
            meter.history.setdefault(phase, {}).setdefault(op, []).extend(values)
        sample = await probe.sample()
        row = Interval(
            phase=phase,
            t=round(now - origin, 1),
            seconds=max(now - last, 1e-6),
            operations=window.summary(),
            rss_mb=sample["rss_mb"],
            cpu_pct=sample["cpu_pct"],
            queue_depth=sample["queue_depth"],
            deliveries_waiting=sample["deliveries_waiting"],
            deliveries_received=sample["receiver"]["accepted"],
            not_sent=window.not_sent,
            error_samples=window.samples,
        )
        last = now
        if row.requests or done:
            rows.append(row)
            print_interval(row)
        if done:
            task.result()
            return


# --- set-up, drain and the checks -----------------------------------------------------------


async def wait_job(client: httpx.AsyncClient, job_id: str, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        doc: dict[str, Any] = (await client.get(f"/v1/jobs/{job_id}")).json()
        if doc.get("state") in ("complete", "failed"):
            return doc
        await asyncio.sleep(0.1)
    raise SystemExit(f"set-up job {job_id} did not finish in {timeout:g}s")


async def account_events(client: httpx.AsyncClient) -> dict[tuple[str, str], int]:
    r = await client.get("/v1/accounts", params={"limit": 1000})
    r.raise_for_status()
    return {(a["platform"], a["account"]): a["events"] for a in r.json()["accounts"]}


async def set_up(client: httpx.AsyncClient, stack: Stack, archive: bytes) -> dict[str, Any]:
    """Subscribe the webhooks (first, so each account's deliveries start from its first
    score), give every account a first batch, and run one refresh and one upload to
    completion: what they stored is the baseline later refreshes and uploads must not move."""
    receiver = httpx.AsyncClient(base_url=stack.receiver)
    hooks = []
    for threshold in THRESHOLDS:
        r = await client.post(
            "/v1/webhooks", json={"url": f"{stack.receiver}/hook", "threshold": threshold}
        )
        r.raise_for_status()
        hook = r.json()
        await receiver.post("/_secret", json={"webhook": hook["id"], "secret": hook["secret"]})
        hooks.append({"id": hook["id"], "threshold": threshold})
    await receiver.aclose()
    r = await client.post(f"/v1/accounts/twitter/{HANDLE}/refresh")
    refresh = await wait_job(client, r.json()["job_id"])
    r = await client.post(
        f"/v1/accounts/twitter/{ARCHIVE_EGO}/archive",
        content=archive,
        headers={"Content-Type": "application/zip"},
    )
    upload = await wait_job(client, r.json()["job_id"])
    if refresh["state"] != "complete" or upload["state"] != "complete":
        raise SystemExit(f"set-up jobs failed: {refresh} {upload}")
    counts = await account_events(client)
    return {
        "webhooks": hooks,
        "refresh_events": counts[("twitter", EGO)],
        "archive_events": counts[("twitter", ARCHIVE_EGO)],
    }


async def first_batches(workload: Workload) -> None:
    """One batch per account through the API, so every score read finds a score."""
    for i in range(ACCOUNTS):
        account = account_name(i)
        workload.sent.next_seq[account] = EVENTS_PER_BATCH
        body = events_body(account, 0, EVENTS_PER_BATCH, datetime.now(UTC))
        doc = await workload._post_events(body)
        if doc["accepted"] != EVENTS_PER_BATCH:
            raise SystemExit(f"set-up ingest refused: {doc}")
        workload.sent.events[account] += EVENTS_PER_BATCH


async def drain(probe: Probe, timeout: float) -> float:
    """Wait until no job is queued or running and no delivery waits (the outcome counts stop
    moving); returns the seconds it took."""
    started = time.monotonic()
    last: dict[tuple[str, str], int] | None = None
    while time.monotonic() - started < timeout:
        outcomes = await probe.queue.outcomes()
        idle = await probe.queue.depth() == 0 and await probe.deliveries_waiting() == 0
        if idle and outcomes == last:
            break
        last = outcomes
        await asyncio.sleep(0.5)
    return time.monotonic() - started


def chain_breaks(edges: list[tuple[float | None, float]], current: float | None) -> int:
    """How far an account's deliveries to a threshold-0 webhook are from one unbroken chain.

    Every stored change of the score is delivered as (previous, score), so the deliveries must
    form a path None -> ... -> the current score. Order-free check: every score value is left as
    often as it is reached, except the start (left once more) and the current score (reached
    once more). Each missing or extra delivery unbalances two values; the result is half the
    total imbalance beyond a path's, i.e. at least the number of missing or extra deliveries."""
    net: Counter[float | None] = Counter()
    for previous, score in edges:
        net[previous] += 1
        net[score] -= 1
    if current is None and not edges:
        return 0
    net[None] -= 1
    net[current] += 1
    return sum(abs(v) for v in net.values()) // 2


async def verify(
    client: httpx.AsyncClient, probe: Probe, workload: Workload, baseline: dict[str, Any]
) -> dict[str, Any]:
    """The effects, against what was sent:

    - every acknowledged event counted once: each account's stored event count equals the
      unique events acknowledged (re-sent batches must not count);
    - refreshes and uploads: the accounts they feed hold exactly the events of one run; every
      upload job is complete after one try; refresh jobs completed == refreshes created;
      no job retried; no dead letter;
    - webhooks: no delivery left waiting, none received twice, no bad signature; for the
      threshold-0 subscription each account's deliveries form one chain ending at its
      current score (`chain_breaks`); the threshold-1 subscription got exactly the changes of
      a point or more among those.
    """
    sent = workload.sent
    counts = await account_events(client)
    lost = duplicated = 0
    problems: list[str] = []
    for i in range(ACCOUNTS):
        account = account_name(i)
        have, want = counts.get((PLATFORM, account), 0), sent.events[account]
        if have < want:
            lost += want - have
            problems.append(f"{account}: {have} events stored, {want} acknowledged")
        elif have > want + sent.uncertain[account]:
            duplicated += have - want - sent.uncertain[account]
            problems.append(f"{account}: {have} events stored, {want} acknowledged")
    for label, key in (("refresh", EGO), ("archive", ARCHIVE_EGO)):
        have, want = counts.get(("twitter", key), 0), baseline[f"{label}_events"]
        if have != want:
            duplicated += max(0, have - want)
            lost += max(0, want - have)
            problems.append(f"twitter/{key}: {have} events after {label}s, {want} after one")
    jobs = await _job_checks(client, probe, sent, baseline)
    lost += jobs["lost"]
    duplicated += jobs["duplicated"]
    problems += jobs["problems"]
    hooks = await _webhook_checks(client, probe, baseline)
    lost += hooks["lost"]
    duplicated += hooks["duplicated"]
    problems += hooks["problems"]
    return {
        "events_acknowledged": sum(sent.events.values()),
        "batches_resent": sent.resent,
        "uploads": len(sent.uploads),
        "refreshes_created": sent.refreshes_created,
        "refreshes_joined": sent.refreshes_joined,
        **{k: v for k, v in jobs.items() if k not in ("lost", "duplicated", "problems")},
        **{k: v for k, v in hooks.items() if k not in ("lost", "duplicated", "problems")},
        "lost": lost,
        "duplicated": duplicated,
        "problems": problems[:50],
    }


async def _job_checks(
    client: httpx.AsyncClient, probe: Probe, sent: Sent, baseline: dict[str, Any]
) -> dict[str, Any]:
    lost = duplicated = 0
    problems: list[str] = []
    for job_id in sent.uploads:
        doc = (await client.get(f"/v1/jobs/{job_id}")).json()
        if doc.get("state") != "complete":
            lost += 1
            problems.append(f"upload {job_id}: {doc.get('state')} {doc.get('error')}")
        elif doc["tries"] != 1:
            duplicated += 1
            problems.append(f"upload {job_id}: {doc['tries']} tries")
    outcomes = await probe.queue.outcomes()
    before = baseline["outcomes"]
    delta = {f"{j}:{o}": n - before.get((j, o), 0) for (j, o), n in outcomes.items()}
    refreshed = delta.get("refresh_account:complete", 0)
    if refreshed != sent.refreshes_created:
        lost += max(0, sent.refreshes_created - refreshed)
        duplicated += max(0, refreshed - sent.refreshes_created)
        problems.append(f"{refreshed} refresh jobs completed, {sent.refreshes_created} created")
    troubled = {k: n for k, n in delta.items() if n and not k.endswith(":complete")}
    if troubled:
        problems.append(f"job outcomes other than complete: {troubled}")
    letters = (await client.get("/v1/jobs/dead-letters")).json()["dead_letters"]
    for letter in letters[:10]:
        problems.append(f"dead letter {letter['name']}: {letter['reason']}")
    return {
        "job_outcomes": delta,
        "jobs_not_complete": sum(troubled.values()),
        "dead_letters": len(letters),
        "lost": lost,
        "duplicated": duplicated,
        "problems": problems,
    }


async def _current_scores(
    client: httpx.AsyncClient, accounts: list[tuple[str, str]]
) -> dict[tuple[str, str], float | None]:
    """The stored current score of each account (None when not scored), one batch read."""
    body = {"accounts": [{"platform": p, "account": a} for p, a in accounts]}
    results = (await client.post("/v1/scores/batch", json=body)).json()["results"]
    return {
        (p, a): item.get("score") if item["status"] == "ok" else None
        for (p, a), item in zip(accounts, results, strict=True)
    }


async def _webhook_checks(
    client: httpx.AsyncClient, probe: Probe, baseline: dict[str, Any]
) -> dict[str, Any]:
    report = (await probe.http.get("/_report")).json()
    waiting = await probe.deliveries_waiting()
    hooks = {h["threshold"]: h["id"] for h in baseline["webhooks"]}
    every, moves = hooks[0.0], hooks[1.0]
    chains: dict[tuple[str, str], list[tuple[float | None, float]]] = {}
    changes_of_a_point: set[tuple[Any, ...]] = set()
    got_of_a_point: set[tuple[Any, ...]] = set()
    for _, hook, platform, account, previous, score, as_of in report["deliveries"]:
        change = (platform, account, previous, score, as_of)
        if hook == every:
            chains.setdefault((platform, account), []).append((previous, score))
            if (previous is None and score != 0.0) or abs(score - (previous or 0.0)) >= 1.0:
                changes_of_a_point.add(change)
        elif hook == moves:
            got_of_a_point.add(change)
    counts = await account_events(client)
    accounts = sorted(set(counts) | set(chains))
    current = await _current_scores(client, accounts)
    breaks = {
        f"{p}/{a}": n
        for (p, a) in accounts
        if (n := chain_breaks(chains.get((p, a), []), current.get((p, a))))
    }
    missing = len(changes_of_a_point - got_of_a_point)
    extra = len(got_of_a_point - changes_of_a_point)
    problems = [f"{k}: threshold-0 deliveries {n} away from one chain" for k, n in breaks.items()]
    if missing or extra:
        problems.append(f"threshold-1 webhook: {missing} changes missing, {extra} unexpected")
    if waiting:
        problems.append(f"{waiting} deliveries still waiting after the drain")
    if report["bad_signatures"]:
        problems.append(f"{report['bad_signatures']} deliveries with a bad signature")
    return {
        "deliveries_received": report["accepted"],
        "delivery_posts": report["posts"],
        "deliveries_duplicated": report["duplicates"],
        "bad_signatures": report["bad_signatures"],
        "deliveries_waiting": waiting,
        "chain_breaks": sum(breaks.values()),
        "lost": waiting + sum(breaks.values()) + missing,
        "duplicated": report["duplicates"] + extra,
        "problems": problems,
    }


# --- verdict, table, plot -------------------------------------------------------------------


def memory_verdict(rows: list[Interval], warmup: int) -> dict[str, Any]:
    """API and worker RSS after warm-up vs at the end. Flat: grew less than 20 MB or less than
    10 %, whichever allows more. Why both: a Python process's RSS steps by a few MB as the
    allocator takes arenas and caches fill, so a bare percentage of a ~100 MB process would
    flag noise; over a 10-minute soak (~100k requests) 20 MB is ~200 bytes kept per request,
    which a real leak exceeds. Redis is reported, not judged: it keeps every event ingested
    (retention) and score history, so its memory grows with the data by design."""
    steady = [r for r in rows if r.phase == "soak"]
    if len(steady) < warmup + 2:
        return {"judged": False, "reason": "too short: needs warm-up plus two intervals"}
    first, last = steady[warmup - 1] if warmup else steady[0], steady[-1]
    if last.t - first.t < MIN_JUDGED_SECONDS:
        return {"judged": False, "reason": f"under {MIN_JUDGED_SECONDS} s after warm-up"}
    out: dict[str, Any] = {"judged": True, "from_t": first.t, "to_t": last.t, "flat": True}
    for name in ("api", "worker", "redis"):
        start, end = first.rss_mb.get(name), last.rss_mb.get(name)
        if start is None or end is None:
            out[name] = {"start_mb": start, "end_mb": end}
            out["flat"] = out["flat"] and name == "redis"
            continue
        growth = end - start
        flat = growth * MB < max(FLAT_BYTES, FLAT_FRACTION * start * MB)
        minutes = max((last.t - first.t) / 60, 1e-6)
        out[name] = {
            "start_mb": start,
            "end_mb": end,
            "growth_mb": round(growth, 1),
            "mb_per_minute": round(growth / minutes, 2),
            "judged": name != "redis",
            "flat": flat,
        }
        if name != "redis":
            out["flat"] = out["flat"] and flat
    return out


def totals(
    rows: list[Interval], phase: str, latencies: dict[str, list[float]]
) -> dict[str, dict[str, Any]]:
    """Per operation over a phase: requests, errors, rate, p50 and p99 over every request of
    the phase, and the worst interval's p99 (where a bad minute shows)."""
    chosen = [r for r in rows if r.phase == phase]
    seconds = sum(r.seconds for r in chosen) or 1e-6
    out: dict[str, dict[str, Any]] = {}
    for op in OPERATIONS:
        cells = [r.operations[op] for r in chosen if r.operations[op]["requests"]]
        p99s = [float(c["p99_ms"]) for c in cells if c["p99_ms"] is not None]
        requests = sum(int(c["requests"] or 0) for c in cells)
        p50, p99 = percentile(latencies.get(op, []), 0.5), percentile(latencies.get(op, []), 0.99)
        out[op] = {
            "requests": requests,
            "per_s": round(requests / seconds, 1),
            "errors": sum(int(c["errors"] or 0) for c in cells),
            "p50_ms": None if p50 is None else round(p50 * 1000, 2),
            "p99_ms": None if p99 is None else round(p99 * 1000, 2),
            "p99_ms_worst_interval": max(p99s, default=None),
        }
    return out


def print_report(report: dict[str, Any]) -> None:
    sat, soak = report["saturation"], report["soak"]
    print()
    print(
        f"saturation (closed loop): {_ms(sat['rate'])} req/s; soak offered "
        f"{report['rate']:.1f} req/s for {report['soak_seconds']:.0f} s"
    )
    print(
        f"{'operation':<10}{'req':>8}{'req/s':>8}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'worst p99':>10}{'sat p50':>9}{'sat p99':>9}"
    )
    for op, row in soak["operations"].items():
        s = sat["operations"].get(op, {})
        print(
            f"{op:<10}{row['requests']:>8}{row['per_s']:>8}{row['errors']:>8}"
            f"{_ms(row['p50_ms']):>9}{_ms(row['p99_ms']):>9}"
            f"{_ms(row['p99_ms_worst_interval']):>10}{_ms(s.get('p50_ms')):>9}"
            f"{_ms(s.get('p99_ms')):>9}"
        )
    print("(p50, p99: over every request of the phase; worst p99: the worst interval's)")
    memory = report["memory"]
    if memory["judged"]:
        print(f"memory from t={memory['from_t']:.0f}s to t={memory['to_t']:.0f}s:")
        for name in ("api", "worker", "redis"):
            m = memory[name]
            judged = "flat" if m.get("flat") else "GROWING"
            note = judged if m.get("judged") else "not judged (holds the data)"
            print(
                f"  {name:<7}{_ms(m['start_mb']):>8} -> {_ms(m['end_mb']):>8} MB "
                f"({m.get('growth_mb', 0):+.1f} MB, {m.get('mb_per_minute', 0):+.2f} MB/min) "
                f"{note}"
            )
    else:
        print(f"memory: not judged ({memory['reason']})")
    checks = report["checks"]
    for name in (
        "events_acknowledged",
        "batches_resent",
        "uploads",
        "refreshes_created",
        "deliveries_received",
        "deliveries_duplicated",
        "bad_signatures",
        "chain_breaks",
        "dead_letters",
        "jobs_not_complete",
        "lost",
        "duplicated",
    ):
        print(f"  {name:<24}{checks[name]:>10}")
    for problem in checks["problems"]:
        print(f"  problem: {problem}")
    behind = report["not_sent"]
    note = f" ({behind} arrivals not sent: the service fell behind the rate)" if behind else ""
    print(
        f"errors {report['errors']}{note}, lost {checks['lost']}, duplicated {checks['duplicated']}"
    )
    print(report["verdict"])


def _other_work(row: dict[str, Any]) -> float | None:
    """CPU the machine spent outside the soak's processes in an interval (% of one core)."""
    cpu = row["cpu_pct"]
    if cpu.get("machine") is None or any(v is None for v in cpu.values()):
        return None
    ours = sum(float(v) for k, v in cpu.items() if k != "machine")
    return max(0.0, float(cpu["machine"]) - ours)


def _plot_latency(axis: Any, rows: list[dict[str, Any]]) -> None:
    for op in OPERATIONS:
        points = [(r["t"], r["operations"][op]["p99_ms"]) for r in rows]
        points = [(x, y) for x, y in points if y is not None]
        if points:
            axis.plot(*zip(*points, strict=True), marker=".", label=op)
    axis.set_yscale("log")
    axis.set_ylabel("p99 per interval (ms, log)")
    axis.legend(loc="upper right", fontsize="small", ncol=len(OPERATIONS))


def _plot_memory(axis: Any, rows: list[dict[str, Any]], memory: dict[str, Any]) -> None:
    t = [r["t"] for r in rows]
    for name in ("api", "worker", "redis"):
        axis.plot(t, [r["rss_mb"].get(name) for r in rows], marker=".", label=name)
    if memory["judged"]:
        axis.axvspan(memory["from_t"], memory["to_t"], color="green", alpha=0.06)
        verdict = "flat" if memory["flat"] else "GROWING"
        axis.text(memory["from_t"], 2, f" judged window: API and worker {verdict}", va="bottom")
    axis.set_ylabel("resident memory (MB)")
    axis.set_ylim(bottom=0)
    axis.legend(loc="center left", fontsize="small")


def _plot_cpu(axis: Any, rows: list[dict[str, Any]]) -> None:
    t = [r["t"] for r in rows]
    for name in ("api", "worker", "redis", "generator"):
        axis.plot(t, [r["cpu_pct"].get(name) for r in rows], marker=".", label=name)
    other = [_other_work(r) for r in rows]
    axis.plot(t, other, color="black", linestyle="--", label="other work on the machine")
    axis.set_ylabel("CPU (% of one core)")
    highest = max([v for r in rows for v in r["cpu_pct"].values() if v is not None], default=100)
    axis.set_ylim(0, 1.4 * max(highest, 100))
    axis.legend(loc="upper right", fontsize="small", ncol=5)


def plot(report: dict[str, Any], target: Path) -> None:
    """p99 per operation, RSS per process and CPU per process over time, on one PNG; each
    point is an interval, drawn at its end."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print(
            "--plot needs matplotlib: pip install 'rapport-score[bench]' (or .venv/bin/pip install "
            "matplotlib); the JSON and the table are complete without it",
            file=sys.stderr,
        )
        return
    rows = report["intervals"]
    fig, axes = plt.subplots(3, 1, figsize=(10, 9), sharex=True, height_ratios=[3, 3, 2])
    _plot_latency(axes[0], rows)
    _plot_memory(axes[1], rows, report["memory"])
    _plot_cpu(axes[2], rows)
    axes[2].set_xlabel("seconds since the start of phase 1 (each point: one interval, at its end)")
    soak_start = next((r["t"] - r["seconds"] for r in rows if r["phase"] == "soak"), None)
    for axis in axes:
        if soak_start is not None:
            axis.axvline(soak_start, color="grey", linestyle=":")
        axis.grid(True, alpha=0.3)
    if soak_start is not None:
        above = axes[0].get_xaxis_transform()
        axes[0].text(soak_start, 1.02, " phase 2 (soak) ->", transform=above)
        axes[0].text(soak_start, 1.02, "phase 1 ", ha="right", transform=above)
    sat = report["saturation"]["rate"]
    fig.suptitle(
        f"Rapport soak: {report['rate']:.0f} req/s offered open loop"
        + (f" (half of the measured {sat:.0f} req/s saturation)" if sat else "")
        + f", {report['soak_seconds'] / 60:.1f} min: {report['verdict'].split(':')[0]}"
    )
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target, dpi=100)
    plt.close(fig)
    print(f"plot written to {target}")


# --- main -----------------------------------------------------------------------------------


@dataclass
class Options:
    soak_seconds: float
    rate: float | None
    clients: int
    saturation_seconds: float
    interval: float
    log_level: str
    seed: int
    json: Path | None
    plot: Path | None


def parse(argv: list[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    length = parser.add_mutually_exclusive_group()
    length.add_argument("--minutes", type=float, default=10.0, help="phase 2 length (10)")
    length.add_argument("--seconds", type=float, help="phase 2 length, for short runs")
    parser.add_argument("--rate", type=float, help="offered req/s; skips phase 1")
    parser.add_argument("--clients", type=int, default=16, help="phase 1 clients (16)")
    parser.add_argument("--saturation-seconds", type=float, default=12.0, help="phase 1 (12)")
    parser.add_argument("--interval", type=float, help="report every N s (30; shorter runs: 1/4)")
    parser.add_argument("--log-level", default="INFO", help="the API's RAPPORT_LOG_LEVEL")
    parser.add_argument("--seed", type=int, default=7, help="random seed of the mix")
    parser.add_argument("--json", type=Path, help="write the report as JSON here")
    parser.add_argument("--plot", type=Path, help="draw p99, memory and CPU over time (PNG)")
    args = parser.parse_args(argv)
    seconds = args.seconds if args.seconds is not None else args.minutes * 60
    interval = args.interval or (30.0 if seconds >= 240 else max(1.0, seconds / 4))
    return Options(
        soak_seconds=seconds,
        rate=args.rate,
        clients=args.clients,
        saturation_seconds=args.saturation_seconds,
        interval=interval,
        log_level=args.log_level,
        seed=args.seed,
        json=args.json,
        plot=args.plot,
    )


@dataclass
class Saturation:
    """Phase 1. The API alone answers faster than the service can keep up with: uploads and
    refreshes are 202s whose work waits in the queue. The sustained rate counts the time the
    worker then needs to finish that work (the drain), and is what the soak halves."""

    clients: int
    requests: int
    load_seconds: float
    drain_seconds: float
    api_rate: float
    sustained_rate: float


async def saturate(
    meter: Meter, probe: Probe, opts: Options, origin: float, rows: list[Interval]
) -> Saturation:
    """Closed loop for `--saturation-seconds`, then wait for the queue to drain."""
    # One row for the phase unless the interval is shorter (a row must not end a hair early).
    every = opts.interval if opts.interval < opts.saturation_seconds else 1e9
    load = closed_loop(meter, opts.clients, opts.saturation_seconds)
    await measured("saturation", load, meter, probe, every, origin, rows)
    chosen = [r for r in rows if r.phase == "saturation"]
    requests = sum(r.requests for r in chosen)
    seconds = sum(r.seconds for r in chosen)
    drained = await drain(probe, 300)
    return Saturation(
        clients=opts.clients,
        requests=requests,
        load_seconds=round(seconds, 2),
        drain_seconds=round(drained, 2),
        api_rate=round(requests / seconds, 1),
        sustained_rate=round(requests / (seconds + drained), 1),
    )


def archive_bytes(tmp: Path) -> bytes:
    return zip_archive(tmp / "twitter-archive.zip").read_bytes()


async def soak(stack: Stack, opts: Options, archive: bytes) -> dict[str, Any]:
    # Idle connections are dropped before uvicorn's 5 s keep-alive timeout closes them: reusing
    # one the server is closing at that instant is a ReadError that is nobody's fault.
    limits = httpx.Limits(
        max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT, keepalive_expiry=2.0
    )
    headers = {"Authorization": f"Bearer {stack.key}"}
    redis = Redis.from_url(stack.redis_url)
    queue = ArqJobQueue.from_url(stack.redis_url)
    async with httpx.AsyncClient(
        base_url=stack.api, headers=headers, limits=limits, timeout=60
    ) as client:
        probe = Probe(stack, redis, queue)
        workload = Workload(client, archive, opts.seed)
        baseline = await set_up(client, stack, archive)
        await first_batches(workload)
        await drain(probe, 30)
        baseline["outcomes"] = await queue.outcomes()
        meter = Meter(workload)
        rows: list[Interval] = []
        origin = time.perf_counter()
        saturation = None
        rate = opts.rate
        if rate is None:
            saturation = await saturate(meter, probe, opts, origin, rows)
            rate = saturation.sustained_rate / 2
            print(
                f"saturation: the API took {saturation.api_rate:.1f} req/s; with the "
                f"{saturation.drain_seconds:.1f} s the worker needed to finish what they "
                f"queued, {saturation.sustained_rate:.1f} req/s: the soak offers {rate:.1f}",
                flush=True,
            )
        load = open_loop(meter, rate, opts.soak_seconds)
        await measured("soak", load, meter, probe, opts.interval, origin, rows)
        drained = await drain(probe, 180)
        checks = await verify(client, probe, workload, baseline)
        await probe.http.aclose()
    await queue.aclose()
    await redis.aclose()
    return assemble(opts, rows, meter.history, rate, saturation, drained, checks, baseline)


def assemble(
    opts: Options,
    rows: list[Interval],
    latencies: dict[str, dict[str, list[float]]],
    rate: float,
    saturation: Saturation | None,
    drained: float,
    checks: dict[str, Any],
    baseline: dict[str, Any],
) -> dict[str, Any]:
    warmup = 2 if opts.soak_seconds >= 6 * opts.interval else 1
    memory = memory_verdict(rows, warmup)
    errors = sum(r.errors for r in rows)
    passed = errors == 0 and checks["lost"] == 0 and checks["duplicated"] == 0
    passed = passed and checks["bad_signatures"] == 0 and checks["dead_letters"] == 0
    passed = passed and checks["jobs_not_complete"] == 0
    flat = memory.get("flat", True)
    reasons = [] if passed else ["errors, lost, duplicated or failed work"]
    if not flat:
        reasons.append("API or worker memory grew after warm-up")
    verdict = "PASS" if passed and flat else "FAIL"
    note = "" if memory["judged"] else " (memory not judged: run too short)"
    not_sent = sum(r.not_sent for r in rows)
    if not_sent:
        behind = sum(1 for r in rows if r.not_sent)
        note += (
            f" (fell behind the offered rate in {behind} interval(s): {not_sent} arrivals "
            "not sent; see other work in the CPU figures)"
        )
    return {
        "machine": f"{os.cpu_count()} cpus, {sys.platform}, python {sys.version.split()[0]}",
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "mix": MIX,
        "rate": rate,
        "soak_seconds": opts.soak_seconds,
        "interval_seconds": opts.interval,
        "saturation": {
            **(asdict(saturation) if saturation else {}),
            "rate": saturation.sustained_rate if saturation else None,
            "operations": totals(rows, "saturation", latencies.get("saturation", {})),
        },
        "soak": {"operations": totals(rows, "soak", latencies.get("soak", {}))},
        "drain_seconds": round(drained, 1),
        "errors": errors,
        "not_sent": not_sent,
        "memory": memory,
        "checks": checks,
        "webhooks": baseline["webhooks"],
        "intervals": [{**asdict(r), "requests": r.requests, "errors": r.errors} for r in rows],
        "passed": verdict == "PASS",
        "verdict": f"{verdict}: " + ("; ".join(reasons) if reasons else "all checks held") + note,
    }


def main(argv: list[str] | None = None) -> int:
    opts = parse(argv)
    with tempfile.TemporaryDirectory(prefix="rapport-soak-") as name:
        tmp = Path(name)
        archive = archive_bytes(tmp)
        with running_stack(tmp, opts.log_level) as stack:
            report = asyncio.run(soak(stack, opts, archive))
            log = (tmp / "worker.log").read_text(errors="replace")[-2000:]
    if log.strip():
        report["worker_log_tail"] = log
    print_report(report)
    if opts.json:
        opts.json.write_text(json.dumps(report, indent=2) + "\n")
    if opts.plot:
        plot(report, opts.plot)
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
