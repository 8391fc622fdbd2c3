"""The performance report: runs the benchmarks, draws the figures, rewrites docs/performance.md.

    scripts/bench            # the full run, about 7 minutes on 2 cores
    scripts/bench --quick    # a smoke run, about 2 minutes: fewer seconds per point

It writes docs/img/perf-throughput.png, perf-latency.png, perf-recompute.png, the raw results
as docs/img/perf.json, and the section of docs/performance.md between `<!-- report:begin -->`
and `<!-- report:end -->` (the rest of that file is written by hand). Measurements:

(a) throughput against concurrency: `wrk` at 1-64 connections against the bare litestar
    endpoint, the single score GET and the 100-account batch (bench/api_bench.py's servers,
    seed and wrk), as ratios to the bare endpoint at the same concurrency;
(b) latency percentiles at 70 % of each endpoint's own saturation (its best rate in (a)), paced
    by `hey -q` like api_bench, read from hey's per-request CSV because hey's printed
    distribution stops at p99;
(c) recompute cost against the number of relationships, in memory and through Redis, each with
    a baseline that only reads the same aggregates, and the log-log slope of each curve;
(d) bench/metric_bench.py and bench/jobs_bench.py, run as scripts and parsed.

Every figure is a ratio to a baseline measured in the same run: the machines are shared and
noisy, so absolute numbers move between runs and only the ratios compare.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import msgspec
import numpy as np
from redis.asyncio import Redis

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from api_bench import HOST, seed, serve, wrk  # noqa: E402

from rapport.metric import (  # noqa: E402
    MetricConfig,
    RelationshipAggregate,
    RelationshipTable,
    score_table,
)
from rapport.model import AccountRef  # noqa: E402
from rapport.redis_launcher import RedisServer, free_port  # noqa: E402
from rapport.storage import keys, scores  # noqa: E402
from rapport.storage.records import decode, encode  # noqa: E402

BEGIN = "<!-- report:begin -->"
END = "<!-- report:end -->"
DOC = ROOT / "docs" / "performance.md"
IMG = ROOT / "docs" / "img"
CONNECTIONS = (1, 2, 4, 8, 16, 32, 64)
PERCENTILES = (50.0, 90.0, 99.0, 99.9)
PACED_SHARE = 0.7
HEY_WORKERS = 8  # as api_bench.hey
BATCH_SIZE = 100
ENDPOINTS = ("bare", "score", "score_uncached", "batch")


@dataclass(frozen=True)
class Plan:
    """How long each measurement runs: the full run and the smoke run differ only here."""

    name: str
    wrk_seconds: int
    hey_seconds: int
    sizes: tuple[int, ...]
    min_repeat: int
    metric_args: tuple[str, ...]
    jobs_args: tuple[str, ...]


FULL = Plan(
    name="full",
    wrk_seconds=6,
    hey_seconds=15,
    sizes=(1_000, 3_000, 10_000, 30_000, 100_000, 300_000),
    min_repeat=5,
    metric_args=("--events", "1000000", "--relationships", "100000", "--repeat", "3"),
    jobs_args=("--noop", "3000", "--refresh", "150", "--events", "200000", "--batch", "20000"),
)
QUICK = Plan(
    name="quick",
    wrk_seconds=2,
    hey_seconds=3,
    sizes=(1_000, 3_000, 10_000, 30_000, 100_000),
    min_repeat=2,
    metric_args=("--events", "200000", "--relationships", "100000", "--repeat", "1"),
    jobs_args=("--noop", "300", "--refresh", "20", "--events", "40000", "--batch", "10000"),
)


# --- results ------------------------------------------------------------------------------


@dataclass
class SweepPoint:
    """One wrk run: an endpoint saturated by a given number of connections."""

    endpoint: str
    connections: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int


@dataclass
class Paced:
    """One hey run paced at a share of the endpoint's saturation rate."""

    endpoint: str
    saturation_rps: float
    asked_rps: float
    achieved_rps: float
    percentiles_ms: dict[str, float]
    samples: int
    errors: int


@dataclass
class SizePoint:
    """Recompute cost for one account of `relationships` relationships (medians, ms)."""

    relationships: int
    recompute_ms: float  # RelationshipTable.from_aggregates + score_table, decoded aggregates
    decode_ms: float  # baseline: msgpack-decode the same aggregates
    stored_ms: float  # rapport.storage.scores.compute against Redis (HVALS..score)
    hvals_ms: float  # baseline: HVALS of the same hash
    stored_no_gc_ms: float  # the stored path again with Python's cyclic GC paused


@dataclass
class Fit:
    """log10(ms) = slope * log10(relationships) + intercept, over the sizes it was fitted on."""

    slope: float
    intercept: float
    sizes: list[int]


@dataclass
class Figure:
    """One line of another bench script's output: a figure and the baseline it printed."""

    source: str
    name: str
    value: float
    unit: str
    baseline_name: str
    baseline: float

    @property
    def ratio(self) -> float:
        return self.value / self.baseline


@dataclass
class Target:
    """A performance target of the issues and whether this run met it."""

    area: str
    target: str
    measured: str
    met: bool


