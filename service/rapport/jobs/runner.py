"""How every job runs: payload checked, time-boxed, retried with back-off, dead-lettered.

arq itself retries a job only when it raises `Retry` (or is cancelled, e.g. at shutdown); any
other exception fails it for good at once. This wrapper gives every Rapport job the same
policy instead:

* the payload is converted into the job's msgspec Struct first: a payload of the wrong shape is
  a dead letter at once, and the job's code never sees it;
* the run is time-boxed (`RAPPORT_JOB_TIMEOUT_SECONDS`); a timeout counts as a failed try;
* `RateLimited` from a connector becomes `Retry(defer=<the platform's reset time>)`, never a
  sleep (such deferrals get `RATE_LIMIT_EXTRA_TRIES` more tries);
* an `InputError` (a malformed archive, an unknown connector), `Permanent`, or
  `NotImplementedError` (a connector without an API client) cannot be fixed by trying again:
  dead letter at once;
* any other failure is retried after an exponential back-off with jitter
  (`RAPPORT_JOB_RETRY_BASE_SECONDS` doubled per try, capped at an hour), and after
  `RAPPORT_JOB_MAX_TRIES` tries it becomes a dead letter with the reason;
* every outcome is counted for `/metrics`.

A worker killed mid-job (SIGKILL, OOM, a lost node) leaves the job in the queue: arq runs it
again once its in-progress marker expires, which is why every job is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

import msgspec
from arq.worker import Function, Retry, func

from rapport.errors import InputError, RateLimited
from rapport.jobs.context import JobContext
from rapport.jobs.queue import DeadLetter
from rapport.settings import Settings
from rapport.storage.keys import TENANT_PATTERN

__all__ = [
    "MAX_BACKOFF_SECONDS",
    "RATE_LIMIT_EXTRA_TRIES",
    "JobSpec",
    "Permanent",
    "arq_function",
    "backoff",
    "execute",
]

log = logging.getLogger("rapport.jobs")

P = TypeVar("P", bound=msgspec.Struct)

MAX_BACKOFF_SECONDS = 3600.0
#: Tries beyond `RAPPORT_JOB_MAX_TRIES` that rate-limit deferrals may use up.
RATE_LIMIT_EXTRA_TRIES = 20
#: arq's own deadline sits this much above ours, as a backstop only.
_ARQ_TIMEOUT_MARGIN = 5.0
#: Results (and so job status) are kept a day.
RESULT_TTL_SECONDS = 86_400
_TENANT_RE = re.compile(TENANT_PATTERN)
_REASON_MAX = 500


class Permanent(Exception):  # noqa: N818 - reads as "the failure is permanent"
    """A failure no retry can fix: the job becomes a dead letter at once."""


@dataclass(frozen=True)
class JobSpec(Generic[P]):
    """One job: its name, payload type, body, what its dead letter names, and what to clean up
    when it is given up."""

    name: str
    payload: type[P]
    run: Callable[[JobContext, P], Awaitable[Any]]
    subject: Callable[[P], dict[str, str]] = lambda _payload: {}
    on_dead: Callable[[JobContext, P], Awaitable[None]] | None = None


def backoff(base: float, job_try: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after failed try `job_try` (1-based): `base * 2^(try-1)`,
    capped, with "equal jitter" (half fixed, half random) so retries of many jobs spread out."""
    delay: float = min(MAX_BACKOFF_SECONDS, base * 2.0 ** max(0, job_try - 1))
    jitter: float = (rng or random).uniform(0, delay / 2)
    return delay / 2 + jitter


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    reason = f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
    return reason[:_REASON_MAX]


async def _give_up(
    spec: JobSpec[Any],
    jc: JobContext,
    job_id: str,
    job_try: int,
    tenant: str | None,
    payload: Any,
    reason: str,
) -> None:
    await jc.queue.count_outcome(spec.name, "dead")
    log.warning("job %s:%s given up after %d tries: %s", job_id, spec.name, job_try, reason)
    if tenant is None or not _TENANT_RE.match(tenant):
        return  # no tenant to show it to; the failed result and the log keep the reason
    subject = spec.subject(payload) if payload is not None else {}
    await jc.queue.add_dead_letter(
        DeadLetter(
            id=job_id,
            name=spec.name,
            tenant=tenant,
            reason=reason,
            tries=job_try,
            failed_at=jc.clock(),
            subject=subject,
        )
    )
    if payload is not None and spec.on_dead is not None:
        await spec.on_dead(jc, payload)


async def execute(
    spec: JobSpec[P], jc: JobContext, job_id: str, job_try: int, kwargs: dict[str, Any]
) -> Any:
    """Run one try of a job under the policy of the module docstring."""
    raw_tenant = kwargs.get("tenant")
    tenant = raw_tenant if isinstance(raw_tenant, str) else None
    settings = jc.settings
    try:
        payload = msgspec.convert(kwargs, spec.payload)
    except msgspec.ValidationError as exc:
        reason = f"invalid payload: {exc}"
        await _give_up(spec, jc, job_id, job_try, tenant, None, reason)
        raise Permanent(reason) from None
    try:
        async with asyncio.timeout(settings.job_timeout_seconds):
            result = await spec.run(jc, payload)
    except RateLimited as exc:
        if job_try >= settings.job_max_tries + RATE_LIMIT_EXTRA_TRIES:
            await _give_up(spec, jc, job_id, job_try, tenant, payload, _reason(exc))
            raise
        delay = max(1.0, exc.reset_at.timestamp() - jc.clock())
        await jc.queue.count_outcome(spec.name, "deferred")
        log.info("job %s:%s rate limited, deferred %.0fs", job_id, spec.name, delay)
        raise Retry(defer=timedelta(seconds=delay)) from None
    except (InputError, Permanent, NotImplementedError) as exc:
        await _give_up(spec, jc, job_id, job_try, tenant, payload, _reason(exc))
        raise
    except Exception as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else _reason(exc)
        if job_try >= settings.job_max_tries:
            await _give_up(spec, jc, job_id, job_try, tenant, payload, reason)
            raise
        delay = backoff(settings.job_retry_base_seconds, job_try)
        await jc.queue.count_outcome(spec.name, "retried")
        log.info(
            "job %s:%s try %d failed (%s); next in %.1fs", job_id, spec.name, job_try, reason, delay
        )
        raise Retry(defer=timedelta(seconds=delay)) from None
    await jc.queue.count_outcome(spec.name, "complete")
    return result


def arq_function(spec: JobSpec[Any], settings: Settings) -> Function:
    """The arq registration of `spec` (the worker keeps the `JobContext` in ctx["rapport"])."""

    async def coroutine(ctx: dict[str, Any], **kwargs: Any) -> Any:
        return await execute(spec, ctx["rapport"], ctx["job_id"], ctx["job_try"], kwargs)

    coroutine.__qualname__ = coroutine.__name__ = spec.name
    function: Function = func(
        coroutine,
        name=spec.name,
        max_tries=settings.job_max_tries + RATE_LIMIT_EXTRA_TRIES,
        timeout=settings.job_timeout_seconds + _ARQ_TIMEOUT_MARGIN,
        keep_result=RESULT_TTL_SECONDS,
    )
    return function
