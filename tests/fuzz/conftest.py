"""The fuzz suites reuse the API tests' app and keys (`make_api`, `api`)."""

from __future__ import annotations

from tests.api.conftest import api, make_api

__all__ = ["api", "make_api"]