@dataclass
class Results:
    plan: str
    command: str
    date: str
    machine: dict[str, Any]
    sweep: list[SweepPoint] = field(default_factory=list)
    paced: list[Paced] = field(default_factory=list)
    sizes: list[SizePoint] = field(default_factory=list)
    fits: dict[str, Fit] = field(default_factory=dict)
    figures: list[Figure] = field(default_factory=list)
    targets: list[Target] = field(default_factory=list)


# --- pure parts (tested in tests/bench/test_report.py) -------------------------------------


def parse_hey_csv(text: str) -> tuple[list[float], list[int]]:
    """Latencies (ms) and status codes from `hey -o csv`, one row per completed request.

    The CSV rather than hey's summary because the summary's distribution stops at p99; hey
    writes seconds with four decimals, so latencies are resolved to 0.1 ms.
    """
    lines = text.strip().splitlines()
    if not lines or not lines[0].startswith("response-time,"):
        raise ValueError("not hey CSV output (no response-time header)")
    columns = lines[0].split(",")
    at, status = columns.index("response-time"), columns.index("status-code")
    latencies, statuses = [], []
    for line in lines[1:]:
        cells = line.split(",")
        latencies.append(float(cells[at]) * 1000.0)
        statuses.append(int(cells[status]))
    return latencies, statuses


def percentiles(latencies_ms: Sequence[float], points: Sequence[float]) -> dict[str, float]:
    """Named percentiles ("p99.9") of a latency sample; NaN for an empty one."""
    names = [f"p{p:g}" for p in points]
    if not latencies_ms:
        return dict.fromkeys(names, float("nan"))
    values = np.percentile(np.asarray(latencies_ms), list(points))
    return {name: float(v) for name, v in zip(names, values, strict=True)}


def loglog_fit(sizes: Sequence[int], millis: Sequence[float]) -> Fit:
    """Least-squares line through (log10 size, log10 ms): a slope of 1 is linear growth."""
    slope, intercept = np.polyfit(np.log10(sizes), np.log10(millis), 1)
    return Fit(slope=float(slope), intercept=float(intercept), sizes=list(sizes))


_NUMBER = r"([\d,]+(?:\.\d+)?)"


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def parse_metric_bench(text: str) -> list[Figure]:
    """The two figures bench/metric_bench.py prints, each with its baseline."""
    src = "metric_bench"

    def grab(pattern: str) -> re.Match[str]:
        match = re.search(pattern, text, re.MULTILINE)
        if match is None:
            raise ValueError(f"metric_bench output lacks {pattern!r}")
        return match

    base = _number(grab(rf"^baseline \(sum weights per counterpart\):\s+{_NUMBER}").group(1))
    ours = _number(grab(rf"^ingest \+ score:\s+{_NUMBER} events/s").group(1))
    scored = grab(rf"^score one account, {_NUMBER} relationships:\s+{_NUMBER} ms")
    loop = _number(grab(rf"^baseline \(python loop[^)]*\):\s+{_NUMBER} ms").group(1))
    relationships = int(_number(scored.group(1)))
    return [
        Figure(src, "ingest + score", ours, "events/s", "sum weights per counterpart", base),
        Figure(
            src,
            f"score one account, {relationships:,} relationships",
            _number(scored.group(2)),
            "ms",
            "Python loop reading one number per relationship",
            loop,
        ),
    ]


_JOBS_LINE = re.compile(
    rf"^\s+(?P<name>\S.*?/s)\s+{_NUMBER}\s+baseline (?P<base_name>.+?):\s+{_NUMBER}\s*$",
    re.MULTILINE,
)


def parse_jobs_bench(text: str) -> list[Figure]:
    """Every "figure value  baseline name: value" line bench/jobs_bench.py prints."""
    figures = []
    for match in _JOBS_LINE.finditer(text):
        name, unit = match.group("name").rsplit(" ", 1)
        figures.append(
            Figure(
                "jobs_bench",
                name,
                _number(match.group(2)),
                unit,
                match.group("base_name"),
                _number(match.group(4)),
            )
        )
    if not figures:
        raise ValueError("jobs_bench output has no figure lines")
    return figures


def _section_bounds(document: str) -> tuple[int, int]:
    """Where the generated text starts and ends: the markers count only on lines of their own,
    so prose that mentions them (as docs/performance.md does) is never overwritten."""
    begin = re.search(rf"^{re.escape(BEGIN)}[ \t]*$", document, re.MULTILINE)
    end = re.search(rf"^{re.escape(END)}[ \t]*$", document, re.MULTILINE)
    if begin is None or end is None or end.start() < begin.end():
        raise ValueError(f"the document has no {BEGIN} ... {END} section (each on its own line)")
    return begin.end(), end.start()


def replace_section(document: str, section: str) -> str:
    """`document` with the text between the report markers replaced by `section`."""
    start, end = _section_bounds(document)
    return document[:start] + "\n" + section.strip() + "\n" + document[end:]


def generated_section(document: str) -> str:
    """The text between the report markers."""
    start, end = _section_bounds(document)
    return document[start:end]


def image_links(markdown: str) -> list[str]:
    """Targets of the Markdown images `![alt](target)` in `markdown`, in order."""
    return re.findall(r"!\[[^\]]*\]\(([^)\s]+)\)", markdown)


