"""`helm upgrade --reuse-values` from an older chart of this repository, as Helm does it.

What Helm's upgrade action does with `--reuse-values` (pkg/action/upgrade.go, `reuseValues`):
the values of the render are the previous release's user-supplied values (plus any `--set` of
the upgrade) coalesced over the *previous chart's* defaults: `chart.Values = oldVals`, where
oldVals is the old chart's values.yaml with the old user values merged in. The new chart's
values.yaml is not read, so a value added since is absent (nil) in the templates. Done here the
same way: the new chart is copied and its values.yaml replaced by those old coalesced values.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import helm_python as helm
import yaml

from tests.chart.helmchart import CHART_DIR, NAMESPACE, RELEASE, ROOT, Rendered, deep_merge

CHART_PATH = "charts/rapport"


def first_chart_commit() -> str:
    """The first commit of the repository's history that has the chart."""
    commits = subprocess.run(
        ["git", "log", "--format=%H", "--reverse", "--", f"{CHART_PATH}/Chart.yaml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert commits, "no commit of the repository has charts/rapport"
    return commits[0]


def chart_at(commit: str, into: Path) -> Path:
    """The chart as it was at `commit`, written to `into`."""
    names = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit, "--", CHART_PATH],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    for name in names:
        target = into / Path(name).relative_to(CHART_PATH)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(
            subprocess.run(
                ["git", "show", f"{commit}:{name}"], cwd=ROOT, capture_output=True, check=True
            ).stdout
        )
    return into


def render_chart(chart_dir: Path, values: Mapping[str, Any], *, upgrade: bool) -> Rendered:
    files = helm.Chart.load(chart_dir).render(
        values=dict(values),
        name=RELEASE,
        namespace=NAMESPACE,
        is_install=not upgrade,
        is_upgrade=upgrade,
    )
    return Rendered(files)


def reuse_values_upgrade(old_chart: Path, user_values: Mapping[str, Any], work: Path) -> Rendered:
    """Render this checkout's chart as `helm upgrade --reuse-values` over a release of
    `old_chart` installed with `user_values` renders it."""
    old_defaults = yaml.safe_load((old_chart / "values.yaml").read_text()) or {}
    old_coalesced = deep_merge(old_defaults, user_values)
    new_chart = work / "rapport"
    shutil.copytree(CHART_DIR, new_chart)
    (new_chart / "values.yaml").write_text(yaml.safe_dump(old_coalesced, sort_keys=False))
    return render_chart(new_chart, user_values, upgrade=True)
