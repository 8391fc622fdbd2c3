"""The API's documentation page, `/schema`: Swagger UI, served by the app from its own files.

Nothing comes from a CDN, because the page must work where the service runs: a laptop without
internet (`rapport up`), a cluster without egress. Swagger UI is vendored from the npm package
swagger-ui-dist at a pinned version (`schema_assets/swagger-ui/vendored.json`, with its licence;
`scripts/vendor-swagger-ui` refreshes it). It is the only viewer served: it runs under a strict
Content-Security-Policy (its styles are one stylesheet, where Redoc and Scalar inject `<style>`
elements and would need `style-src 'unsafe-inline'`), and its "Try it out" with a key is what a
developer opens the page for.

The page, the OpenAPI document and the assets carry the security headers of the account pages
(`rapport.web.security_headers`). The page has no inline script (`schema.js` starts Swagger UI)
and no inline style; the CSP differs from the account pages' only by `img-src data:`, for the
icons `swagger-ui.css` embeds as `data:` URIs (an image cannot run script).
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from litestar import Request, Router, get
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.params import FromPath
from litestar.response import File

from rapport.web import security_headers

__all__ = ["CSP", "SCHEMA_PATH", "SwaggerUiPage", "schema_router"]

SCHEMA_PATH = "/schema"
_ASSETS_ROUTE = "/assets"
ASSETS_PATH = SCHEMA_PATH + _ASSETS_ROUTE
ASSETS_DIR = Path(__file__).resolve().parent / "schema_assets"
#: Every file the page may load, by its path under `ASSETS_PATH`: nothing else can be named.
_ASSETS = {p.relative_to(ASSETS_DIR).as_posix(): p for p in ASSETS_DIR.rglob("*") if p.is_file()}

#: Only this origin; no inline script or style; `data:` images for swagger-ui.css's icons.
CSP = (
    "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{assets}/swagger-ui/favicon-32x32.png">
<link rel="stylesheet" href="{assets}/swagger-ui/swagger-ui.css">
<link rel="stylesheet" href="{assets}/schema.css">
<script src="{assets}/swagger-ui/swagger-ui-bundle.js" defer></script>
<script src="{assets}/schema.js" defer></script>
</head>
<body>
<noscript><p>This page needs JavaScript. The OpenAPI document itself is
<a href="{openapi}">{openapi}</a>.</p></noscript>
<div id="swagger-ui" data-openapi="{openapi}"></div>
</body>
</html>
"""


class SwaggerUiPage(OpenAPIRenderPlugin):
    """Swagger UI at the root of `SCHEMA_PATH`, loading the OpenAPI document by its URL."""

    def __init__(self) -> None:
        super().__init__(path="/")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        return _PAGE.format(
            title=html.escape(openapi_schema["info"]["title"]),
            openapi=html.escape(self.get_openapi_json_route(request)),
            assets=ASSETS_PATH,
        ).encode()


@get(
    f"{_ASSETS_ROUTE}/{{name:path}}",
    name="schema-asset",
    cache_control=CacheControlHeader(public=True, max_age=3600),
    sync_to_thread=False,
)
def asset(name: FromPath[str]) -> File:
    """A file of `schema_assets/`, streamed. A `File` (not litestar's static-files router, whose
    ASGI responses skip the router's headers), so the assets carry the security headers too:
    `nosniff` is what makes browsers hold scripts and stylesheets to their content type."""
    path = _ASSETS.get(name.lstrip("/"))
    if path is None:
        raise NotFoundException("No such file.")
    return File(path, filename=path.name, content_disposition_type="inline")


def schema_router() -> Router:
    """The router under `SCHEMA_PATH`: litestar adds the page and the OpenAPI document to it
    (`OpenAPIConfig.openapi_router`); the assets are files of this package."""
    return Router(
        path=SCHEMA_PATH,
        route_handlers=[asset],
        include_in_schema=False,
        response_headers=security_headers(CSP),
    )