# --- (a) and (b): the API ------------------------------------------------------------------


@dataclass(frozen=True)
class Endpoint:
    name: str
    target: list[str]
    path: str
    headers: dict[str, str]
    body: bytes | None
    env: dict[str, str] = field(default_factory=dict)  # on top of the common settings


def _endpoints(key: str) -> list[Endpoint]:
    """The endpoints api_bench measures, with the same seed data and requests: the score GET
    as configured (served from the score cache once read) and with the cache off (every read
    from Redis)."""
    auth = {"Authorization": f"Bearer {key}"}
    batch = msgspec.json.encode(
        {"accounts": [{"platform": "mastodon", "account": f"user{i}"} for i in range(BATCH_SIZE)]}
    )
    rapport = ["rapport.api.asgi:app_factory"]
    return [
        Endpoint("bare", ["--app-dir", str(BENCH), "api_bench:bare_app"], "/bare", {}, None),
        Endpoint("score", rapport, "/v1/accounts/mastodon/user7/score", auth, None),
        Endpoint(
            "score_uncached",
            rapport,
            "/v1/accounts/mastodon/user7/score",
            auth,
            None,
            {"RAPPORT_SCORE_CACHE_SECONDS": "0"},
        ),
        Endpoint(
            "batch",
            rapport,
            "/v1/scores/batch",
            {**auth, "Content-Type": "application/json"},
            batch,
        ),
    ]


@contextmanager
def _served(endpoint: Endpoint, env: dict[str, str]) -> Iterator[str]:
    """A fresh server for one endpoint (as api_bench does); yields the endpoint's URL."""
    port = free_port()
    server = serve(endpoint.target, port, {**env, **endpoint.env})
    try:
        url = f"http://{HOST}:{port}{endpoint.path}"
        method = "POST" if endpoint.body else "GET"
        httpx.request(
            method, url, headers=endpoint.headers, content=endpoint.body
        ).raise_for_status()
        yield url
    finally:
        server.terminate()
        server.wait(10)


def hey_paced(endpoint: Endpoint, url: str, seconds: int, saturation: float) -> Paced:
    """`hey -q` at PACED_SHARE of `saturation`, paced like api_bench.hey, percentiles from CSV."""
    asked = PACED_SHARE * saturation
    args = ["hey", "-z", f"{seconds}s", "-c", str(HEY_WORKERS), "-q", f"{asked / HEY_WORKERS:.1f}"]
    args += ["-o", "csv"]
    for key, value in endpoint.headers.items():
        args += ["-H", f"{key}: {value}"]
    if endpoint.body is not None:
        args += ["-m", "POST", "-d", endpoint.body.decode()]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    latencies, statuses = parse_hey_csv(out)
    return Paced(
        endpoint=endpoint.name,
        saturation_rps=saturation,
        asked_rps=asked,
        achieved_rps=len(latencies) / seconds,
        percentiles_ms=percentiles(latencies, PERCENTILES),
        samples=len(latencies),
        errors=sum(1 for s in statuses if not 200 <= s < 300),
    )


def wrk_point(endpoint: Endpoint, url: str, seconds: int, connections: int) -> SweepPoint:
    """api_bench.wrk at one concurrency, tried up to three times: its parser reads the first
    "50%" in wrk's output, which is occasionally the tail of a +/- Stdev column such as
    "87.50%" rather than the latency distribution's line, and then raises ValueError."""
    for attempt in range(3):
        try:
            run = wrk(endpoint.name, url, seconds, connections, endpoint.headers, endpoint.body)
        except ValueError:
            if attempt == 2:
                raise
            continue
        return SweepPoint(endpoint.name, connections, run.rps, run.p50_ms, run.p99_ms, run.errors)
    raise AssertionError("unreachable")


def measure_endpoint(
    endpoint: Endpoint, env: dict[str, str], plan: Plan
) -> tuple[list[SweepPoint], Paced]:
    """Sweep wrk's connections, then pace hey at 70 % of the best rate the sweep reached."""
    points = []
    with _served(endpoint, env) as url:
        wrk_point(endpoint, url, 1, 16)  # warm-up
        for connections in CONNECTIONS:
            point = wrk_point(endpoint, url, plan.wrk_seconds, connections)
            points.append(point)
            print(f"  {endpoint.name:<6} c={connections:<3} {point.rps:>9,.0f} req/s", flush=True)
        saturation = max(p.rps for p in points)
        paced = hey_paced(endpoint, url, plan.hey_seconds, saturation)
    p = paced.percentiles_ms
    print(
        f"  {endpoint.name:<6} @70% {paced.achieved_rps:>7,.0f} req/s  p50 {p['p50']:.2f}"
        f"  p99 {p['p99']:.2f}  p99.9 {p['p99.9']:.2f} ms",
        flush=True,
    )
    return points, paced


