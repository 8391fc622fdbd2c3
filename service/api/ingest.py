"""`POST /v1/ingest`: normalised events as JSON Lines or a JSON array.

All or nothing: the whole body is parsed and validated before anything is written, and the
first errors (up to `MAX_REPORTED_ERRORS`) are returned together, each naming its line (JSON
Lines) or item (JSON array) and field. The body size is capped by `RAPPORT_MAX_BODY_BYTES`
(413 beyond). Accounts named by the events are tracked for the caller's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec
from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.status_codes import HTTP_200_OK

from service.api.problems import AUTHED, documented, field_of
from service.api.schemas import IngestOut, TrackAccount
from service.api.state import Ctx
from service.model import Interaction
from service.storage import scores as score_store
from service.storage import webhooks
from service.storage.ingest import event_problem, ingest

__all__ = ["MAX_REPORTED_ERRORS", "IngestController", "parse_events"]

MAX_REPORTED_ERRORS = 20
NDJSON_TYPES = frozenset({"application/x-ndjson", "application/jsonl", "application/json-lines"})
_line_decoder = msgspec.json.Decoder(Interaction)
_array_decoder = msgspec.json.Decoder(list[Interaction])


class BadEvents(HTTPException):
    status_code = 400


def parse_events(body: bytes, content_type: str, now: float) -> list[Interaction]:
    """Validate every event of the body, or raise one 400 listing the first errors."""
    errors: list[dict[str, str]] = []
    if content_type in NDJSON_TYPES:
        events: list[Interaction] = []
        for number, line in enumerate(body.split(b"\n"), start=1):
            if not line.strip():
                continue
            try:
                event = _line_decoder.decode(line)
            except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
                message = str(exc)
                errors.append({"line": str(number), "field": field_of(message), "message": message})
            else:
                problem = event_problem(event, now)
                if problem is None:
                    events.append(event)
                else:
                    errors.append({"line": str(number), "field": problem[0], "message": problem[1]})
            if len(errors) >= MAX_REPORTED_ERRORS:
                break
    elif content_type == "application/json":
        try:
            events = _array_decoder.decode(body)
        except (msgspec.ValidationError, msgspec.DecodeError, UnicodeDecodeError) as exc:
            message = str(exc)
            errors.append({"field": field_of(message), "message": message})
        else:
            for index, event in enumerate(events):
                problem = event_problem(event, now)
                if problem is not None:
                    errors.append({"field": f"[{index}].{problem[0]}", "message": problem[1]})
                if len(errors) >= MAX_REPORTED_ERRORS:
                    break
    else:
        raise HTTPException(
            status_code=415,
            detail="send events as application/x-ndjson (one JSON event per line) "
            "or application/json (an array of events)",
        )
    if errors:
        where = errors[0].get("line")
        first = f"line {where}: " if where else ""
        raise BadEvents(
            detail=f"{len(errors)}{'+' if len(errors) >= MAX_REPORTED_ERRORS else ''} invalid "
            f"event(s); nothing was ingested. First: {first}{errors[0]['message']}",
            extra=errors,
        )
    if not events:
        raise BadEvents(detail="the body holds no event")
    return events


_EVENT_PROPERTIES = {
    name: Schema(type=OpenAPIType.STRING)
    for name in (
        "platform",
        "ego",
        "counterpart",
        "direction",
        "kind",
        "at",
        "event_id",
        "thread_id",
    )
} | {"text_len": Schema(type=OpenAPIType.INTEGER)}
_EVENT = Schema(
    type=OpenAPIType.OBJECT,
    required=["platform", "ego", "counterpart", "direction", "kind", "at", "event_id"],
    properties=_EVENT_PROPERTIES,  # type: ignore[arg-type]
    description="One Interaction: direction is in|out; kind is like, repost, quote, mention, "
    "reply, message, block, mute or report; at is ISO 8601 with a timezone.",
)
_BODY_DOC = RequestBody(
    required=True,
    description="Normalised interaction events (see the `Interaction` schema), one JSON object "
    "per line, or a JSON array of them.",
    content={
        "application/x-ndjson": OpenAPIMediaType(schema=_EVENT),
        "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.ARRAY, items=_EVENT)),
    },
)


@dataclass
class _IngestOperation(Operation):
    """Documents the raw body (JSON Lines or an array), which the handler parses itself."""

    def __post_init__(self) -> None:
        self.request_body = _BODY_DOC


class IngestController(Controller):
    path = "/v1/ingest"
    tags = ("ingest",)

    @post(
        "/",
        status_code=HTTP_200_OK,
        summary="Ingest normalised events (all or nothing)",
        description=__doc__,
        operation_class=_IngestOperation,
        responses=documented(413, 415, *AUTHED),
    )
    async def ingest(self, request: Request[Any, Any, Any], ctx: NamedDependency[Ctx]) -> IngestOut:
        redis, tenant, services = ctx.redis, ctx.tenant, ctx.services
        content_type = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        body = await request.body()
        now = services.clock()
        events = parse_events(body, content_type, now)
        settings = services.settings
        result = await ingest(
            redis,
            tenant,
            events,
            now=now,
            config=services.config,
            dedup_window_days=settings.dedup_window_days,
            events_retention_days=settings.events_retention_days,
        )
        services.metrics.events_ingested.inc(result.accepted)
        scores: dict[str, float] = {}
        for ref in result.accounts:
            previous, report = await score_store.refresh(
                redis,
                tenant,
                ref,
                now=now,
                config=services.config,
                history_len=settings.score_history_len,
            )
            services.score_cache.invalidate((tenant, ref.platform, ref.account))
            services.metrics.score_computations.labels("ingest").inc()
            queued = await webhooks.emit(redis, tenant, ref, previous, report, now=now)
            services.metrics.webhook_deliveries.inc(len(queued))
            scores[f"{ref.platform}/{ref.account}"] = report.score
        return IngestOut(
            accepted=result.accepted,
            duplicates=result.duplicates,
            stale=result.stale,
            relationships_updated=result.relationships_updated,
            accounts=[
                TrackAccount(platform=r.platform, account=r.account) for r in result.accounts
            ],
            scores=scores,
        )
