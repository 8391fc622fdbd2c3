"""What installing Rapport puts on a user's machine (docs/architecture.md, "Package layout and
names"): only Rapport's own top-level names, under a distribution name the package index gives to
no one else, so that a connector package's dependency resolves to this project.

The artefacts are built from this checkout by the locked backend (no build isolation) and
installed with pip exactly as a user's pip installs them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

from rapport import DISTRIBUTION, __version__

ROOT = Path(__file__).resolve().parent.parent

#: The import packages Rapport owns; nothing else may land at the top of site-packages.
OWN_PACKAGES = {"rapport", "rapport_connectors"}
DIST_INFO = f"{DISTRIBUTION.replace('-', '_')}-{__version__}.dist-info"

#: Guards against a hung pip or network, not a performance bound: no test should come near it.
PIP_LIMIT_SECONDS = 1800


def run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "PYTHON"))}
    result = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        check=False,
        env=env | {"PIP_DISABLE_PIP_VERSION_CHECK": "1"},
        timeout=PIP_LIMIT_SECONDS,
    )
    assert result.returncode == 0, f"{argv}:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist and the wheel, built as a release would build them (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)])
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


def test_the_artefacts_carry_the_distribution_name() -> None:
    """PyPI's "rapport" is an unrelated 2013 project; ours must not be confused with it."""
    assert DISTRIBUTION == "rapport-score"
    assert DISTRIBUTION != "rapport"


@pytest.mark.parametrize("kind", ["wheel", "sdist"])
def test_installing_puts_only_rapports_own_names_in_site_packages(
    artefacts: dict[str, Path], kind: str, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation"]
    run([*pip, "--no-compile", "--target", str(target), str(artefacts[kind])])
    installed = {p.name for p in target.iterdir()}
    assert installed - {"bin"} == OWN_PACKAGES | {DIST_INFO}, installed
    assert {p.name for p in (target / "bin").iterdir()} == {"rapport"}
    # The built-in connectors are registered under the unchanged group, from our own package.
    entry_points = (target / DIST_INFO / "entry_points.txt").read_text()
    assert "[rapport.connectors]" in entry_points
    for platform in ("twitter", "mastodon", "linkedin"):
        assert f"{platform} = rapport_connectors.{platform}" in entry_points
    assert "rapport = rapport.cli:main" in entry_points
    # The bundled data and the page templates travel with the package.
    assert (target / "rapport" / "data" / "demo" / "events.jsonl").is_file()
    assert (target / "rapport" / "py.typed").is_file()
    # /schema serves its Swagger UI from the package (rapport.api.schema_page), never a CDN.
    swagger_ui = target / "rapport" / "api" / "schema_assets" / "swagger-ui"
    assert (swagger_ui / "swagger-ui-bundle.js").is_file()
    assert (swagger_ui / "LICENSE").is_file()


def test_the_wheel_holds_no_file_outside_rapports_names(artefacts: dict[str, Path]) -> None:
    """The same rule read from the archive itself, so a file pip would skip still fails it."""
    with zipfile.ZipFile(artefacts["wheel"]) as wheel:
        tops = {name.split("/", 1)[0] for name in wheel.namelist()}
    assert tops == OWN_PACKAGES | {DIST_INFO}


def test_the_sdist_builds_from_the_repositorys_own_folders(artefacts: dict[str, Path]) -> None:
    with tarfile.open(artefacts["sdist"]) as sdist:
        names = sdist.getnames()
    prefix = f"{DISTRIBUTION.replace('-', '_')}-{__version__}/"
    assert all(name.startswith(prefix) for name in names)
    inside = {name.removeprefix(prefix) for name in names}
    assert "service/rapport/__init__.py" in inside
    assert "connectors/rapport_connectors/twitter/__init__.py" in inside
    assert not any(name.startswith(("service/__init__", "connectors/__init__")) for name in inside)


def test_a_generated_connector_resolves_its_dependency_to_this_project(
    artefacts: dict[str, Path], tmp_path: Path
) -> None:
    """`rapport new-connector` output, installed into a fresh virtualenv with only the package
    index and this project's wheel (`--find-links`), gets Rapport and not PyPI's `rapport`."""
    rapport = Path(sys.executable).with_name("rapport")
    run([str(rapport), "new-connector", "pixelnet", "--dir", str(tmp_path)])
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", str(venv)])
    python = str(venv / "bin" / "python")
    find_links = str(artefacts["wheel"].parent)
    run([python, "-m", "pip", "install", "--quiet", "--find-links", find_links,
         str(tmp_path / "rapport-pixelnet")])  # fmt: skip

    probe = run(
        [
            python,
            "-c",
            "import importlib.metadata as m, json, rapport\n"
            "names = {d.metadata['Name'].lower() for d in m.distributions()}\n"
            f"print(json.dumps([m.version({DISTRIBUTION!r}), 'rapport' in names,"
            " rapport.__file__]))",
        ]
    )
    version, unrelated_installed, module_file = json.loads(probe.stdout)
    assert version == __version__
    assert not unrelated_installed, "PyPI's unrelated `rapport` was installed"
    assert Path(module_file).is_relative_to(venv)

    listing = run([str(venv / "bin" / "rapport"), "connectors", "--format", "json"])
    described = json.loads(listing.stdout)
    assert described["errors"] == []
    distribution_of = {c["name"]: c["distribution"] for c in described["connectors"]}
    assert distribution_of == {
        "pixelnet": "rapport-pixelnet",
        "twitter": DISTRIBUTION,
        "mastodon": DISTRIBUTION,
        "linkedin": DISTRIBUTION,
    }