def measure_api(plan: Plan, log_level: str) -> tuple[list[SweepPoint], list[Paced]]:
    """(a) and (b) on a private, seeded Redis (api_bench.seed): 100 accounts, 40 relationships."""
    sweep: list[SweepPoint] = []
    paced: list[Paced] = []
    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp, unix_socket=True) as redis:
        key = asyncio.run(seed(redis.url))
        env = {
            "RAPPORT_REDIS_URL": redis.url,
            "RAPPORT_RATE_LIMIT_PER_MINUTE": str(10**9),
            "RAPPORT_PLUGINS_ALLOW": "none",
            "RAPPORT_LOG_LEVEL": log_level,
        }
        for endpoint in _endpoints(key):
            points, run = measure_endpoint(endpoint, env, plan)
            sweep += points
            paced.append(run)
    return sweep, paced


# --- (c): recompute cost against relationships ---------------------------------------------

RECOMPUTE_ACCOUNT = AccountRef("bench", "ego")
CURVES = ("stored_ms", "stored_no_gc_ms", "recompute_ms", "decode_ms", "hvals_ms")
POOL_RELATIONSHIPS = 2_000


def aggregate_pool(config: MetricConfig) -> tuple[list[RelationshipAggregate], float]:
    """Realistic aggregates, folded from metric_bench's synthetic year of events (power-law
    counterparts, its mix of kinds), and the instant to score them at."""
    from metric_bench import END as BENCH_END
    from metric_bench import synthetic_events

    pool: dict[str, RelationshipAggregate] = {}
    for event in synthetic_events(15 * POOL_RELATIONSHIPS, POOL_RELATIONSHIPS):
        agg = pool.setdefault(
            event.counterpart, RelationshipAggregate(counterpart=event.counterpart)
        )
        agg.add(event.at.timestamp(), event.direction, event.kind, event.text_len, config)
    return list(pool.values()), BENCH_END.timestamp()


def stored_aggregates(pool: Sequence[RelationshipAggregate], n: int) -> list[bytes]:
    """`n` aggregates as Redis stores them (msgpack), cycling through the pool under new names:
    the cost of a recompute depends on how many rows there are, not on which values."""
    return [
        encode(msgspec.structs.replace(pool[i % len(pool)], counterpart=f"peer{i}"))
        for i in range(n)
    ]


def without_gc(run: Callable[[], object]) -> Callable[[], object]:
    """`run` with Python's cyclic garbage collector paused: shows how much of a curve's growth
    is collections scanning the objects a recompute allocates, rather than the work itself."""

    def paused() -> object:
        gc.disable()
        try:
            return run()
        finally:
            gc.enable()

    return paused


def timed(run: Callable[[], object], min_repeat: int, budget_s: float = 0.5) -> float:
    """Median milliseconds of `run`, after one warm-up call: at least `min_repeat` timings and
    as many more as fit in `budget_s` (at most 50), so small sizes are not one noisy sample."""
    run()
    gc.collect()
    times: list[float] = []
    started = time.perf_counter()
    while len(times) < min_repeat or (time.perf_counter() - started < budget_s and len(times) < 50):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1000.0


async def _load(redis: Redis, key: str, blobs: Sequence[bytes]) -> None:
    await redis.delete(key)
    chunk = 10_000
    for start in range(0, len(blobs), chunk):
        part = blobs[start : start + chunk]
        await redis.hset(key, mapping={f"peer{start + i}": b for i, b in enumerate(part)})  # type: ignore[misc]


def measure_size(
    n: int,
    pool: Sequence[RelationshipAggregate],
    as_of: float,
    config: MetricConfig,
    redis: Redis,
    loop: asyncio.AbstractEventLoop,
    plan: Plan,
) -> SizePoint:
    """Time one account of `n` relationships: in memory, through Redis, and both baselines."""
    blobs = stored_aggregates(pool, n)
    aggs = [decode(b, RelationshipAggregate) for b in blobs]
    key = keys.AccountKeys("bench", RECOMPUTE_ACCOUNT.platform, RECOMPUTE_ACCOUNT.account)
    loop.run_until_complete(_load(redis, key.relationships, blobs))

    def recompute() -> object:
        table = RelationshipTable.from_aggregates(aggs, as_of, config)
        return score_table(table, account=RECOMPUTE_ACCOUNT, config=config)

    def stored() -> object:
        return loop.run_until_complete(
            scores.compute(redis, "bench", RECOMPUTE_ACCOUNT, now=as_of, config=config)
        )

    def hvals() -> object:
        return loop.run_until_complete(redis.hvals(key.relationships))  # type: ignore[arg-type]

    # The fixtures (n blobs, n decoded aggregates) are frozen out of the collector's view: a
    # service holds only what it is computing, so the benchmark's own data must not make its
    # collections slower than the service's would be.
    gc.freeze()
    try:
        point = SizePoint(
            relationships=n,
            recompute_ms=timed(recompute, plan.min_repeat),
            decode_ms=timed(
                lambda: [decode(b, RelationshipAggregate) for b in blobs], plan.min_repeat
            ),
            stored_ms=timed(stored, plan.min_repeat),
            hvals_ms=timed(hvals, plan.min_repeat),
            stored_no_gc_ms=timed(without_gc(stored), plan.min_repeat),
        )
    finally:
        gc.unfreeze()
    print(
        f"  {n:>7,} relationships: recompute {point.recompute_ms:8.1f} ms"
        f" (decode {point.decode_ms:7.1f}), stored {point.stored_ms:8.1f} ms"
        f" (HVALS {point.hvals_ms:6.1f}, GC paused {point.stored_no_gc_ms:8.1f})",
        flush=True,
    )
    return point


