"""`POST /v1/ingest`: normalised events as JSON Lines or a JSON array.

All or nothing: the whole body is parsed and validated before anything is written, and the
first errors (up to `MAX_REPORTED_ERRORS`) are returned together, each naming its line (JSON
Lines) or item (JSON array) and field. The body size is capped by `RAPPORT_MAX_BODY_BYTES`
(413 beyond). Accounts named by the events are tracked for the caller's tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIType
from litestar.status_codes import HTTP_200_OK

from rapport.api.bodies import MAX_REPORTED_ERRORS, RecordsBody, media_type
from rapport.api.problems import AUTHED, documented
from rapport.api.rescore import rescore
from rapport.api.schemas import IngestOut, TrackAccount
from rapport.api.state import Ctx
from rapport.model import Interaction
from rapport.storage.ingest import event_problem, ingest

__all__ = ["MAX_REPORTED_ERRORS", "IngestController", "parse_events"]

_EVENTS = RecordsBody(Interaction, noun="event", done="ingested")


def parse_events(body: bytes, content_type: str, now: float) -> list[Interaction]:
    """Validate every event of the body, or raise one 400 listing the first errors."""
    return _EVENTS.parse(body, content_type, lambda event: event_problem(event, now))


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
        body = await request.body()
        now = services.clock()
        events = parse_events(body, media_type(request), now)
        settings = services.settings
        result = await ingest(
            redis,
            tenant,
            events,
            now=now,
            config=services.config,
            max_ids=settings.dedup_max_ids,
            events_retention_days=settings.events_retention_days,
        )
        services.metrics.events_ingested.inc(result.accepted)
        scores: dict[str, float] = {}
        for ref in result.accounts:
            report = await rescore(ctx, ref, now=now, reason="ingest")
            scores[f"{ref.platform}/{ref.account}"] = report.score
        return IngestOut(
            accepted=result.accepted,
            duplicates=result.duplicates,
            refused=result.refused,
            relationships_updated=result.relationships_updated,
            accounts=[
                TrackAccount(platform=r.platform, account=r.account) for r in result.accounts
            ],
            scores=scores,
        )
