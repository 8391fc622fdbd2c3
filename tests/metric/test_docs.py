"""docs/metric.md documents every metric option with its real default, and every rule."""

from __future__ import annotations

import re
from pathlib import Path

import msgspec
import pytest

from rapport.metric import RULES, MetricConfig

DOC = (Path(__file__).resolve().parents[2] / "docs" / "metric.md").read_text()
TABLE = dict(re.findall(r"^\| `([a-z_.]+)` \| ([^|]+) \|", DOC, re.M))


def _options(struct: msgspec.Struct, prefix: str = "") -> dict[str, object]:
    result: dict[str, object] = {}
    for field in msgspec.structs.fields(struct):
        value = getattr(struct, field.name)
        if isinstance(value, msgspec.Struct) and field.name != "audience":
            result.update(_options(value, f"{prefix}{field.name}."))
        else:
            result[f"{prefix}{field.name}"] = value
    return result


@pytest.mark.parametrize(("option", "default"), sorted(_options(MetricConfig()).items()))
def test_every_option_is_documented_with_its_default(option: str, default: object) -> None:
    assert option in TABLE, f"docs/metric.md: add `{option}` to the defaults table"
    documented = TABLE[option].strip()
    if default is None:
        assert documented == "none"
    elif isinstance(default, list):
        assert documented == str(default)
    else:
        assert float(documented.replace(",", "")) == float(default)  # type: ignore[arg-type]


@pytest.mark.parametrize("rule", [rule.name for rule in RULES])
def test_every_authenticity_rule_is_documented(rule: str) -> None:
    assert f"| `{rule}` |" in DOC