def measure_recompute(plan: Plan) -> tuple[list[SizePoint], dict[str, Fit]]:
    """(c): every size of the plan, then a log-log fit of each curve."""
    config = MetricConfig()
    pool, as_of = aggregate_pool(config)
    points = []
    loop = asyncio.new_event_loop()
    with tempfile.TemporaryDirectory() as tmp, RedisServer(tmp, unix_socket=True) as server:
        redis = Redis.from_url(server.url)
        try:
            for n in plan.sizes:
                points.append(measure_size(n, pool, as_of, config, redis, loop, plan))
        finally:
            loop.run_until_complete(redis.aclose())
            loop.close()
    sizes = [p.relationships for p in points]
    fits = {curve: loglog_fit(sizes, [getattr(p, curve) for p in points]) for curve in CURVES}
    for curve, fit in fits.items():
        print(f"  log-log slope of {curve}: {fit.slope:.2f}")
    return points, fits


# --- (d): the other bench scripts -----------------------------------------------------------


def run_script(script: str, args: Sequence[str]) -> str:
    """A bench script's stdout (it runs in its own process, as documented for it)."""
    return subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    ).stdout


def measure_scripts(plan: Plan) -> list[Figure]:
    figures = parse_metric_bench(run_script("metric_bench.py", plan.metric_args))
    figures += parse_jobs_bench(run_script("jobs_bench.py", plan.jobs_args))
    for f in figures:
        print(f"  {f.source}: {f.name} {f.value:,.1f} {f.unit}, ratio {f.ratio:.3f}")
    return figures


# --- targets ------------------------------------------------------------------------------


def _peak(sweep: Sequence[SweepPoint], endpoint: str) -> float:
    return max(p.rps for p in sweep if p.endpoint == endpoint)


def _figure(figures: Sequence[Figure], source: str, prefix: str) -> Figure | None:
    return next((f for f in figures if f.source == source and f.name.startswith(prefix)), None)


def targets(results: Results) -> list[Target]:
    """The targets of issues 4-6 (docs/performance.md), judged on this run's figures."""
    out: list[Target] = []
    if results.sweep:
        bare, score, batch = (_peak(results.sweep, e) for e in ("bare", "score", "batch"))
        out.append(
            Target("API", "score GET >= 0.60 of bare", f"{score / bare:.3f}", score / bare >= 0.60)
        )

        scores_s = batch * BATCH_SIZE
        out.append(
            Target("API", "batch >= 250,000 scores/s", f"{scores_s:,.0f}", scores_s >= 250_000)
        )
        for paced in results.paced:
            if paced.endpoint == "bare":
                continue
            p99 = paced.percentiles_ms["p99"]
            out.append(
                Target("API", f"{paced.endpoint} p99 <= 10 ms at 70 %", f"{p99:.2f} ms", p99 <= 10)
            )
    ingest = _figure(results.figures, "metric_bench", "ingest")
    if ingest is not None:
        out.append(
            Target(
                "metric",
                ">= 500,000 events/s ingest + score",
                f"{ingest.value:,.0f}",
                ingest.value >= 500_000,
            )
        )
    scored = _figure(results.figures, "metric_bench", "score one account")
    if scored is not None:
        out.append(
            Target(
                "metric",
                "<= 50 ms scoring 100k relationships",
                f"{scored.value:.1f} ms",
                scored.value <= 50,
            )
        )
    for prefix, floor in (("no-op", 1_000), ("persisted", 50_000)):
        fig = _figure(results.figures, "jobs_bench", prefix)
        if fig is not None:
            out.append(
                Target(
                    "jobs",
                    f">= {floor:,} {fig.name} {fig.unit}",
                    f"{fig.value:,.0f}",
                    fig.value >= floor,
                )
            )
    return out


# --- figures ------------------------------------------------------------------------------

COLOURS = {"bare": "#7f7f7f", "score": "#1f77b4", "score_uncached": "#17becf", "batch": "#d62728"}
_LABELS = {
    "bare": "bare litestar endpoint",
    "score": "GET …/score",
    "score_uncached": "GET …/score, cache off",
    "batch": "batch of 100",
}


def _series(sweep: Sequence[SweepPoint], endpoint: str) -> tuple[list[int], list[float]]:
    points = sorted((p for p in sweep if p.endpoint == endpoint), key=lambda p: p.connections)
    return [p.connections for p in points], [p.rps for p in points]


