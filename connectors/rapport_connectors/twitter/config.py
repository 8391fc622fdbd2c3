"""The X connector's settings (`RAPPORT_TWITTER_*` environment variables)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from rapport.plugins.connector import ConnectorConfig

__all__ = ["DEFAULT_BASE_URL", "TwitterConfig"]

DEFAULT_BASE_URL = "https://api.x.com"


class TwitterConfig(ConnectorConfig, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """`token` is a bearer token (`RAPPORT_TWITTER_TOKEN`): an app-only token reads tweets,
    mentions and follows; direct messages need a user-context token with `dm.read`.
    `base_url` (`RAPPORT_TWITTER_BASE_URL`) points tests and staging at a replay server."""

    base_url: str | None = DEFAULT_BASE_URL
    max_pages: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 10
    """Pages per endpoint per refresh (X pages hold up to 100 tweets or 1000 users)."""
    messages: bool = True
    """Ask for direct messages (`/2/dm_events`); a token without DM access reports them missing."""
    engagement_tweets: Annotated[int, msgspec.Meta(ge=0, le=100)] = 10
    """Recent own tweets whose likers, reposters and quoters are read (0: none)."""
