"""Templates (Jinja2, autoescaped: account ids and profile text are attacker-controlled) and
the HTML responses of the web pages."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from litestar import Response
from litestar.datastructures import Cookie
from litestar.enums import MediaType

__all__ = ["page", "when"]

COMPONENT_NAMES = {
    "connections": "Genuine connections",
    "depth": "Depth",
    "responsiveness": "Responsiveness",
    "focus": "Focus",
    "authenticity": "Audience authenticity",
}


def when(value: datetime | float | str | None) -> str:
    """A timestamp as people read it (UTC, to the minute), or an em dash. A string is ISO 8601,
    as job results carry their dates."""
    if value is None:
        return "—"
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    elif not isinstance(value, datetime):
        value = datetime.fromtimestamp(value, UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def number(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{value:.0f}"


@cache
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("rapport.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["when"] = when
    env.filters["number"] = number
    env.globals["component_names"] = COMPONENT_NAMES
    return env


def page(
    template: str,
    *,
    status_code: int = 200,
    cookies: list[Cookie] | None = None,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> Response[str]:
    """Render `template` with `context` as an HTML response (never cached: it is per tenant)."""
    context.setdefault("tenant", None)
    context.setdefault("csrf", "")
    html = _env().get_template(template).render(**context)
    return Response(
        html,
        status_code=status_code,
        media_type=MediaType.HTML,
        cookies=cookies or [],
        headers={"Cache-Control": "no-store", **(headers or {})},
    )