def plot_throughput(results: Results, path: Path) -> None:
    """(a): req/s, batch scores/s and the ratio to bare, against wrk connections."""
    import matplotlib.pyplot as plt

    fig, (req, scored, ratio) = plt.subplots(1, 3, figsize=(15, 4.6))
    for endpoint in ENDPOINTS:
        xs, ys = _series(results.sweep, endpoint)
        req.plot(xs, ys, "o-", color=COLOURS[endpoint], label=_LABELS[endpoint])
    req.set(title="Requests per second", ylabel="requests/s", ylim=(0, None))
    xs, ys = _series(results.sweep, "batch")
    scored.plot(
        xs, [y * BATCH_SIZE for y in ys], "o-", color=COLOURS["batch"], label="batch of 100"
    )
    scored.axhline(250_000, ls="--", color="black", lw=1, label="target 250,000 scores/s")
    scored.set(title="Scores per second served by the batch", ylabel="scores/s", ylim=(0, None))
    _, bare = _series(results.sweep, "bare")
    for endpoint in ("score", "score_uncached", "batch"):
        xs, ys = _series(results.sweep, endpoint)
        ratio.plot(
            xs,
            [y / b for y, b in zip(ys, bare, strict=True)],
            "o-",
            color=COLOURS[endpoint],
            label=f"{_LABELS[endpoint]} ÷ bare",
        )
    ratio.axhline(0.60, ls="--", color=COLOURS["score"], lw=1, label="target: score GET 0.60")
    ratio.set(title="Ratio to the bare endpoint (same run)", ylabel="req/s ÷ bare req/s")
    ratio.set_ylim(0, max(0.7, ratio.get_ylim()[1]))
    req.yaxis.set_major_formatter(_thousands())
    scored.yaxis.set_major_formatter(_thousands())
    for ax in (req, scored, ratio):
        ax.set_xscale("log", base=2)
        ax.set_xticks(CONNECTIONS, [str(c) for c in CONNECTIONS])
        ax.set_xlabel("wrk connections")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(f"API throughput against concurrency (wrk, {results.machine['summary']})")
    _save(fig, path)


