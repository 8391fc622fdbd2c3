"""The genuine-connection metric: a pure library (no storage, no network, no CLI).

A notebook can use it as is::

    from rapport.metric import MetricConfig, group_by_account, score_events
    accounts = group_by_account(interactions)
    report = score_events(accounts[ref], as_of=now)
"""

from rapport.metric.aggregate import RelationshipAggregate
from rapport.metric.authenticity import RULES, AuthenticityRule, fired_rules
from rapport.metric.config import (
    METRIC_VERSION,
    AudienceProfile,
    ConfigError,
    MetricConfig,
    load_config,
)
from rapport.metric.report import (
    ComponentReport,
    LayerReport,
    MissingData,
    RelationshipReport,
    RuleFired,
    ScoreReport,
)
from rapport.metric.score import score_events, score_table
from rapport.metric.strength import genuine_mask, reciprocity, strength
from rapport.metric.table import AccountEvents, RelationshipTable, aggregate, group_by_account

__all__ = [
    "METRIC_VERSION",
    "RULES",
    "AccountEvents",
    "AudienceProfile",
    "AuthenticityRule",
    "ComponentReport",
    "ConfigError",
    "LayerReport",
    "MetricConfig",
    "MissingData",
    "RelationshipAggregate",
    "RelationshipReport",
    "RelationshipTable",
    "RuleFired",
    "ScoreReport",
    "aggregate",
    "fired_rules",
    "genuine_mask",
    "group_by_account",
    "load_config",
    "reciprocity",
    "score_events",
    "score_table",
    "strength",
]
