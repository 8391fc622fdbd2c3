"""charts/rapport/README.md documents every value of values.yaml with its real default."""

from __future__ import annotations

import re

import yaml

from tests.chart import values_doc

_ROW = re.compile(r"^\| `([^`]+)` \| (.+?) \| (.+) \|$")


def _readme_rows() -> dict[str, tuple[str, str]]:
    rows = {}
    for line in values_doc.readme_table().splitlines()[2:]:
        match = _ROW.match(line)
        assert match, f"not a values row: {line!r}"
        key, default, meaning = match.groups()
        assert key not in rows, f"{key} twice in the README"
        rows[key] = (default, meaning)
    return rows


def test_every_value_is_documented_once_in_values_yaml() -> None:
    leaves = values_doc.flatten(yaml.safe_load(values_doc.VALUES.read_text()))
    documented = values_doc.params()
    assert sorted(set(leaves) - set(documented)) == [], "values without a ## @param line"
    assert sorted(set(documented) - set(leaves)) == [], "## @param lines for no value"
    assert all(meaning.strip() for meaning in documented.values())


def test_readme_table_lists_every_value_with_its_default() -> None:
    leaves = values_doc.flatten(yaml.safe_load(values_doc.VALUES.read_text()))
    rows = _readme_rows()
    assert set(rows) == set(leaves)
    for key, value in leaves.items():
        assert rows[key][0] == values_doc.default_text(value), key
        assert rows[key][1].strip(), key


def test_readme_table_is_the_generated_one() -> None:
    # order and meanings too: regenerate with `python -m tests.chart.values_doc`
    assert values_doc.readme_table() == values_doc.table()


def test_flatten_treats_documented_maps_as_one_value() -> None:
    leaves = values_doc.flatten(yaml.safe_load(values_doc.VALUES.read_text()))
    assert "api.resources" in leaves
    assert "api.resources.requests.cpu" not in leaves
    assert "api.livenessProbe.periodSeconds" in leaves
    assert leaves["config.env"] == {}