def plot_latency(results: Results, path: Path) -> None:
    """(b): grouped bars of p50..p99.9 per endpoint at 70 % of its own saturation."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 4.8))
    names = [f"p{p:g}" for p in PERCENTILES]
    width = 0.8 / max(1, len(results.paced))
    for i, paced in enumerate(results.paced):
        xs = [j + (i - (len(results.paced) - 1) / 2) * width for j in range(len(names))]
        values = [paced.percentiles_ms[n] for n in names]
        bars = ax.bar(
            xs,
            values,
            width,
            color=COLOURS[paced.endpoint],
            label=f"{_LABELS[paced.endpoint]}: {paced.achieved_rps:,.0f} req/s"
            f" (asked {paced.asked_rps:,.0f})",
        )
        ax.bar_label(bars, fmt="%.1f", fontsize=7, padding=1)
    ax.axhline(10, ls="--", color="black", lw=1, label="target: p99 <= 10 ms")
    ax.set_yscale("log")
    ax.yaxis.set_major_formatter(_thousands())
    ax.set_xticks(range(len(names)), names)
    ax.set(
        xlabel="percentile",
        ylabel="latency, ms (log scale)",
        title="Latency at 70 % of each endpoint's own saturation (hey -q)",
    )
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    _save(fig, path)


def plot_recompute(results: Results, path: Path) -> None:
    """(c): log-log cost against relationships with fit lines, and the ratios to baselines."""
    import matplotlib.pyplot as plt

    fig, (cost, ratio) = plt.subplots(1, 2, figsize=(13, 4.8))
    sizes = np.array([p.relationships for p in results.sizes], dtype=float)
    curves = {
        "stored_ms": ("scores.compute through Redis", "#d62728", "o-"),
        "stored_no_gc_ms": ("the same, cyclic GC paused", "#ff9896", "^--"),
        "recompute_ms": ("from_aggregates + score_table", "#1f77b4", "o-"),
        "decode_ms": ("baseline: msgpack decode only", "#1f77b4", "s:"),
        "hvals_ms": ("baseline: Redis HVALS only", "#d62728", "s:"),
    }
    for curve, (label, colour, style) in curves.items():
        fit = results.fits[curve]
        ys = [getattr(p, curve) for p in results.sizes]
        cost.plot(sizes, ys, style, color=colour, label=f"{label} (slope {fit.slope:.2f})")
        if style == "o-":
            cost.plot(
                sizes, 10**fit.intercept * sizes**fit.slope, "-", color=colour, lw=3, alpha=0.2
            )
    first = results.sizes[0]
    cost.plot(
        sizes,
        first.stored_ms * sizes / sizes[0],
        "--",
        color="black",
        lw=0.8,
        label="slope 1 (linear) from the first stored point",
    )
    cost.set(
        xscale="log",
        yscale="log",
        xlabel="relationships in the account",
        ylabel="time per recompute, ms",
        title="Recompute cost (log-log; faint lines: least-squares fits)",
    )
    ratio.plot(
        sizes,
        [p.recompute_ms / p.decode_ms for p in results.sizes],
        "o-",
        color="#1f77b4",
        label="from_aggregates + score_table ÷ decode",
    )
    ratio.plot(
        sizes,
        [p.stored_ms / p.hvals_ms for p in results.sizes],
        "o-",
        color="#d62728",
        label="scores.compute ÷ HVALS",
    )
    ratio.set(
        xscale="log",
        xlabel="relationships in the account",
        ylabel="time ÷ baseline time",
        title="Ratio to the read-only baseline (same run)",
        ylim=(0, None),
    )
    for ax in (cost, ratio):
        ax.xaxis.set_major_formatter(_thousands())
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    cost.yaxis.set_major_formatter(_thousands())
    _save(fig, path)


def _thousands() -> Any:
    """Tick labels as plain numbers with thousands separators (not 1e5 or 10^2)."""
    from matplotlib.ticker import FuncFormatter

    return FuncFormatter(lambda value, _: f"{value:,.0f}" if value >= 1 else f"{value:g}")


def _save(fig: Any, path: Path) -> None:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)


# --- the generated section -----------------------------------------------------------------


def _table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _machine_line(results: Results) -> str:
    m = results.machine
    load = m["load_start"], m["load_end"]
    return (
        f"Measured {results.date} with `{results.command}` ({results.plan} run) on "
        f"{m['cpus']} × {m['cpu']}, {m['memory']}, {m['platform']}, Python {m['python']}; "
        f"1-minute load average {load[0]:.2f} at the start and {load[1]:.2f} at the end "
        "(other work shares the machine). Raw results:"
    )


def _targets_md(results: Results) -> list[str]:
    rows = [
        [t.area, t.target, t.measured, "met" if t.met else "**not met**"] for t in results.targets
    ]
    return _table(["area", "target", "measured", "verdict"], rows)


def _sweep_md(results: Results) -> list[str]:
    by = {(p.endpoint, p.connections): p for p in results.sweep}
    rows = []
    for c in CONNECTIONS:
        bare, score, uncached, batch = (by[(e, c)] for e in ENDPOINTS)
        rows.append(
            [
                str(c),
                f"{score.rps / bare.rps:.3f}",
                f"{uncached.rps / bare.rps:.3f}",
                f"{batch.rps / bare.rps:.3f}",
                f"{bare.rps:,.0f}",
                f"{score.rps:,.0f}",
                f"{uncached.rps:,.0f}",
                f"{batch.rps:,.0f}",
                f"{batch.rps * BATCH_SIZE:,.0f}",
                str(bare.errors + score.errors + uncached.errors + batch.errors),
            ]
        )
    return _table(
        [
            "connections",
            "score ÷ bare",
            "score, cache off, ÷ bare",
            "batch ÷ bare",
            "bare req/s",
            "score req/s",
            "score, cache off, req/s",
            "batch req/s",
            "batch scores/s",
            "errors",
        ],
        rows,
    )


def _paced_md(results: Results) -> list[str]:
    bare = next((p for p in results.paced if p.endpoint == "bare"), None)
    rows = []
    for p in results.paced:
        pc = p.percentiles_ms
        vs_bare = "" if bare is None else f"{pc['p99'] / bare.percentiles_ms['p99']:.1f}"
        rows.append(
            [
                _LABELS[p.endpoint],
                vs_bare,
                *(f"{pc[f'p{q:g}']:.2f}" for q in PERCENTILES),
                f"{p.saturation_rps:,.0f}",
                f"{p.asked_rps:,.0f}",
                f"{p.achieved_rps:,.0f}",
                f"{p.samples:,}",
                str(p.errors),
            ]
        )
    header = ["endpoint", "p99 ÷ bare p99", *(f"p{q:g} ms" for q in PERCENTILES)]
    return _table([*header, "saturation req/s", "asked", "achieved", "requests", "errors"], rows)


def _sizes_md(results: Results) -> list[str]:
    rows = [
        [
            f"{p.relationships:,}",
            f"{p.recompute_ms / p.decode_ms:.2f}",
            f"{p.stored_ms / p.hvals_ms:.2f}",
            f"{p.stored_ms * 1000 / p.relationships:.1f}",
            f"{p.stored_ms:,.1f}",
            f"{p.hvals_ms:,.1f}",
            f"{p.stored_no_gc_ms:,.1f}",
            f"{p.recompute_ms:,.1f}",
            f"{p.decode_ms:,.1f}",
        ]
        for p in results.sizes
    ]
    header = [
        "relationships",
        "in memory ÷ decode",
        "stored ÷ HVALS",
        "stored µs per relationship",
        "stored ms",
        "HVALS ms",
        "stored, GC paused, ms",
        "in memory ms",
        "decode ms",
    ]
    return _table(header, rows)


def _slopes_md(results: Results) -> str:
    f = results.fits
    return (
        f"Log-log slopes (1 = linear): through Redis {f['stored_ms'].slope:.2f} "
        f"({f['stored_no_gc_ms'].slope:.2f} with the GC paused), in memory "
        f"{f['recompute_ms'].slope:.2f}; their baselines: HVALS {f['hvals_ms'].slope:.2f}, "
        f"decode {f['decode_ms'].slope:.2f}."
    )


def _figures_md(results: Results) -> list[str]:
    rows = []
    for f in results.figures:
        means = "× the baseline's time" if f.unit == "ms" else "÷ the baseline's rate"
        rows.append(
            [
                f.source,
                f.name,
                f"{f.ratio:.3f} ({means})",
                f"{f.value:,.1f} {f.unit}" if f.unit == "ms" else f"{f.value:,.0f} {f.unit}",
                f"{f.baseline_name}: {f.baseline:,.1f}"
                if f.unit == "ms"
                else f"{f.baseline_name}: {f.baseline:,.0f}",
            ]
        )
    return _table(["script", "figure", "ratio", "value", "baseline (same run)"], rows)


def render(results: Results, images: dict[str, str], data_link: str) -> str:
    """The generated section: machine, verdicts, then one subsection per measurement."""
    out = [
        "<!-- generated by bench/report.py (scripts/bench): edits here are overwritten -->",
        "",
        f"{_machine_line(results)} [{data_link}]({data_link}).",
        "",
        "### Targets, as measured in this run",
        "",
        *_targets_md(results),
    ]
    if results.sweep:
        out += [
            "",
            "### (a) Throughput against concurrency",
            "",
            f"![API throughput against wrk connections]({images['throughput']})",
            "",
            *_sweep_md(results),
            "",
            "### (b) Latency at 70 % of saturation",
            "",
            f"![Latency percentiles at 70 % of saturation]({images['latency']})",
            "",
            *_paced_md(results),
        ]
    if results.sizes:
        out += [
            "",
            "### (c) Recompute cost against relationships",
            "",
            f"![Recompute cost against relationships, log-log]({images['recompute']})",
            "",
            *_sizes_md(results),
            "",
            _slopes_md(results),
        ]
    if results.figures:
        out += ["", "### (d) The other benchmarks", "", *_figures_md(results)]
    return "\n".join(out) + "\n"


# --- main ---------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on (they mean little without it)."""
    cpu = platform.processor() or "unknown CPU"
    memory = "unknown memory"
    try:
        cpuinfo = Path("/proc/cpuinfo").read_text()
        cpu = re.search(r"model name\s*:\s*(.+)", cpuinfo).group(1).strip()  # type: ignore[union-attr]
        kib = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))  # type: ignore[union-attr]
        memory = f"{kib / 1024**2:.1f} GiB RAM"
    except (OSError, AttributeError):
        pass
    cpus = os.cpu_count() or 0
    return {
        "cpu": cpu,
        "cpus": cpus,
        "memory": memory,
        "platform": platform.platform(terse=True),
        "python": platform.python_version(),
        "load_start": os.getloadavg()[0],
        "load_end": float("nan"),
        "summary": f"{cpus} cores, server and load generator on the same machine",
    }


