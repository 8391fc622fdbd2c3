"""Each authenticity rule fires on its evidence, not without it, and never on unknown data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rapport.metric import RULES, fired_rules
from rapport.metric.config import AuthenticityConfig
from rapport.model import Profile

CONFIG = AuthenticityConfig()
FIRST_CONTACT = datetime(2024, 3, 1, tzinfo=UTC).timestamp()


def profile(**fields: object) -> Profile:
    return Profile(platform="x", account="1", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("rule", "fires", "quiet"),
    [
        ("mass_following", {"following_count": 5000}, {"following_count": 4999}),
        (
            "follow_ratio",
            {"following_count": 1000, "followers_count": 100},
            {"following_count": 1000, "followers_count": 101},
        ),
        (
            "follow_ratio",
            {"following_count": 600, "followers_count": 0},
            {"following_count": 400, "followers_count": 0},
        ),
        ("few_followers", {"followers_count": 29}, {"followers_count": 30}),
        ("default_profile", {"default_avatar": True}, {"default_avatar": False}),
        ("no_bio", {"bio": "  "}, {"bio": "Gardener"}),
        ("no_posts", {"posts_count": 0}, {"posts_count": 1}),
        (
            "new_account",
            {"created_at": datetime(2024, 2, 15, tzinfo=UTC)},
            {"created_at": datetime(2024, 1, 15, tzinfo=UTC)},
        ),
        ("handle_digits", {"handle": "@growth48213"}, {"handle": "ada1984x"}),
        ("handle_digits", {"handle": "bot2024@spam.example"}, {"handle": "r2d2@droids.example"}),
    ],
)
def test_rule_fires_on_evidence_only(rule: str, fires: dict, quiet: dict) -> None:
    assert rule in fired_rules(profile(**fires), FIRST_CONTACT, CONFIG)
    assert rule not in fired_rules(profile(**quiet), FIRST_CONTACT, CONFIG)


def test_no_rule_fires_on_an_unknown_profile() -> None:
    assert fired_rules(profile(), FIRST_CONTACT, CONFIG) == []
    assert fired_rules(profile(created_at=datetime(2024, 2, 28, tzinfo=UTC)), None, CONFIG) == []


def test_every_rule_is_named_described_and_sourced() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    for rule in RULES:
        assert rule.description
        assert rule.source
