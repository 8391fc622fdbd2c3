"""The ASGI entry point for servers: `uvicorn --factory service.api.asgi:app_factory`.

Settings come from `RAPPORT_*` environment variables; each server worker builds its own app
(and so its own Redis pool).
"""

from __future__ import annotations

from litestar import Litestar

from service.api.app import create_app
from service.settings import Settings

__all__ = ["app_factory"]


def app_factory() -> Litestar:
    return create_app(Settings.from_env())
