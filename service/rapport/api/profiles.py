"""`POST /v1/accounts/{platform}/{account}/profiles`: the profiles of an account's network.

Without profiles the authenticity component is not measurable (the score is re-normalised over
the others) and the audience filter has no bios to read; connectors and `rapport score
--profiles` have them, and this route lets an API user send them too: the ego's own profile and
its counterparts', as JSON Lines or a JSON array (the same shapes and error format as
`POST /v1/ingest`).

All or nothing: every profile is validated (schema, counts, the path's platform) before one
HSET stores them all, replacing earlier profiles of the same accounts. The account must be
tracked by the caller's tenant (the same 404 as the other account routes otherwise). The
account is then rescored, as after an ingest, and the answer carries the new score.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Controller, Request, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIMediaType, Operation, RequestBody, Schema
from litestar.openapi.spec.enums import OpenAPIFormat, OpenAPIType
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK

from rapport.api.accounts import account_not_found
from rapport.api.bodies import RecordsBody, media_type
from rapport.api.problems import AUTHED, documented
from rapport.api.rescore import rescore
from rapport.api.schemas import ProfilesOut
from rapport.api.state import Ctx
from rapport.model import AccountRef, Profile
from rapport.storage import accounts
from rapport.storage import profiles as profile_store

__all__ = ["ProfilesController", "parse_profiles"]

_PROFILES = RecordsBody(Profile, noun="profile", done="stored")


def parse_profiles(body: bytes, content_type: str, platform: str) -> list[Profile]:
    """Validate every profile of the body, or raise one 400 listing the first errors."""

    def check(profile: Profile) -> tuple[str, str] | None:
        if profile.platform != platform:
            return "platform", (
                f"{profile.platform!r} differs from the path's platform {platform!r}: "
                "an account's network is on its own platform"
            )
        return profile_store.profile_problem(profile)

    return _PROFILES.parse(body, content_type, check)


def _nullable(type_: OpenAPIType, **constraints: Any) -> Schema:
    return Schema(type=[type_, OpenAPIType.NULL], **constraints)


_COUNT = _nullable(OpenAPIType.INTEGER, minimum=0, maximum=profile_store.MAX_COUNT)
_PROFILE = Schema(
    type=OpenAPIType.OBJECT,
    required=["platform", "account"],
    properties={
        "platform": Schema(type=OpenAPIType.STRING, pattern=r"^[a-z][a-z0-9_.-]{0,39}$"),
        "account": Schema(type=OpenAPIType.STRING, min_length=1, max_length=512),
        "handle": _nullable(OpenAPIType.STRING, max_length=512),
        "display_name": _nullable(OpenAPIType.STRING, max_length=1024),
        "followers_count": _COUNT,
        "following_count": _COUNT,
        "posts_count": _COUNT,
        "created_at": _nullable(OpenAPIType.STRING, format=OpenAPIFormat.DATE_TIME),
        "default_avatar": _nullable(OpenAPIType.BOOLEAN),
        "bio": _nullable(OpenAPIType.STRING, max_length=20_000),
        "url": _nullable(OpenAPIType.STRING, max_length=2048),
    },
    additional_properties=False,
    description="One Profile: only platform (the path's) and account are required; a rule "
    "whose inputs are unknown does not fire. created_at is ISO 8601 with a timezone.",
)
_BODY_DOC = RequestBody(
    required=True,
    description="Profiles (see the `Profile` fields: the ego's own and its counterparts'), one "
    "JSON object per line, or a JSON array of them.",
    content={
        "application/x-ndjson": OpenAPIMediaType(schema=_PROFILE),
        "application/json": OpenAPIMediaType(schema=Schema(type=OpenAPIType.ARRAY, items=_PROFILE)),
    },
)


@dataclass
class _ProfilesOperation(Operation):
    """Documents the raw body (JSON Lines or an array), which the handler parses itself."""

    def __post_init__(self) -> None:
        self.request_body = _BODY_DOC


class ProfilesController(Controller):
    path = "/v1/accounts/{platform:str}/{account:str}"
    tags = ("accounts",)

    @post(
        "/profiles",
        status_code=HTTP_200_OK,
        summary="Store profiles of the account's network and rescore it (all or nothing)",
        description=__doc__,
        operation_class=_ProfilesOperation,
        responses=documented(404, 413, 415, *AUTHED),
    )
    async def store_profiles(
        self,
        request: Request[Any, Any, Any],
        ctx: NamedDependency[Ctx],
        platform: FromPath[str],
        account: FromPath[str],
    ) -> ProfilesOut:
        redis, tenant = ctx.redis, ctx.tenant
        ref = AccountRef(platform, account)
        # The body first: an oversized one is a 413 whatever the account.
        body = await request.body()
        if await accounts.get(redis, tenant, ref) is None:
            raise account_not_found(ref)
        parsed = parse_profiles(body, media_type(request), platform)
        stored = await profile_store.put_if_tracked(redis, tenant, ref, parsed)
        if stored is None:  # purged while the body was being validated
            raise account_not_found(ref)
        now = ctx.services.clock()
        report = await rescore(ctx, ref, now=now, reason="profiles")
        return ProfilesOut(stored=stored, score=report.score)
