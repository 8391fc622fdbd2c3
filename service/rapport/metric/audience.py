"""Relevance: whether a counterpart belongs to the audience a tenant declared.

The essay's question is not "how many" but "WHO are the followers you are going after". When a
tenant names its audience, a counterpart is relevant if it is one of the named accounts, or its
profile's bio, name or handle mentions a keyword, or its URL is on a named domain.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from rapport.metric.config import AudienceProfile
from rapport.model import Profile

__all__ = ["is_relevant"]


def _host(url: str) -> str:
    host = urlsplit(url if "://" in url else f"//{url}").hostname or ""
    return host.lower()


def _on_domain(host: str, domain: str) -> bool:
    domain = domain.lower().lstrip(".")
    return host == domain or host.endswith("." + domain)


def is_relevant(counterpart: str, profile: Profile | None, audience: AudienceProfile) -> bool:
    accounts = {a.lower().lstrip("@") for a in audience.accounts}
    if counterpart.lower().lstrip("@") in accounts:
        return True
    if profile is None:
        return False
    if profile.handle and profile.handle.lower().lstrip("@") in accounts:
        return True
    text = " ".join(filter(None, (profile.bio, profile.display_name, profile.handle))).lower()
    if any(keyword.lower() in text for keyword in audience.keywords):
        return True
    return bool(profile.url) and any(
        _on_domain(_host(profile.url or ""), domain) for domain in audience.domains
    )
