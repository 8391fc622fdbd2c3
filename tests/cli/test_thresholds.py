"""Rule descriptions carry the values they ran with, formatted for a person."""

from __future__ import annotations

from rapport.cli.thresholds import describe_with_thresholds
from rapport.metric.authenticity import RULES
from rapport.metric.config import AuthenticityConfig


def test_settings_become_their_values() -> None:
    config = AuthenticityConfig(mass_following=12000, follow_ratio=2.5, new_account_days=30.0)
    assert (
        describe_with_thresholds("follows at least `mass_following` accounts", config)
        == "follows at least 12,000 accounts"
    )
    assert describe_with_thresholds("`follow_ratio` times", config) == "2.5 times"
    assert describe_with_thresholds("`new_account_days` days", config) == "30 days"


def test_other_backquoted_words_are_left_alone() -> None:
    assert describe_with_thresholds("see `rapport score`", AuthenticityConfig()) == (
        "see `rapport score`"
    )


def test_no_rule_keeps_a_setting_name() -> None:
    for rule in RULES:
        described = describe_with_thresholds(rule.description, AuthenticityConfig())
        assert "`" not in described, rule.name
