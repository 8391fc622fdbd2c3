"""The scoring API (litestar): `create_app(settings)` builds it; `rapport api` serves it."""

from service.api.app import create_app

__all__ = ["create_app"]
