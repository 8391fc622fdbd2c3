"""The account pages under `/ui`: sign in and out, the accounts list, an account's score
explained, an archive upload and its job's progress.

Every page is scoped to the signed-in key's tenant exactly as the API is: the same storage
calls with the same tenant argument, so another tenant's account is the same 404 page as an
account that does not exist.
"""

from __future__ import annotations

import asyncio
from typing import Any

import msgspec
from litestar import Request, Response, get, post
from litestar.enums import MediaType
from litestar.exceptions import HTTPException
from litestar.params import FromPath
from litestar.response import Redirect
from litestar.status_codes import HTTP_303_SEE_OTHER

from rapport.api.jobs import JobsCtx, check_platform, enqueue_archive, received_upload
from rapport.api.state import Services, services_of
from rapport.jobs.queue import JobState
from rapport.metric.report import ScoreReport
from rapport.model import AccountRef
from rapport.storage import accounts, apikeys, sources
from rapport.storage import scores as score_store
from rapport.storage.records import ApiKeyRecord
from rapport.web import svg
from rapport.web.multipart import boundary_of, split_form
from rapport.web.render import page
from rapport.web.session import (
    CSRF_FIELD,
    csrf_cookie,
    csrf_token,
    csrf_valid,
    key_cookie,
    signed_in,
    signed_out_cookies,
)

__all__ = ["HANDLERS"]

SIGN_IN = "/ui/sign-in"
_FINAL = frozenset({JobState.COMPLETE, JobState.FAILED})
_ARCHIVE_PLATFORMS = ("twitter", "mastodon", "linkedin")  # when no registry is loaded
#: How the pages name the sources of an account's data (rapport.storage.sources).
_SOURCE_NAMES = {sources.ARCHIVE: "the uploaded archive", sources.API: "the platform's API"}

Req = Request[Any, Any, Any]


def _to_sign_in() -> Redirect:
    return Redirect(SIGN_IN, status_code=HTTP_303_SEE_OTHER)


def not_found(request: Req, record: ApiKeyRecord | None, what: str) -> Response[str]:
    return page(
        "error.html",
        status_code=404,
        title="Not found",
        message=what,
        tenant=None if record is None else record.tenant,
        csrf=csrf_token(request),
    )


@get("/ui", include_in_schema=False)
async def home() -> Redirect:
    return Redirect("/ui/accounts", status_code=HTTP_303_SEE_OTHER)


@get(SIGN_IN, include_in_schema=False)
async def sign_in_form(request: Req) -> Response[str]:
    token = csrf_token(request)
    return page("sign_in.html", csrf=token, error=None, cookies=[csrf_cookie(request, token)])


@post(SIGN_IN, include_in_schema=False)
async def sign_in(request: Req) -> Response[Any]:
    form = await request.form()
    token = csrf_token(request)
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        return page(
            "sign_in.html",
            status_code=403,
            csrf=token,
            error="The form expired. Please sign in again.",
            cookies=[csrf_cookie(request, token)],
        )
    key = str(form.get("api_key", "")).strip()
    services = services_of(request.app.state)
    record = None
    if key:
        record = await apikeys.authenticate(services.db, key)
    if record is None:
        return page(
            "sign_in.html",
            status_code=401,
            csrf=token,
            error="That API key is not valid (or it was revoked).",
        )
    response: Response[Any] = Redirect("/ui/accounts", status_code=HTTP_303_SEE_OTHER)
    response.set_cookie(key_cookie(request, key))
    return response


@post("/ui/sign-out", include_in_schema=False)
async def sign_out(request: Req) -> Response[Any]:
    form = await request.form()
    if not csrf_valid(request, form.get(CSRF_FIELD)):
        raise HTTPException(status_code=403, detail="The form expired: reload the page.")
    response: Response[Any] = _to_sign_in()
    for cookie in signed_out_cookies(request):
        response.set_cookie(cookie)
    return response


def _trend(points: list[Any]) -> tuple[str, str]:
    """(symbol, words) for the move from the previous score to the current one."""
    if len(points) < 2:
        return "", "first score"
    delta = points[0].score - points[1].score
    if abs(delta) < 0.05:
        return "=", "unchanged"
    return ("▲", f"up {delta:.1f}") if delta > 0 else ("▼", f"down {-delta:.1f}")


