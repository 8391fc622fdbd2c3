"""Which Redis a command uses: `RAPPORT_REDIS_URL`, else the private one of a running
`rapport up` (found through its record in the data directory, `rapport.local_stack`), said on
stderr so nobody writes keys into a Redis they did not mean; else one line that gives both ways.
"""

from __future__ import annotations

import sys

from rapport.cli.errors import fail
from rapport.jobs.paths import data_dir
from rapport.local_stack import LocalStack, find
from rapport.settings import Settings

__all__ = ["which_redis"]


def which_redis(settings: Settings) -> str:
    """The Redis URL for a command that needs one (see the module docstring)."""
    if settings.redis_url:
        return settings.redis_url
    data = data_dir(settings)
    found = find(data)
    if isinstance(found, LocalStack):
        sys.stderr.write(
            f"rapport: using the Redis of `rapport up` at {found.redis_url} (data dir {data})\n"
        )
        return found.redis_url
    why = (
        f"no `rapport up` is running with data dir {data}"
        if found is None
        else f"the `rapport up` recorded in {found.path} is not usable: {found.reason}"
    )
    fail(
        "no Redis: set RAPPORT_REDIS_URL (e.g. redis://localhost:6379/0) or start "
        f"`rapport up` ({why})"
    )
