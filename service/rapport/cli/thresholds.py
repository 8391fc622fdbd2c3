"""Authenticity rules described with the thresholds they ran with.

The metric describes a rule by the names of its settings ("follows at least
`mass_following` accounts"), which tells a person nothing about their score. The CLI scores
with a known configuration, so it puts the values in ("follows at least 5,000 accounts"),
in the table and in the JSON alike.
"""

from __future__ import annotations

import re

import msgspec

from rapport.metric import MetricConfig, ScoreReport
from rapport.metric.config import AuthenticityConfig

__all__ = ["describe_with_thresholds", "with_thresholds"]

_SETTING = re.compile(r"`([a-z_]+)`")
_SETTINGS = frozenset(f.name for f in msgspec.structs.fields(AuthenticityConfig))


def describe_with_thresholds(description: str, config: AuthenticityConfig) -> str:
    """Replace each `setting` named in `description` by its value in `config`."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in _SETTINGS:
            return match.group(0)
        number = getattr(config, name)
        return f"{number:,}" if isinstance(number, int) else f"{number:,g}"

    return _SETTING.sub(value, description)


def with_thresholds(report: ScoreReport, config: MetricConfig) -> ScoreReport:
    """`report` with every fired rule's description carrying its thresholds."""
    rules = [
        msgspec.structs.replace(
            rule, description=describe_with_thresholds(rule.description, config.authenticity)
        )
        for rule in report.rules_fired
    ]
    return msgspec.structs.replace(report, rules_fired=rules)