def write_outputs(results: Results, out: Path, doc: Path) -> None:
    """PNGs and JSON under `out`, the generated section into `doc`."""
    out.mkdir(parents=True, exist_ok=True)
    images = {
        "throughput": out / "perf-throughput.png",
        "latency": out / "perf-latency.png",
        "recompute": out / "perf-recompute.png",
    }
    if results.sweep:
        plot_throughput(results, images["throughput"])
        plot_latency(results, images["latency"])
    if results.sizes:
        plot_recompute(results, images["recompute"])
    data = out / "perf.json"
    data.write_text(json.dumps(asdict(results), indent=2) + "\n")
    links = {name: os.path.relpath(path, doc.parent) for name, path in images.items()}
    section = render(results, links, os.path.relpath(data, doc.parent))
    doc.write_text(replace_section(doc.read_text(), section))
    print(f"wrote {doc.relative_to(ROOT) if doc.is_relative_to(ROOT) else doc} and {out}")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a smoke run: seconds, not minutes")
    parser.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["api", "recompute", "scripts"],
        help="leave a measurement out (repeatable); its figures drop out of the report",
    )
    parser.add_argument("--log-level", default="INFO", help="RAPPORT_LOG_LEVEL of the API server")
    parser.add_argument("--out", type=Path, default=IMG, help="where the PNGs and JSON go")
    parser.add_argument("--doc", type=Path, default=DOC, help="the Markdown file to update")
    args = parser.parse_args(argv)
    if "api" not in args.skip:
        for tool in ("wrk", "hey"):
            if shutil.which(tool) is None:
                raise SystemExit(
                    f"{tool} not found: apt-get install wrk hey (or run scripts/bench)"
                )
    import matplotlib  # imported first: fail before minutes of measuring, not after

    matplotlib.use("Agg")
    plan = QUICK if args.quick else FULL
    command = " ".join(["scripts/bench", *(argv if argv is not None else sys.argv[1:])])
    results = Results(
        plan=plan.name,
        command=command,
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=machine(),
    )
    if "api" not in args.skip:
        print("(a, b) API: wrk sweep and hey at 70 % of saturation", flush=True)
        results.sweep, results.paced = measure_api(plan, args.log_level)
    if "recompute" not in args.skip:
        print("(c) recompute cost against relationships", flush=True)
        results.sizes, results.fits = measure_recompute(plan)
    if "scripts" not in args.skip:
        print("(d) metric_bench and jobs_bench", flush=True)
        results.figures = measure_scripts(plan)
    results.machine["load_end"] = os.getloadavg()[0]
    results.targets = targets(results)
    for t in results.targets:
        print(f"  {t.area:<7}{t.target:<40}{t.measured:>14}  {'met' if t.met else 'NOT MET'}")
    write_outputs(results, args.out, args.doc)


if __name__ == "__main__":
    main()
