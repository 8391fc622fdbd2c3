"""Security tests reuse the real parts of the API and job suites: the app on real Redis with two
tenants' keys (`make_api`, `api`), and in-process workers (`worker`, `queue`, `settings`)."""

from __future__ import annotations

import pytest

from tests.api.conftest import api, make_api
from tests.jobs.conftest import queue, settings, worker

__all__ = ["api", "make_api", "queue", "settings", "worker"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """arq's own `Worker.close` calls redis-py's deprecated `close()` (see tests/jobs)."""
    marker = pytest.mark.filterwarnings("ignore:Call to deprecated close:DeprecationWarning")
    for item in items:
        if "tests/security/" in item.nodeid:
            item.add_marker(marker)
