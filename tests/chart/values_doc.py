"""The values table of charts/rapport/README.md, generated from values.yaml.

Every value in values.yaml carries a `## @param <dotted.path> <meaning>` comment; the table has
one row per value (a leaf of the YAML tree: a scalar, a list or an empty map) with its default.
`python -m tests.chart.values_doc` prints the table; test_values_doc.py fails when the README's
table, the comments and the values drift apart.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

CHART_DIR = Path(__file__).resolve().parents[2] / "charts" / "rapport"
VALUES = CHART_DIR / "values.yaml"
README = CHART_DIR / "README.md"
BEGIN = "<!-- values:table:begin -->"
END = "<!-- values:table:end -->"
_PARAM = re.compile(r"^\s*## @param (\S+) (.+)$")


def flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted path -> default of every leaf: scalars, lists and empty maps are leaves, except
    that a map whose own @param documents it as a whole (e.g. resources) is one leaf too."""
    leaves: dict[str, Any] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict) and value and path not in _whole_maps():
            leaves.update(flatten(value, path + "."))
        else:
            leaves[path] = value
    return leaves


def params(text: str | None = None) -> dict[str, str]:
    """Dotted path -> meaning, from the `## @param` comments, in file order."""
    text = VALUES.read_text() if text is None else text
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = _PARAM.match(line)
        if match:
            path, meaning = match.groups()
            if path in found:
                raise ValueError(f"@param {path} documented twice")
            found[path] = meaning.strip()
    return found


def _whole_maps() -> set[str]:
    values = yaml.safe_load(VALUES.read_text())
    whole = set()
    for path in params():
        node: Any = values
        for part in path.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, dict) and node:
            whole.add(path)
    return whole


def default_text(value: Any) -> str:
    return "`" + json.dumps(value, separators=(", ", ": ")) + "`"


def table() -> str:
    values = yaml.safe_load(VALUES.read_text())
    leaves = flatten(values)
    meanings = params()
    lines = ["| value | default | meaning |", "|---|---|---|"]
    for path, meaning in meanings.items():
        default = default_text(leaves[path]) if path in leaves else "(not a value)"
        meaning_text = meaning.replace("|", "\\|")
        lines.append(f"| `{path}` | {default} | {meaning_text} |")
    return "\n".join(lines) + "\n"


def readme_table(text: str | None = None) -> str:
    text = README.read_text() if text is None else text
    start, end = text.index(BEGIN) + len(BEGIN), text.index(END)
    return text[start:end].strip("\n") + "\n"


if __name__ == "__main__":  # pragma: no cover - prints the table to paste into the README
    print(table(), end="")
