"""The lock files agree with pyproject.toml (scripts/lock regenerates them).

scripts/test and scripts/quickstart install only from requirements/*.txt, so a dependency added
to pyproject.toml but not locked would be missing on a fresh clone, and a bound tightened in
pyproject.toml but not in the lock would install a version the project refuses.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
BUILD_IN = ROOT / "requirements" / "build.in"
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)", re.MULTILINE)


def pins(lock: str) -> dict[str, list[str]]:
    """Every pinned version by canonical name (one name may be pinned per Python version)."""
    found: dict[str, list[str]] = {}
    for name, version in PIN.findall((ROOT / "requirements" / lock).read_text()):
        found.setdefault(canonicalize_name(name), []).append(version)
    return found


def wanted(*extras: str, backend: bool = True) -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = list(project["dependencies"])
    for extra in extras:
        lines += project["optional-dependencies"][extra]
    for line in BUILD_IN.read_text().splitlines() if backend else ():
        if line.strip() and not line.startswith("#"):
            lines.append(line)
    return [Requirement(line) for line in lines]


LOCKS = {"image.txt": None, "run.txt": ("local",), "dev.txt": ("local", "dev")}


@pytest.mark.parametrize(("lock", "extras"), [(k, v or ()) for k, v in LOCKS.items()])
def test_every_dependency_is_locked_within_its_bounds(lock: str, extras: tuple[str, ...]) -> None:
    locked = pins(lock)
    for requirement in wanted(*extras, backend=LOCKS[lock] is not None):
        name = canonicalize_name(requirement.name)
        assert name in locked, f"{requirement} is not in requirements/{lock}: run scripts/lock"
        assert any(requirement.specifier.contains(v, prereleases=True) for v in locked[name]), (
            f"requirements/{lock} pins {name} {locked[name]}, outside {requirement.specifier}: "
            "run scripts/lock"
        )


def test_every_locked_version_carries_hashes() -> None:
    """pip's --require-hashes refuses the whole file otherwise; say which entry lacks them."""
    for lock in LOCKS:
        text = (ROOT / "requirements" / lock).read_text()
        for entry in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n", 2)[2]):
            if PIN.match(entry):
                assert "--hash=sha256:" in entry, f"{lock}: {entry.splitlines()[0]} has no hash"


def test_the_build_backend_is_the_one_pyproject_names() -> None:
    backend = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    locked = {r.name: r for r in wanted()}
    for requirement in backend:
        assert requirement.name in locked, f"{requirement} missing from requirements/build.in"
        (version,) = pins("dev.txt")[canonicalize_name(requirement.name)]
        assert requirement.specifier.contains(version)


def test_a_package_locked_twice_has_one_version() -> None:
    """The image, quickstart and the tests run the same versions of what they share."""
    dev = pins("dev.txt")
    for lock in ("image.txt", "run.txt"):
        for name, versions in pins(lock).items():
            assert versions == dev[name], f"{name}: {lock} {versions}, dev.txt {dev[name]}"
