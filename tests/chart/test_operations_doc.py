"""docs/operations.md stays true: the metrics it tells operators to watch exist, the chart values
it names exist, the commands it gives parse, and it links the settings table instead of copying
it."""

from __future__ import annotations

import re

import yaml

from tests.chart import values_doc
from tests.chart.dockerfile import ROOT
from tests.chart.pods import cli_accepts

OPERATIONS = ROOT / "docs" / "operations.md"


def _text() -> str:
    return OPERATIONS.read_text()


def _exported_names() -> set[str]:
    from rapport.api.jobs import JobMetrics
    from rapport.api.observability import Metrics, ScoreCacheCollector
    from rapport.api.score_cache import ScoreCache

    registry = Metrics().registry
    registry.register(JobMetrics())  # what the app's jobs lifespan adds
    registry.register(ScoreCacheCollector(ScoreCache(ttl=1, max_bytes=1)))  # and the factory
    names = set()
    for family in registry.collect():
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    # a counter's samples appear once something is counted; its exposition name is `_total`
    names.update(f"{name}_total" for name in list(names))
    return names


def test_every_metric_to_watch_is_exported() -> None:
    documented = set(re.findall(r"^\| `(rapport_[a-z_]+)", _text(), flags=re.MULTILINE))
    assert len(documented) >= 5
    exported = _exported_names()
    assert sorted(documented - exported) == []


def test_every_chart_value_it_names_exists() -> None:
    values = yaml.safe_load(values_doc.VALUES.read_text())
    leaves = values_doc.flatten(values)
    prefixes = {".".join(path.split(".")[:n]) for path in leaves for n in range(1, 8)}
    named = set(re.findall(r"`([a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*)+)(?:=[^`]*)?`", _text()))
    named = {n for n in named if n.split(".")[0] in values}
    assert len(named) >= 10
    assert sorted(named - prefixes) == []


def test_the_key_commands_it_gives_parse() -> None:
    for argv in (
        ["keys", "create", "--tenant", "acme"],
        ["keys", "list", "--tenant", "acme"],
        ["keys", "revoke", "KEY_ID"],
    ):
        assert " ".join(["rapport", *argv]) in _text()
        result = cli_accepts(argv)
        assert result.returncode == 0, (argv, result.stderr)


def test_it_links_the_settings_table_instead_of_copying_it() -> None:
    text = _text()
    assert "(configuration.md)" in text
    assert "(../charts/rapport/README.md)" in text
    assert not re.search(r"^\| `RAPPORT_", text, flags=re.MULTILINE)


def test_the_hash_tag_it_describes_is_the_storage_layers() -> None:
    from rapport.storage import keys

    tag = keys.AccountKeys("acme", "mastodon", "ada").tag
    assert tag == "rapport:{t:acme:mastodon:ada}"
    assert "rapport:{t:<tenant>:<platform>:<account>}" in _text()


def test_the_worker_autoscaler_metric_is_the_exported_queue_depth() -> None:
    values = yaml.safe_load(values_doc.VALUES.read_text())
    name = values["worker"]["autoscaling"]["queueDepth"]["metricName"]
    assert name in _exported_names()
    assert f"max({name}" in _text()
