"""Scoring API throughput and latency, as ratios to a bare litestar endpoint.

    .venv/bin/python bench/api_bench.py                          # ~2 minutes; a table and JSON
    .venv/bin/python bench/api_bench.py --seconds 2 --rounds 1   # quicker

What it does, all on loopback (127.0.0.1) and bounded in time:
1. starts a private redis-server (rapport.redis_launcher, unix socket) and seeds it through the
   storage layer: one tenant, 100 accounts with 40 relationships each, scored;
2. serves, side by side (each idle while another is driven) and with identical uvicorn
   settings (one worker, uvloop and httptools when installed, no uvicorn access log):
   (a) a bare litestar app whose only route returns a constant msgspec Struct;
   (a') the same with a Struct as large as the score document (payload cost apart from the
   app's); (b) the Rapport app (`rapport.api.asgi:app_factory`, its own JSON access log on at
   the default INFO level) as configured by default; (b') the same with the score cache off
   (every read goes to Redis: what a read costs when the cache cannot help);
3. drives each with `wrk` (saturation: requests/s, p50, p99 at a fixed number of connections)
   and `hey -q` (a paced run at 70 % of the endpoint's own saturation rate: p50 and p99);
4. repeats that in rounds (every endpoint once per round, all servers up throughout), takes
   each ratio per round and reports the median: load from elsewhere on a shared machine then
   hits a round, not one endpoint;
5. reports the single-score GET and the 100-account batch as ratios to the bare endpoint.

`wrk` and `hey` are Debian packages (`scripts/bench` installs them when missing); the load
generator shares the machine's cores with the server, which is why only ratios measured in the
same run mean much.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec
from litestar import Litestar, get
from litestar.serialization import encode_json
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rapport.metric import MetricConfig  # noqa: E402
from rapport.model import AccountRef, Direction, Interaction, Kind  # noqa: E402
from rapport.redis_launcher import RedisServer, free_port  # noqa: E402
from rapport.storage import apikeys, scores  # noqa: E402
from rapport.storage.ingest import ingest  # noqa: E402

HOST = "127.0.0.1"
ACCOUNTS = 100
RELATIONSHIPS = 40
EVENTS_PER_RELATIONSHIP = 6


class Constant(msgspec.Struct):
    status: str
    score: float
    genuine_connections: int


_CONSTANT = Constant(status="ok", score=42.0, genuine_connections=7)


@get("/bare")
async def bare() -> Constant:
    return _CONSTANT


def bare_app() -> Litestar:
    """The baseline: litestar, one route, a constant Struct, nothing else."""
    return Litestar(route_handlers=[bare])


class Padded(msgspec.Struct):
    status: str
    padding: str


def bare_sized_app() -> Litestar:
    """A second baseline: the same bare route, but its constant Struct is as large as the score
    document (`BENCH_BODY_BYTES`), so payload cost (copies, wrk parsing) and the app's own
    cost can be told apart."""
    size = int(os.environ.get("BENCH_BODY_BYTES", "100"))
    constant = Padded(status="ok", padding="x" * max(0, size - 30))

    @get("/bare")
    async def sized() -> Padded:
        return constant

    return Litestar(route_handlers=[sized])


@dataclass
class Run:
    name: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


def _events(account: str) -> list[Interaction]:
    t0 = datetime(2026, 1, 1, tzinfo=UTC)
    kinds = [Kind.REPLY, Kind.LIKE, Kind.MESSAGE, Kind.MENTION, Kind.REPOST, Kind.QUOTE]
    out = []
    for r in range(RELATIONSHIPS):
        for e in range(EVENTS_PER_RELATIONSHIP):
            out.append(
                Interaction(
                    platform="mastodon",
                    ego=account,
                    counterpart=f"peer{r}",
                    direction=Direction.OUT if (r + e) % 2 else Direction.IN,
                    kind=kinds[(r + e) % len(kinds)],
                    at=t0 + timedelta(days=(r * 3 + e * 5) % 300, hours=e),
                    event_id=f"{account}-{r}-{e}",
                    text_len=40,
                )
            )
    return out


async def seed(url: str) -> str:
    client = Redis.from_url(url)
    try:
        key, _ = await apikeys.create(client, "bench", now=time.time())
        config = MetricConfig()
        now = time.time()
        for i in range(ACCOUNTS):
            account = f"user{i}"
            await ingest(
                client,
                "bench",
                _events(account),
                now=now,
                config=config,
                max_ids=1_000_000,
                events_retention_days=3650,
            )
            await scores.refresh(
                client,
                "bench",
                AccountRef("mastodon", account),
                now=now,
                config=config,
                history_len=10,
            )
        return key
    finally:
        await client.aclose()


async def document_size(url: str, account: str = "user7") -> int:
    """Bytes of the score document the score GET sends (what `bare_sized_app` mimics)."""
    client = Redis.from_url(url)
    try:
        report = await scores.get_current(client, "bench", AccountRef("mastodon", account))
    finally:
        await client.aclose()
    assert report is not None, "seed() first"
    return len(encode_json(report))


def serve(target: list[str], port: int, env: dict[str, str]) -> subprocess.Popen[bytes]:
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        *target,
        "--factory",
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
        "--no-access-log",
        "--log-level",
        "warning",
    ]
    try:
        import httptools  # noqa: F401
        import uvloop  # noqa: F401

        args += ["--loop", "uvloop", "--http", "httptools"]
    except ImportError:
        pass
    process = subprocess.Popen(
        args, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(
                f"http://{HOST}:{port}/healthz"
                if "asgi" in target[0]
                else f"http://{HOST}:{port}/bare",
                timeout=1,
            )
            return process
        except httpx.TransportError:
            if process.poll() is not None:
                break
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"server {target} did not start")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s)", text.strip())
    if not match:
        raise ValueError(f"cannot read latency {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def wrk(
    name: str, url: str, seconds: int, connections: int, headers: dict[str, str], body: bytes | None
) -> Run:
    lua = None
    args = ["wrk", "-t", "1", "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    if body is not None:
        lua = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)  # noqa: SIM115
        lua.write(f"wrk.method = 'POST'\nwrk.body = {json.dumps(body.decode())}\n")
        lua.close()
        args += ["-s", lua.name]
    try:
        out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    finally:
        if lua is not None:
            os.unlink(lua.name)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    # Only the latency-distribution lines: "87.50%" in the Stdev column must not match.
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors:.*", out)
    errors = int(bad.group(1)) if bad else 0
    if socket_errors:
        errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(0)))
    return Run(name, rps, p50, p99, errors)


def hey(
    name: str,
    url: str,
    seconds: int,
    rate: float,
    headers: dict[str, str],
    body: bytes | None,
) -> Run:
    workers = 8
    args = ["hey", "-z", f"{seconds}s", "-c", str(workers), "-q", f"{rate / workers:.1f}"]
    for key, value in headers.items():
        args += ["-H", f"{key}: {value}"]
    if body is not None:
        args += ["-m", "POST", "-d", body.decode()]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = float(re.search(r"50% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    p99 = float(re.search(r"99% in ([\d.]+) secs", out).group(1)) * 1000  # type: ignore[union-attr]
    statuses = dict(re.findall(r"\[(\d{3})\]\s+(\d+) responses", out))
    errors = sum(int(n) for code, n in statuses.items() if not code.startswith("2"))
    return Run(name, rps, p50, p99, errors)


@dataclass
class Target:
    name: str
    server: str  # which server answers it
    path: str
    headers: dict[str, str]
    body: bytes | None


def _median_run(name: str, runs: list[Run]) -> Run:
    return Run(
        name,
        statistics.median(r.rps for r in runs),
        statistics.median(r.p50_ms for r in runs),
        statistics.median(r.p99_ms for r in runs),
        sum(r.errors for r in runs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=4, help="length of each run (max 30)")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="rounds; each drives every endpoint in turn, and ratios are taken per round, "
        "then the median (so a burst of load from elsewhere hits one round, not one endpoint)",
    )
    parser.add_argument("--connections", type=int, default=16, help="wrk connections")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--log-level",
        default="INFO",
        help="RAPPORT_LOG_LEVEL of the Rapport server (INFO logs "
        "one JSON line per request, as in production)",
    )
    opts = parser.parse_args()
    seconds = max(1, min(opts.seconds, 30))
    rounds = max(1, min(opts.rounds, 10))
    for tool in ("wrk", "hey"):
        if shutil.which(tool) is None:
            raise SystemExit(
                f"{tool} not found: scripts/bench installs it (apt-get install {tool})"
            )

    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp, unix_socket=True) as redis:
        key = asyncio.run(seed(redis.url))
        auth = {"Authorization": f"Bearer {key}"}
        batch = msgspec.json.encode(
            {"accounts": [{"platform": "mastodon", "account": f"user{i}"} for i in range(100)]}
        )
        env = {
            "RAPPORT_REDIS_URL": redis.url,
            "RAPPORT_RATE_LIMIT_PER_MINUTE": str(10**9),
            "RAPPORT_PLUGINS_ALLOW": "none",
            "RAPPORT_LOG_LEVEL": opts.log_level,
            "BENCH_BODY_BYTES": str(asyncio.run(document_size(redis.url))),
        }
        bench_dir = ["--app-dir", str(ROOT / "bench")]
        rapport = ["rapport.api.asgi:app_factory"]
        servers = {
            "bare": ([*bench_dir, "api_bench:bare_app"], env),
            "bare_sized": ([*bench_dir, "api_bench:bare_sized_app"], env),
            "rapport": (rapport, env),
            # Every read goes to Redis: what a read costs when the cache cannot help.
            "rapport_uncached": (rapport, {**env, "RAPPORT_SCORE_CACHE_SECONDS": "0"}),
        }
        targets = [
            Target("bare", "bare", "/bare", {}, None),
            Target("bare_sized", "bare_sized", "/bare", {}, None),
            Target("score", "rapport", "/v1/accounts/mastodon/user7/score", auth, None),
            Target(
                "score_uncached",
                "rapport_uncached",
                "/v1/accounts/mastodon/user7/score",
                auth,
                None,
            ),
            Target(
                "batch100",
                "rapport",
                "/v1/scores/batch",
                {**auth, "Content-Type": "application/json"},
                batch,
            ),
        ]
        ports = {name: free_port() for name in servers}
        processes = [
            serve(args, ports[name], server_env) for name, (args, server_env) in servers.items()
        ]
        saturated: dict[str, list[Run]] = {t.name: [] for t in targets}
        paced: dict[str, list[Run]] = {t.name: [] for t in targets}
        try:
            urls = {t.name: f"http://{HOST}:{ports[t.server]}{t.path}" for t in targets}
            for t in targets:
                check = httpx.request(
                    "POST" if t.body else "GET", urls[t.name], headers=t.headers, content=t.body
                )
                check.raise_for_status()
                wrk(t.name, urls[t.name], 1, opts.connections, t.headers, t.body)  # warm-up
            for _ in range(rounds):
                for t in targets:
                    run = wrk(t.name, urls[t.name], seconds, opts.connections, t.headers, t.body)
                    saturated[t.name].append(run)
            for _ in range(rounds):
                for t in targets:
                    rate = 0.7 * statistics.median(r.rps for r in saturated[t.name])
                    paced[t.name].append(
                        hey(t.name, urls[t.name], seconds, rate, t.headers, t.body)
                    )
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(10)

    def ratio(a: str, b: str, runs: dict[str, list[Run]], field: str = "rps") -> float:
        per_round = [
            getattr(x, field) / getattr(y, field) for x, y in zip(runs[a], runs[b], strict=True)
        ]
        return statistics.median(per_round)

    results: dict[str, Run] = {}
    for t in targets:
        results[t.name] = _median_run(t.name, saturated[t.name])
        results[t.name + "@70%"] = _median_run(t.name + "@70%", paced[t.name])
    report = {
        "machine": f"{os.cpu_count()} cpus, {sys.platform}, python {sys.version.split()[0]}",
        "seconds_per_run": seconds,
        "rounds": rounds,
        "connections": opts.connections,
        "log_level": opts.log_level,
        "document_bytes": int(env["BENCH_BODY_BYTES"]),
        "runs": {name: asdict(run) for name, run in results.items()},
        "rounds_raw": {
            name: [asdict(r) for r in saturated[name] + paced[name]] for name in saturated
        },
        "ratios": {
            "score_rps_vs_bare": ratio("score", "bare", saturated),
            "score_rps_vs_same_size_bare": ratio("score", "bare_sized", saturated),
            "same_size_bare_rps_vs_bare": ratio("bare_sized", "bare", saturated),
            "score_uncached_rps_vs_bare": ratio("score_uncached", "bare", saturated),
            "batch100_rps_vs_bare": ratio("batch100", "bare", saturated),
            "batch100_scores_per_s": results["batch100"].rps * 100,
            "score_p99_at_70pct_vs_bare": ratio("score", "bare", paced, "p99_ms"),
            "score_uncached_p99_at_70pct_vs_bare": ratio("score_uncached", "bare", paced, "p99_ms"),
            "batch100_p99_at_70pct_vs_bare": ratio("batch100", "bare", paced, "p99_ms"),
        },
    }
    print(f"{'run (median of rounds)':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, run in results.items():
        print(f"{name:<24}{run.rps:>10.0f}{run.p50_ms:>9.2f}{run.p99_ms:>9.2f}{run.errors:>8}")
    for name, value in report["ratios"].items():  # type: ignore[union-attr]
        print(f"{name:<32}{value:>12.3f}")
    text = json.dumps(report, indent=2)
    print(text)
    if opts.json:
        opts.json.write_text(text + "\n")


if __name__ == "__main__":
    main()
