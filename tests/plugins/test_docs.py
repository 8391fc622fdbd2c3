"""docs/connectors.md stays true (in the manner of datasette's tests/test_docs.py).

- Every hook in `rapport.plugins.hookspecs` has a `### `name(args)`` section in the tutorial,
  with the real argument names, and is exercised by a test in tests/plugins.
- Every interaction kind appears in the mapping rules.
- The worked example (the `file=` code blocks) is written out as a package and its own tests,
  including the contract kit, are run: the tutorial's code works as printed.
"""

from __future__ import annotations

import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from rapport.model import Kind
from rapport.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "connectors.md"
TESTS = Path(__file__).resolve().parent


def hook_specs() -> dict[str, inspect.Signature]:
    marker = f"{hookspecs.PROJECT}_spec"
    return {
        name: inspect.signature(func)
        for name, func in inspect.getmembers(hookspecs, inspect.isfunction)
        if hasattr(func, marker)
    }


def test_there_are_hooks_to_check() -> None:
    assert "register_connectors" in hook_specs()


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_every_hook_is_documented_with_its_arguments(hook: str) -> None:
    args = ", ".join(hook_specs()[hook].parameters)
    heading = f"### `{hook}({args})`"
    assert heading in DOC.read_text(), f"docs/connectors.md lacks the section {heading}"


@pytest.mark.parametrize("hook", sorted(hook_specs()))
def test_every_hook_has_a_test(hook: str) -> None:
    users = [
        path.name
        for path in TESTS.glob("test_*.py")
        if path.name != Path(__file__).name and re.search(rf"\bdef {hook}\(", path.read_text())
    ]
    assert users, f"no test in tests/plugins implements the hook {hook}"


def test_every_kind_is_in_the_mapping_rules() -> None:
    text = DOC.read_text()
    for kind in Kind:
        assert f"`{kind.value}`" in text, f"kind {kind.value} missing from docs/connectors.md"


BLOCK = re.compile(r"^```(?P<lang>\w+) file=(?P<path>\S+)\n(?P<body>.*?)^```$", re.M | re.S)


def test_the_worked_example_passes_its_tests_and_the_contract_kit(tmp_path: Path) -> None:
    blocks = list(BLOCK.finditer(DOC.read_text()))
    paths = {m["path"] for m in blocks}
    assert {
        "pyproject.toml",
        "src/rapport_pixelnet/connector.py",
        "tests/test_contract.py",
    } <= paths
    for match in blocks:
        target = tmp_path / match["path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(match["body"])
    env = os.environ | {"PYTHONPATH": str(tmp_path / "src")}
    env.pop("PYTEST_ADDOPTS", None)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "9 passed" in run.stdout
