"""Every error Rapport raises on purpose, in one hierarchy.

RapportError
├── InputError            bad input from a user: a file, a line, a field, a config
│   ├── EventsFileError   a JSON Lines events file (names file, line and field)
│   └── ArchiveError      an export archive (names the archive, the member and the position)
├── ConnectorError        a platform connector could not do its work
│   ├── PlatformError     the platform answered with an error or a body we cannot read
│   └── RateLimited       the platform asked us to wait until `reset_at`
└── PluginLoadError       a plugin failed to import or register (fatal only in strict mode)

The CLI turns an InputError into one line on stderr and exit code 2; the API turns it into an
RFC 9457 problem+json. Anything else escaping is a bug.
"""

from __future__ import annotations

from datetime import datetime

__all__ = [
    "ArchiveError",
    "ConnectorError",
    "EventsFileError",
    "InputError",
    "PlatformError",
    "PluginLoadError",
    "RapportError",
    "RateLimited",
]


class RapportError(Exception):
    """Base of every deliberate Rapport error."""


class InputError(RapportError):
    """Input that cannot be used; the message says what was wrong and where."""


class EventsFileError(InputError):
    def __init__(self, source: str, line: int, message: str) -> None:
        self.source, self.line = source, line
        super().__init__(f"{source}:{line}: {message}")


class ArchiveError(InputError):
    def __init__(
        self, archive: str, message: str, *, member: str | None = None, position: str | None = None
    ) -> None:
        self.archive, self.member, self.position = archive, member, position
        where = archive + (f"!{member}" if member else "") + (f" at {position}" if position else "")
        super().__init__(f"{where}: {message}")


class ConnectorError(RapportError):
    """A connector could not complete its work."""


class PlatformError(ConnectorError):
    def __init__(
        self, platform: str, message: str, *, status: int | None = None, url: str | None = None
    ) -> None:
        self.platform, self.status, self.url = platform, status, url
        detail = f" (HTTP {status})" if status is not None else ""
        super().__init__(f"{platform}: {message}{detail}")


class RateLimited(ConnectorError):  # noqa: N818 - the name the issue and docs use
    """The platform's rate limit is exhausted until `reset_at`; callers defer, never spin."""

    def __init__(self, platform: str, reset_at: datetime, *, endpoint: str | None = None) -> None:
        self.platform, self.reset_at, self.endpoint = platform, reset_at, endpoint
        super().__init__(
            f"{platform}: rate limited until {reset_at.isoformat()}"
            + (f" on {endpoint}" if endpoint else "")
        )


class PluginLoadError(RapportError):
    def __init__(self, plugin: str, message: str) -> None:
        self.plugin = plugin
        super().__init__(f"plugin {plugin!r} failed to load: {message}")
