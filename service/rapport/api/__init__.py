"""The scoring API (litestar): `create_app(settings)` builds it; `rapport api` serves it.

`create_app` is imported lazily so that `rapport.api.schemas` (which the Python client uses)
can be imported without litestar's app machinery or Redis.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from rapport.api.app import create_app

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from rapport.api.app import create_app

        return create_app
    raise AttributeError(name)