@get("/ui/accounts", include_in_schema=False)
async def account_list(request: Req) -> Response[Any]:
    record = await signed_in(request)
    if record is None:
        return _to_sign_in()
    services = services_of(request.app.state)
    db, tenant = services.db, record.tenant
    records, total = await accounts.list_accounts(db, tenant, limit=500)
    refs = [AccountRef(r.platform, r.account) for r in records]
    summaries = await score_store.summaries(db, tenant, refs)
    histories = await asyncio.gather(*(score_store.history(db, tenant, r, limit=12) for r in refs))
    rows = []
    for rec, summary, history in zip(records, summaries, histories, strict=True):
        symbol, words = _trend(history)
        rows.append(
            {
                "platform": rec.platform,
                "account": rec.account,
                "score": None if summary is None else summary.score,
                "genuine": None if summary is None else summary.genuine_connections,
                "refreshed": None if summary is None else summary.computed_at,
                "symbol": symbol,
                "trend": words,
                "spark": svg.sparkline(history),
            }
        )
    return page("accounts.html", tenant=tenant, csrf=csrf_token(request), rows=rows, total=total)


def _evidence(kinds: dict[str, dict[str, int]]) -> list[tuple[str, int, int]]:
    return sorted(
        ((kind, counts.get("out", 0), counts.get("in", 0)) for kind, counts in kinds.items()),
        key=lambda row: -(row[1] + row[2]),
    )


@get("/ui/accounts/{platform:str}/{account:str}", include_in_schema=False)
async def account_page(
    request: Req, platform: FromPath[str], account: FromPath[str]
) -> Response[Any]:
    record = await signed_in(request)
    if record is None:
        return _to_sign_in()
    services = services_of(request.app.state)
    db, tenant, ref = services.db, record.tenant, AccountRef(platform, account)
    tracked = await accounts.get(db, tenant, ref)
    if tracked is None:
        return not_found(request, record, f"No account {platform}/{account} is tracked here.")
    report: ScoreReport | None = await score_store.get_current(db, tenant, ref)
    history = await score_store.history(db, tenant, ref, limit=100)
    context: dict[str, Any] = {
        "tenant": tenant,
        "csrf": csrf_token(request),
        "tracked": tracked,
        "report": report,
        "history_svg": svg.history_chart(history),
        "history": history[:10],
        "trend": _trend(history)[1],
        "imports": await sources.get_all(db, tenant, ref),
        "source_names": _SOURCE_NAMES,
        "at_end": None,
        "why_different": None,
    }
    if report is not None:
        context.update(await _data_end(services, tenant, ref, report))
        context["bars"] = {
            name: svg.bar(c.points, c.max_points, name) for name, c in report.components.items()
        }
        context["layers_svg"] = svg.layers_chart(
            report.layers, report.genuine_connections, report.relationships_total
        )
        context["evidence"] = [_evidence(r.events_by_kind_all_time) for r in report.relationships]
    return page("account.html", **context)


async def _data_end(
    services: Services, tenant: str, ref: AccountRef, report: ScoreReport
) -> dict[str, Any]:
    """The score as of the end of the account's data, shown next to the current one when the
    data ends well before the current score's date (an old export), with the reason."""
    as_of = report.as_of.timestamp()
    at_end = await score_store.at_data_end(
        services.db, tenant, ref, now=services.clock(), config=services.config, top=1
    )
    if at_end is None:
        return {}
    why = sources.why_scores_differ(at_end.as_of.timestamp(), at_end.score, as_of, report.score)
    return {"at_end": at_end if why else None, "why_different": why}


def _archive_platforms(services: Services) -> list[str]:
    registry = services.registry
    if registry is None:
        return list(_ARCHIVE_PLATFORMS)
    return sorted(name for name, c in registry.connectors.items() if c.capabilities.archive_formats)


@get("/ui/upload", include_in_schema=False)
async def upload_form(request: Req) -> Response[Any]:
    record = await signed_in(request)
    if record is None:
        return _to_sign_in()
    services = services_of(request.app.state)
    return page(
        "upload.html",
        tenant=record.tenant,
        csrf=csrf_token(request),
        platforms=_archive_platforms(services),
        limit_mib=services.settings.upload_max_bytes // (1024 * 1024),
        error=None,
    )


