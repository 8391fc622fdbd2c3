"""Relevance to a declared audience: accounts, keywords, domains."""

from __future__ import annotations

from rapport.metric.audience import is_relevant
from rapport.metric.config import AudienceProfile
from rapport.model import Profile

AUDIENCE = AudienceProfile(keywords=["Rust"], domains=["example.org"], accounts=["@bea"])


def test_named_accounts_are_relevant_without_a_profile() -> None:
    assert is_relevant("bea", None, AUDIENCE)
    assert not is_relevant("cal", None, AUDIENCE)


def test_keywords_match_bio_name_or_handle_case_insensitively() -> None:
    assert is_relevant("cal", Profile(platform="x", account="cal", bio="I write rust."), AUDIENCE)
    assert is_relevant("cal", Profile(platform="x", account="cal", handle="rustacean"), AUDIENCE)
    assert not is_relevant("cal", Profile(platform="x", account="cal", bio="Go."), AUDIENCE)


def test_domains_match_the_host_and_its_subdomains_only() -> None:
    def with_url(url: str) -> Profile:
        return Profile(platform="x", account="cal", url=url)

    assert is_relevant("cal", with_url("https://blog.example.org/me"), AUDIENCE)
    assert is_relevant("cal", with_url("example.org"), AUDIENCE)
    assert not is_relevant("cal", with_url("https://notexample.org"), AUDIENCE)
    assert not is_relevant("cal", with_url("https://example.org.evil.test"), AUDIENCE)
