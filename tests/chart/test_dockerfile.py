"""The container image definition, checked without a Docker engine: hadolint (from PyPI) lints
it, what it copies exists and is in the build context, what it runs is the installed console
script and a real CLI command, and the final stage is the slim base plus the venv."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

from tests.chart import dockerfile
from tests.chart.dockerfile import DOCKERFILE, ROOT, Instruction, copy_sources, in_context, stages
from tests.chart.pods import cli_accepts

HADOLINT = Path(sys.executable).with_name("hadolint")


def _final() -> dockerfile.Stage:
    return stages()[1][-1]


def _builder() -> dockerfile.Stage:
    return stages()[1][0]


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "--failure-threshold", "info", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_is_really_linting() -> None:
    """A negative control: the same hadolint flags a Dockerfile with the usual mistakes."""
    bad = "FROM python:latest\nRUN apt-get update && apt-get install -y gcc\nRUN cd /src\n"
    result = subprocess.run(
        [str(HADOLINT), "--no-color", "-"], input=bad, capture_output=True, text=True, check=False
    )
    assert result.returncode != 0
    assert "DL3007" in result.stdout  # latest tag


def test_two_stages_on_a_slim_python_3_11_or_newer() -> None:
    _, found = stages()
    assert len(found) >= 2
    builder, final = found[0], found[-1]
    assert builder.name == "builder"
    assert builder.base == final.base, "the venv's python symlinks need the same base"
    match = re.fullmatch(r"python:3\.(\d+)-slim(-\w+)?", final.base)
    assert match, final.base
    assert int(match.group(1)) >= 11


def test_builder_builds_the_wheel_into_a_venv() -> None:
    run = " ".join(i.value for i in _builder().all("RUN"))
    assert "python -m venv /opt/rapport" in run
    assert "pip wheel --no-deps --no-build-isolation" in run
    assert "/opt/rapport/bin/pip install --require-hashes -r requirements/image.txt" in run
    assert "/opt/rapport/bin/pip install --no-deps /dist/rapport_score-" in run


def test_builder_installs_nothing_outside_the_locks() -> None:
    """Every pip install is hash-checked against requirements/ or adds no dependency."""
    run = " ".join(i.value for i in _builder().all("RUN"))
    installs = re.findall(r"pip install ([^&]*)", run)
    assert len(installs) == 3, installs
    for args in installs:
        assert "--require-hashes -r requirements/" in args or "--no-deps" in args, args


def test_everything_the_builder_copies_exists_and_is_in_the_build_context() -> None:
    sources = [
        src
        for ins in _builder().all("COPY")
        for src in copy_sources(ins)[0]
        if copy_sources(ins)[1] is None
    ]
    assert "pyproject.toml" in sources
    for src in sources:
        assert (ROOT / src).exists(), f"COPY {src}: not in the repository"
        assert in_context(src), f"COPY {src}: excluded by .dockerignore"
    # what the wheel packages (pyproject's hatch targets) is all copied
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    packages = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    for package in packages:
        assert any(Path(package).is_relative_to(src) for src in sources), package
    readme = pyproject["project"]["readme"]
    assert readme in sources


def test_dockerignore_keeps_the_context_small_but_complete() -> None:
    needs = ("service/rapport/__init__.py", "service/rapport/data/demo/events.jsonl", "connectors")
    for needed in needs:
        assert (ROOT / needed).exists()
        assert in_context(needed), needed
    for left_out in (
        ".venv",
        ".git",
        "tests/conftest.py",
        "charts/rapport/values.yaml",
        "service/rapport/__pycache__/settings.cpython-311.pyc",
        "docs",
    ):
        assert not in_context(left_out), left_out


def test_final_stage_is_the_base_plus_the_venv_without_compilers() -> None:
    final = _final()
    copies = final.all("COPY")
    assert copies, "the final stage copies the venv"
    for ins in copies:
        sources, source_stage = copy_sources(ins)
        assert source_stage == "builder", f"the final stage copies only from the builder: {ins}"
        assert sources == ["/opt/rapport"]
    runs = " ".join(i.value for i in final.all("RUN"))
    for tool in ("apt-get", "apk", "gcc", "g++", "build-essential", "make ", "pip install"):
        assert tool not in runs, f"{tool!r} in the final stage"
    env = " ".join(i.value for i in final.all("ENV"))
    assert "/opt/rapport/bin" in env


def test_runs_as_the_charts_non_root_numeric_user() -> None:
    (user,) = _final().all("USER")
    uid, _, gid = user.value.partition(":")
    assert uid.isdigit()
    assert int(uid) != 0
    assert gid.isdigit()
    values = yaml.safe_load((ROOT / "charts/rapport/values.yaml").read_text())
    assert int(uid) == values["securityContext"]["runAsUser"]
    assert int(gid) == values["securityContext"]["runAsGroup"]


def test_entrypoint_is_the_installed_console_script() -> None:
    (entrypoint,) = _final().all("ENTRYPOINT")
    assert entrypoint.exec_form() == ["rapport"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["rapport"] == "rapport.cli:main"
    assert Path(sys.executable).with_name("rapport").exists()


def test_default_command_is_rapport_api_on_all_interfaces_port_8000() -> None:
    final = _final()
    (cmd,) = final.all("CMD")
    argv = cmd.exec_form()
    assert argv == ["api", "--host", "0.0.0.0", "--port", "8000"]
    accepted = cli_accepts(argv)
    assert accepted.returncode == 0, accepted.stderr
    assert "Serve the scoring API" in accepted.stdout
    (expose,) = final.all("EXPOSE")
    assert expose.value == "8000"


def test_the_cli_parser_check_can_fail() -> None:
    assert cli_accepts(["api", "--no-such-option"]).returncode == 2
    assert cli_accepts(["no-such-command"]).returncode == 2


def test_healthcheck_asks_healthz_with_python_not_curl() -> None:
    final = _final()
    (check,) = final.all("HEALTHCHECK")
    argv = check.exec_form()
    assert argv[:2] == ["python", "-c"]
    code = argv[2]
    compile(code, "<HEALTHCHECK>", "exec")
    assert "http://127.0.0.1:8000/healthz" in code
    assert "curl" not in check.value
    assert "--interval=" in check.value


def test_instruction_parser_reads_continuations_and_exec_forms() -> None:
    parsed = dockerfile.instructions(
        '# c\nFROM a:1 AS b\nRUN x \\\n    # inner comment\n    && y\nCMD ["p", "q"]\n'
    )
    assert [i.keyword for i in parsed] == ["FROM", "RUN", "CMD"]
    assert parsed[1].value.split() == ["x", "&&", "y"]
    assert Instruction("CMD", '["p", "q"]').exec_form() == ["p", "q"]


def test_worker_is_selectable_as_the_images_other_command() -> None:
    # `docker run IMAGE worker` replaces CMD after the `rapport` ENTRYPOINT
    header = DOCKERFILE.read_text().split("ARG ", 1)[0]
    assert "rapport:dev worker" in header
    accepted = cli_accepts(["worker"])
    assert accepted.returncode == 0, accepted.stderr
    assert "background worker" in accepted.stdout
