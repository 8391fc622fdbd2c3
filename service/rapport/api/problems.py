"""Every error as RFC 9457 `application/problem+json`.

Litestar raises `HTTPException`s for routing (404, 405), validation (400), body size (413) and
auth (401); Rapport raises its own for 404/422/429. One handler turns any of them into a
`Problem`, and one turns anything unexpected into a bare 500 (the exception is logged with the
request id; the client gets no traceback and no exception text).
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec

from rapport.api.schemas import Problem

__all__ = [
    "AUTHED",
    "PROBLEM_JSON",
    "NotFound",
    "RateLimitedError",
    "UnprocessableError",
    "documented",
    "field_of",
    "http_exception_handler",
    "internal_error_handler",
    "problem_response",
    "service_unavailable_handler",
    "too_deep_handler",
]

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("rapport.api")
_PROBLEM_BASE = "https://rapport.invalid/problems/"
_FIELD_RE = re.compile(r"at `\$\.?(?P<path>[^`]*)`")


class NotFound(HTTPException):
    """404 for anything the tenant cannot see: missing and other-tenant objects look alike."""

    status_code = 404


class UnprocessableError(HTTPException):
    status_code = 422


class RateLimitedError(HTTPException):
    status_code = 429


def documented(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI entries for the problem+json errors a route can answer with."""
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_JSON,
            description=HTTPStatus(status).phrase + " (RFC 9457 problem details)",
            generate_examples=False,
        )
        for status in statuses
    }


#: What every authenticated route may answer besides its success. 400 is listed because
#: litestar's own entry for validation errors documents `application/json`, while every error
#: here is problem+json: clients (and schemathesis) must be told what they will get.
AUTHED = (400, 401, 429, 500)


def _request_id(request: Request[Any, Any, Any]) -> str | None:
    state = request.scope.get("state") or {}
    value = state.get("request_id")
    return value if isinstance(value, str) else None


def problem_response(
    request: Request[Any, Any, Any],
    status: int,
    detail: str | None,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
    type_: str | None = None,
) -> Response[bytes]:
    try:
        title = HTTPStatus(status).phrase
    except ValueError:
        title = "Error"
    problem = Problem(
        type=type_ or "about:blank",
        title=title,
        status=status,
        detail=detail,
        instance=request.scope.get("path"),
        request_id=_request_id(request),
        errors=errors,
    )
    return Response(
        content=msgspec.json.encode(problem),
        status_code=status,
        media_type=PROBLEM_JSON,
        headers=headers,
    )


_NAMED_RE = re.compile(r"(?:unknown|required) field `(?P<name>[^`]+)`")


def field_of(message: str) -> str:
    """The field a msgspec/litestar message is about (`a.b[0]`), or "" when it names none."""
    match = _FIELD_RE.search(message)
    path = match.group("path") if match else ""
    named = _NAMED_RE.search(message)
    if named:
        path = f"{path}.{named.group('name')}" if path else named.group("name")
    return path


def _validation_errors(extra: Any) -> list[dict[str, str]]:
    """Validation details as `{field, message, source?, line?}` items."""
    items = extra if isinstance(extra, list) else []
    errors: list[dict[str, str]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        message = str(item.get("message", "invalid value"))
        # "" when the message names no field (a line that is not JSON), never "None".
        field = item.get("field") or field_of(message) or item.get("key") or ""
        entry = {"field": str(field), "message": message}
        for extra_key in ("source", "line"):
            if item.get(extra_key):
                entry[extra_key] = str(item[extra_key])
        errors.append(entry)
    return errors


def http_exception_handler(request: Request[Any, Any, Any], exc: HTTPException) -> Response[bytes]:
    status = exc.status_code
    headers = dict(exc.headers or {})
    if isinstance(exc, ValidationException) or (status == 400 and exc.extra):
        errors = _validation_errors(exc.extra)
        detail = str(exc.detail)
        if isinstance(exc, ValidationException) and errors:
            fields = ", ".join(e["field"] for e in errors if e["field"]) or "the body"
            detail = f"invalid {fields}: " + "; ".join(e["message"] for e in errors)
        return problem_response(
            request,
            400,
            detail,
            errors=errors,
            type_=_PROBLEM_BASE + "validation",
        )
    if status == 413:
        return problem_response(request, 413, "the request body exceeds the size limit")
    if status >= 500:
        logger.error("server error", extra={"status": status, "error": type(exc).__name__})
        return problem_response(request, status, None, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else None
    extra = exc.extra if isinstance(exc.extra, list) else None
    return problem_response(request, status, detail, headers=headers, errors=extra)


def internal_error_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    logger.error(
        "unhandled error",
        exc_info=exc,
        extra={"request_id": _request_id(request), "route": request.scope.get("path_template")},
    )
    return problem_response(request, 500, "an internal error occurred; quote the request id")


def bad_encoding_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Invalid UTF-8 inside a JSON string makes msgspec raise `UnicodeDecodeError`, not a
    `DecodeError`, and litestar lets it through: it was a 500 on every body route (found by
    fuzzing). It is the client's bytes, so a 400 validation problem."""
    return problem_response(
        request,
        400,
        "the body is not valid UTF-8",
        errors=[{"field": "body", "message": str(exc)[:200]}],
        type_=_PROBLEM_BASE + "validation",
    )


#: What `RecursionError` says when a JSON decoder (msgspec's, or the standard library's) gave
#: up on nesting deeper than the interpreter's recursion limit: the body is at fault.
_DECODING_TOO_DEEP = re.compile(r"recursion depth exceeded while (deserializing|decoding)")


def too_deep_handler(request: Request[Any, Any, Any], exc: RecursionError) -> Response[bytes]:
    """JSON nested about 1,000 deep (a 2 KB body) makes the decoder raise `RecursionError`,
    which litestar lets through: it was a 500 with a traceback in the log on every JSON route.
    It is the client's body, so a 400 validation problem; any other `RecursionError` is ours,
    a 500 like every unexpected error."""
    if not _DECODING_TOO_DEEP.search(str(exc)):
        return internal_error_handler(request, exc)
    return problem_response(
        request,
        400,
        "the body is JSON nested too deeply to decode",
        errors=[{"field": "body", "message": "JSON nested too deeply"}],
        type_=_PROBLEM_BASE + "validation",
    )


def service_unavailable_handler(request: Request[Any, Any, Any], exc: Exception) -> Response[bytes]:
    """Redis (data or queue) unreachable or still loading: 503 with `Retry-After`, not a 500,
    so clients and load balancers back off and retry. Nothing to repair: redis-py reconnects on
    the next request once Redis answers, and the API recovers by itself."""
    logger.warning(
        "backing service unavailable",
        extra={"request_id": _request_id(request), "error": type(exc).__name__},
    )
    return problem_response(
        request,
        503,
        "a backing service (Redis) is unavailable; retry shortly",
        headers={"Retry-After": "5"},
    )
