"""The ASGI entry point for servers: `uvicorn --factory rapport.api.asgi:app_factory`.

Settings come from `RAPPORT_*` environment variables; each server worker builds its own app
(and so its own Redis pool).
"""

from __future__ import annotations

from litestar import Litestar

from rapport.api.app import create_app
from rapport.settings import Settings

__all__ = ["app_factory"]


def app_factory() -> Litestar:
    return create_app(Settings.from_env())