def _jobs(request: Req, tenant: str) -> JobsCtx:
    queue = getattr(request.app.state, "job_queue", None)
    if queue is None:
        raise RuntimeError("the job queue is not open (jobs_lifespan has not started)")
    return JobsCtx(queue, services_of(request.app.state), tenant)


@post("/ui/upload", include_in_schema=False, request_max_body_size=None)
async def upload(request: Req) -> Response[Any]:
    """The form's body is streamed to disk by the API's own upload path (same size cap), then
    the archive part is copied out of it; nothing is held in memory."""
    record = await signed_in(request)
    if record is None:
        return _to_sign_in()
    jobs = _jobs(request, record.tenant)
    try:
        boundary = boundary_of(request.headers.get("content-type", ""))
    except ValueError as error:
        raise HTTPException(status_code=400, detail=str(error)) from None
    async with received_upload(request, jobs.services.settings) as body:
        final = body.with_suffix(".zip")
        try:
            fields = await asyncio.to_thread(split_form, body, boundary, "archive", final)
        except ValueError as error:
            final.unlink(missing_ok=True)
            raise HTTPException(status_code=400, detail=str(error)) from None
    if not csrf_valid(request, fields.get(CSRF_FIELD)):
        final.unlink(missing_ok=True)
        raise HTTPException(status_code=403, detail="The form expired: reload the page.")
    platform = fields.get("platform", "")
    try:
        check_platform(jobs.services, platform, archive=True)
    except HTTPException:
        final.unlink(missing_ok=True)
        raise
    accepted = await enqueue_archive(jobs, platform, "archive", final)
    return Redirect(f"/ui/jobs/{accepted.job_id}", status_code=HTTP_303_SEE_OTHER)


async def _job_of(request: Req, tenant: str, job_id: str) -> Any:
    info = await _jobs(request, tenant).queue.status(job_id)
    if info is None or info.tenant != tenant:
        return None
    return info


@get("/ui/jobs/{job_id:str}", include_in_schema=False)
async def job_page(request: Req, job_id: FromPath[str]) -> Response[Any]:
    record = await signed_in(request)
    if record is None:
        return _to_sign_in()
    info = await _job_of(request, record.tenant, job_id)
    if info is None:
        return not_found(request, record, "No such upload.")
    result = info.result if isinstance(info.result, dict) else {}
    return page(
        "job.html",
        tenant=record.tenant,
        csrf=csrf_token(request),
        job=info,
        final=info.state in _FINAL,
        result=result,
    )


class _StateOut(msgspec.Struct):
    """What the progress script reads."""

    state: str


@get("/ui/jobs/{job_id:str}/state", include_in_schema=False)
async def job_state(request: Req, job_id: FromPath[str]) -> Response[Any]:
    """The job's state for the page's progress script (same cookie, same tenant scope)."""
    record = await signed_in(request)
    if record is None:
        return Response(b'{"state":"signed_out"}', status_code=401, media_type=MediaType.JSON)
    info = await _job_of(request, record.tenant, job_id)
    if info is None:
        return Response(b'{"state":"unknown"}', status_code=404, media_type=MediaType.JSON)
    return Response(
        msgspec.json.encode(_StateOut(state=str(info.state.value))),
        media_type=MediaType.JSON,
        headers={"Cache-Control": "no-store"},
    )


_STATIC = {
    "app.css": "text/css; charset=utf-8",
    "job.js": "text/javascript; charset=utf-8",
}


@get("/ui/static/{name:str}", include_in_schema=False)
async def static(name: FromPath[str]) -> Response[bytes]:
    """The vendored stylesheet and progress script (no asset comes from anywhere else)."""
    media = _STATIC.get(name)
    if media is None:
        raise HTTPException(status_code=404, detail="No such file.")
    from importlib.resources import files

    data = files("rapport.web").joinpath("static", name).read_bytes()
    return Response(data, media_type=media, headers={"Cache-Control": "public, max-age=300"})


HANDLERS = [
    home,
    sign_in_form,
    sign_in,
    sign_out,
    account_list,
    account_page,
    upload_form,
    upload,
    job_page,
    job_state,
    static,
]
