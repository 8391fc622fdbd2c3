"""The account pages: a small server-rendered site under `/ui`, in the API's own app.

`ui_router()` holds the pages with their security headers (a Content-Security-Policy that
allows nothing but this origin, no framing, no referrer) and an error handler that answers
with an HTML page instead of problem+json. `skip_ui` keeps the API's bearer-key middleware off
`/ui`, whose pages sign in with a cookie (rapport.web.session) checked by the same key store.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, Router
from litestar.datastructures import ResponseHeader
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.types import ASGIApp, Receive, Scope, Send

from rapport.web.pages import HANDLERS
from rapport.web.render import page
from rapport.web.session import csrf_token

__all__ = ["CSP", "security_headers", "skip_ui", "ui_router"]

#: Only this origin, and no inline script or style: inline SVG charts use attributes only.
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_TITLES = {400: "Upload refused", 403: "Form expired", 413: "Archive too large", 429: "Slow down"}


def _error_page(request: Request[Any, Any, Any], error: HTTPException) -> Response[str]:
    """Errors on `/ui` are pages a person reads, with a way back."""
    return page(
        "error.html",
        status_code=error.status_code,
        title=_TITLES.get(error.status_code, "Something went wrong"),
        message=error.detail,
        csrf=csrf_token(request),
        headers=error.headers,
    )


def security_headers(csp: str) -> list[ResponseHeader]:
    """The headers of every page Rapport serves (these and the API documentation at `/schema`):
    its Content-Security-Policy, no MIME sniffing, no referrer sent elsewhere, no framing."""
    return [
        ResponseHeader(name="Content-Security-Policy", value=csp),
        ResponseHeader(name="X-Content-Type-Options", value="nosniff"),
        ResponseHeader(name="Referrer-Policy", value="no-referrer"),
        ResponseHeader(name="X-Frame-Options", value="DENY"),
    ]


def ui_router() -> Router:
    return Router(
        path="/",
        route_handlers=HANDLERS,
        include_in_schema=False,
        response_headers=security_headers(CSP),
        exception_handlers={HTTPException: _error_page},
    )


def _is_ui(path: str) -> bool:
    return path == "/ui" or path.startswith("/ui/")


def skip_ui(middleware: type[Any]) -> type[Any]:
    """`middleware` (an ASGI middleware class) for every path but `/ui`."""

    class SkipUi:
        def __init__(self, app: ASGIApp) -> None:
            self.app = app
            self.inner = middleware(app)

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] == ScopeType.HTTP and _is_ui(scope["path"]):
                await self.app(scope, receive, send)
            else:
                await self.inner(scope, receive, send)

    SkipUi.__name__ = f"SkipUi{middleware.__name__}"
    return SkipUi
