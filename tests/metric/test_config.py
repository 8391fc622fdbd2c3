"""Metric configuration: documented defaults, partial overrides, clear errors."""

from __future__ import annotations

import pytest

from rapport.metric import ConfigError, MetricConfig, load_config
from rapport.model import Kind


def test_defaults_are_the_documented_ones() -> None:
    config = MetricConfig()
    assert config.half_life_days == 30
    assert config.recency_half_life_days == 14
    assert config.turn_bonus == 10
    assert config.points.total() == 100
    assert [config.weights.of(k) for k in Kind] == [1, 2, 4, 4, 6, 8, 0, 0, 0]


def test_toml_overrides_keep_other_defaults() -> None:
    config = load_config(
        b"half_life_days = 21\n[weights]\nlike = 0.5\n[audience]\nkeywords = ['rust']\n",
        source="m.toml",
        fmt="toml",
    )
    assert config.half_life_days == 21
    assert config.weights.like == 0.5
    assert config.weights.reply == 6
    assert config.audience is not None
    assert config.audience.keywords == ["rust"]
    assert config.digest() != MetricConfig().digest()


def test_json_overrides() -> None:
    config = load_config(b'{"genuine": {"min_active_days": 3}}', source="m.json", fmt="json")
    assert config.genuine.min_active_days == 3


@pytest.mark.parametrize(
    ("data", "fmt", "message"),
    [
        (b"half_life_days = -1", "toml", r"m\.toml: invalid metric config: .*half_life_days"),
        (b"[weights]\nhug = 1", "toml", "unknown field `hug`"),
        (b"[points]\nconnections = 50", "toml", "must add up to 100"),
        (b"layers = [15, 5]", "toml", "strictly increasing"),
        (b"half_life_days = ", "toml", r"m\.toml: not valid TOML"),
        (b"{", "json", r"m\.json: truncated JSON: a key in double quotes was expected at column 2"),
        (b'{"half_life_days": 3}}', "json", r"malformed JSON: more text follows .* at column 22"),
        (b"", "yaml", "unknown config format 'yaml'"),
    ],
)
def test_bad_configs_name_source_and_field(data: bytes, fmt: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(data, source=f"m.{fmt}", fmt=fmt)


def test_digest_is_stable() -> None:
    assert MetricConfig().digest() == MetricConfig().digest()
    assert len(MetricConfig().digest()) == 12
