"""Install a plugin the way pip leaves it: a `*.dist-info` with `entry_points.txt` on sys.path.

Used by the CLI and example tests so that discovery goes through importlib.metadata, exactly
as for a real third-party connector.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from rapport.plugins.host import ENTRY_POINT_GROUP


def install_dist(
    site: Path,
    dist: str,
    entry_points: Mapping[str, str],
    monkeypatch: pytest.MonkeyPatch,
    *,
    version: str = "0.1",
) -> None:
    """Write `dist`'s metadata into `site` (which holds its modules) and put it on sys.path;
    call `forget_modules` when the test ends."""
    info = site / f"{re.sub(r'[-.]', '_', dist)}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = [f"[{ENTRY_POINT_GROUP}]", *(f"{k} = {v}" for k, v in entry_points.items())]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))


def forget_modules(*tops: str) -> None:
    """Drop modules (and their submodules) imported from a tmp site, so the next test that
    writes a package of the same name imports its own files."""
    for name in list(sys.modules):
        if any(name == top or name.startswith(top + ".") for top in tops):
            del sys.modules[name]
