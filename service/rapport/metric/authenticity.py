"""Transparent bot and fake-account heuristics over profile metadata.

Every rule has a name a person can read in a score document, a one-line description, and the
published work it comes from (docs/metric.md lists the full references). No rule is a black
box and none fires on missing data: an unknown follower count is not a suspicious one. An
account is *flagged* when at least `min_rules_to_flag` rules fire, because each rule alone has
honest exceptions (a new account, a person without a bio).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rapport.metric.config import AuthenticityConfig
from rapport.metric.decay import DAY_SECONDS, epoch
from rapport.model import Profile

__all__ = ["RULES", "AuthenticityRule", "fired_rules"]

Check = Callable[[Profile, float | None, AuthenticityConfig], bool]


@dataclass(frozen=True, slots=True)
class AuthenticityRule:
    name: str
    description: str
    source: str
    check: Check


def _mass_following(p: Profile, _first: float | None, c: AuthenticityConfig) -> bool:
    return p.following_count is not None and p.following_count >= c.mass_following


def _follow_ratio(p: Profile, _first: float | None, c: AuthenticityConfig) -> bool:
    if p.following_count is None or p.followers_count is None:
        return False
    if p.following_count < c.follow_ratio_min_following:
        return False
    return p.following_count >= c.follow_ratio * max(p.followers_count, 1)


def _few_followers(p: Profile, _first: float | None, c: AuthenticityConfig) -> bool:
    return p.followers_count is not None and p.followers_count < c.few_followers


def _default_profile(p: Profile, _first: float | None, _c: AuthenticityConfig) -> bool:
    return p.default_avatar is True


def _no_bio(p: Profile, _first: float | None, _c: AuthenticityConfig) -> bool:
    return p.bio is not None and not p.bio.strip()


def _no_posts(p: Profile, _first: float | None, _c: AuthenticityConfig) -> bool:
    return p.posts_count == 0


def _new_account(p: Profile, first: float | None, c: AuthenticityConfig) -> bool:
    # Measured against the first contact, not against `as_of`: an account created days before it
    # started engaging stays suspicious, and the score cannot rise just because time passed.
    if p.created_at is None or first is None:
        return False
    return first - epoch(p.created_at) < c.new_account_days * DAY_SECONDS


def _handle_digits(p: Profile, _first: float | None, c: AuthenticityConfig) -> bool:
    if not p.handle:
        return False
    return (
        re.search(rf"\d{{{c.handle_digit_run},}}$", p.handle.lstrip("@").split("@")[0]) is not None
    )


RULES: tuple[AuthenticityRule, ...] = (
    AuthenticityRule(
        "mass_following",
        "follows at least `mass_following` accounts: an attention budget no person has",
        "X Help Center, 'Following limits' (5,000-account cap); Cresci et al. 2015",
        _mass_following,
    ),
    AuthenticityRule(
        "follow_ratio",
        "follows `follow_ratio` times more accounts than follow it (follow-back farming)",
        "Cresci et al. 2015, 'Fame for sale' (friends/followers ratio)",
        _follow_ratio,
    ),
    AuthenticityRule(
        "few_followers",
        "fewer than `few_followers` followers",
        "Camisani-Calzolari 2012 rule set, as evaluated in Cresci et al. 2015",
        _few_followers,
    ),
    AuthenticityRule(
        "default_profile",
        "still has the platform's default avatar",
        "Cresci et al. 2015; Yang et al. 2020 (Botometer-lite feature default_profile)",
        _default_profile,
    ),
    AuthenticityRule(
        "no_bio",
        "has an empty profile description",
        "Camisani-Calzolari 2012 rule set, as evaluated in Cresci et al. 2015",
        _no_bio,
    ),
    AuthenticityRule(
        "no_posts",
        "has never posted",
        "Cresci et al. 2015 (statuses count)",
        _no_posts,
    ),
    AuthenticityRule(
        "new_account",
        "was created less than `new_account_days` days before its first contact",
        "Yang et al. 2020 (user age feature)",
        _new_account,
    ),
    AuthenticityRule(
        "handle_digits",
        "handle ends in a run of at least `handle_digit_run` digits, as generated names do",
        "Beskow and Carley 2019, 'Its all in a name'; Yang et al. 2020 (screen-name digits)",
        _handle_digits,
    ),
)


def fired_rules(
    profile: Profile, first_contact: float | None, config: AuthenticityConfig
) -> list[str]:
    """The names of the rules that fire for `profile`, in the order of RULES."""
    return [rule.name for rule in RULES if rule.check(profile, first_contact, config)]
