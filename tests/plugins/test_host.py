"""The plugin host, loading real entry points from a distribution written into tmp_path.

A `*.dist-info` folder with an `entry_points.txt` on `sys.path` is exactly what `pip install`
leaves behind, so `importlib.metadata` finds these plugins the way it finds a real third-party
connector: no mocks of the discovery.
"""

from __future__ import annotations

import sys
import textwrap
import zipfile
from collections.abc import Iterator
from importlib import metadata
from pathlib import Path

import msgspec
import pytest

from rapport import DISTRIBUTION
from rapport.errors import ArchiveError, InputError, PluginLoadError
from rapport.plugins.host import (
    ENTRY_POINT_GROUP,
    ConnectorRegistry,
    UnknownConnectorError,
    config_env_var,
    connector_config,
    load_connectors,
    read_archive,
)
from rapport.settings import Settings

DIST = "rapport-host-test-plugins"

GOOD = """
from rapport.model import AccountRef
from rapport.plugins import ArchiveImport, Capabilities, Connector, ConnectorConfig, hookimpl


class GoodConfig(ConnectorConfig, frozen=True, kw_only=True, forbid_unknown_fields=True):
    page_size: int = 50


class Good(Connector):
    name = "{name}"
    version = "1.2.3"
    capabilities = Capabilities(followers=True, archive_formats=("{name}-export",))
    config_type = GoodConfig

    def detect_archive(self, source):
        return source.has("{name}.json")

    def read_archive(self, source):
        source.read_text("{name}.json")
        return ArchiveImport(account=AccountRef(platform=self.name, account="me"))


@hookimpl
def register_connectors(register):
    register(Good())
"""

PLUGINS = {
    "goodnet": GOOD.format(name="goodnet"),
    "othernet": GOOD.format(name="othernet"),
    "import_error": "raise RuntimeError('the vendor SDK is not installed')\n",
    "register_error": textwrap.dedent(
        """
        from rapport.plugins import hookimpl

        @hookimpl
        def register_connectors(register):
            raise KeyError("RAPPORT_FOO_TOKEN")
        """
    ),
    "misspelled": textwrap.dedent(
        """
        from rapport.plugins import hookimpl

        @hookimpl
        def register_connector(register):  # singular: no such hook
            pass
        """
    ),
    "not_a_connector": textwrap.dedent(
        """
        from rapport.plugins import hookimpl

        @hookimpl
        def register_connectors(register):
            register(object())
        """
    ),
    "no_version": textwrap.dedent(
        """
        from rapport.plugins import Capabilities, Connector, hookimpl

        class NoVersion(Connector):
            name = "noversion"
            capabilities = Capabilities()

        @hookimpl
        def register_connectors(register):
            register(NoVersion())
        """
    ),
    # Registers a second connector called "goodnet": must not replace the first one.
    "duplicate": GOOD.format(name="goodnet"),
}


def module_name(plugin: str) -> str:
    return f"rapport_host_test_{plugin}"


@pytest.fixture
def installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Write the plugins as an installed distribution and put it on sys.path."""
    site = tmp_path / "site-packages"
    site.mkdir()
    for plugin, source in PLUGINS.items():
        (site / f"{module_name(plugin)}.py").write_text(source)
    info = site / f"{DIST.replace('-', '_')}-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {DIST}\nVersion: 0.1\n")
    lines = [f"[{ENTRY_POINT_GROUP}]"] + [f"{p} = {module_name(p)}" for p in PLUGINS]
    (info / "entry_points.txt").write_text("\n".join(lines) + "\n")
    monkeypatch.syspath_prepend(str(site))
    yield site
    for plugin in PLUGINS:
        sys.modules.pop(module_name(plugin), None)


def ours() -> list[metadata.EntryPoint]:
    """Only this test's entry points, in a fixed order, whatever else is installed."""
    eps = [ep for ep in metadata.entry_points(group=ENTRY_POINT_GROUP) if ep.dist is not None]
    mine = {ep.name: ep for ep in eps if ep.dist is not None and ep.dist.name == DIST}
    return [mine[name] for name in PLUGINS]


def settings(**values: str) -> Settings:
    return Settings.from_env({f"RAPPORT_{k.upper()}": v for k, v in values.items()})


def errors_by_plugin(registry: ConnectorRegistry) -> dict[str, str]:
    return {e.plugin: e.message for e in registry.errors}


@pytest.mark.usefixtures("installed")
def test_broken_plugins_are_reported_and_good_ones_keep_working() -> None:
    registry = load_connectors(settings(), entry_points=ours())

    assert sorted(registry.connectors) == ["goodnet", "othernet"]
    errors = errors_by_plugin(registry)
    assert sorted(errors) == [
        "duplicate",
        "import_error",
        "misspelled",
        "no_version",
        "not_a_connector",
        "register_error",
    ]
    assert "RuntimeError: the vendor SDK is not installed" in errors["import_error"]
    assert "register_connectors failed" in errors["register_error"]
    assert "RAPPORT_FOO_TOKEN" in errors["register_error"]
    assert "register_connector" in errors["misspelled"]
    assert "unknown hook" in errors["misspelled"]
    assert "expects a Connector instance" in errors["not_a_connector"]
    assert "version" in errors["no_version"]
    assert "already registered" in errors["duplicate"]
    # The first "goodnet" stays; the duplicate did not replace it.
    good = registry.get("goodnet")
    assert type(good).__module__ == module_name("goodnet")
    info = {p.name: p for p in registry.plugins}
    assert info["goodnet"].distribution == DIST
    assert info["goodnet"].version == "0.1"
    assert info["goodnet"].connectors == ("goodnet",)


@pytest.mark.usefixtures("installed")
def test_discovery_through_importlib_metadata_finds_the_installed_distribution() -> None:
    # No entry_points argument: the host asks importlib.metadata itself, as in production.
    registry = load_connectors(settings(plugins_allow="goodnet,import_error"))
    assert list(registry.connectors) == ["goodnet"]
    assert [e.plugin for e in registry.errors] == ["import_error"]


@pytest.mark.usefixtures("installed")
def test_strict_mode_makes_the_first_failure_fatal() -> None:
    with pytest.raises(PluginLoadError) as caught:
        load_connectors(settings(plugins_strict="1"), entry_points=ours())
    assert caught.value.plugin == "import_error"
    assert "vendor SDK" in str(caught.value)


@pytest.mark.usefixtures("installed")
def test_strict_mode_loads_a_clean_set() -> None:
    registry = load_connectors(
        settings(plugins_strict="1", plugins_allow="goodnet, othernet"), entry_points=ours()
    )
    assert sorted(registry.connectors) == ["goodnet", "othernet"]
    assert registry.errors == []


@pytest.mark.usefixtures("installed")
def test_allow_list_loads_only_those_named() -> None:
    registry = load_connectors(settings(plugins_allow="othernet"), entry_points=ours())
    assert list(registry.connectors) == ["othernet"]
    assert registry.errors == []
    # Skipped plugins are not even imported.
    assert module_name("import_error") not in sys.modules


@pytest.mark.usefixtures("installed")
def test_block_list_skips_those_named() -> None:
    blocked = "import_error,register_error,misspelled,not_a_connector,no_version,duplicate"
    registry = load_connectors(settings(plugins_block=blocked), entry_points=ours())
    assert sorted(registry.connectors) == ["goodnet", "othernet"]
    assert registry.errors == []
    assert module_name("register_error") not in sys.modules


@pytest.mark.usefixtures("installed")
def test_unknown_connector_names_the_installed_ones() -> None:
    registry = load_connectors(settings(plugins_allow="goodnet"), entry_points=ours())
    with pytest.raises(UnknownConnectorError, match="installed: goodnet"):
        registry.get("friendster")
    assert issubclass(UnknownConnectorError, InputError)


@pytest.fixture
def registry(installed: Path) -> ConnectorRegistry:
    return load_connectors(settings(plugins_allow="goodnet,othernet"), entry_points=ours())


def test_read_archive_detects_the_platform_of_a_zip(
    registry: ConnectorRegistry, tmp_path: Path
) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("othernet.json", "{}")
    connector, imported = read_archive(archive, registry=registry)
    assert connector.name == "othernet"
    assert imported.account.platform == "othernet"


def test_read_archive_with_an_explicit_platform(
    registry: ConnectorRegistry, tmp_path: Path
) -> None:
    (tmp_path / "goodnet.json").write_text("{}")
    connector, _ = read_archive(tmp_path, "goodnet", registry=registry)
    assert connector.name == "goodnet"


def test_unrecognised_archive_is_a_clear_archive_error(
    registry: ConnectorRegistry, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(ArchiveError, match="not an export archive any installed connector"):
        read_archive(tmp_path, registry=registry)
    with pytest.raises(ArchiveError, match="no such file or folder"):
        read_archive(tmp_path / "missing.zip", registry=registry)


def test_archive_claimed_by_two_connectors_asks_for_a_platform(
    registry: ConnectorRegistry, tmp_path: Path
) -> None:
    (tmp_path / "goodnet.json").write_text("{}")
    (tmp_path / "othernet.json").write_text("{}")
    with pytest.raises(ArchiveError, match="several platforms"):
        read_archive(tmp_path, registry=registry)


def test_connector_config_from_environment_never_echoes_values(
    registry: ConnectorRegistry,
) -> None:
    good = registry.get("goodnet")
    environ = {
        "RAPPORT_GOODNET_TOKEN": "s3cret",
        "RAPPORT_GOODNET_BASE_URL": "https://goodnet.test",
        "RAPPORT_GOODNET_PAGE_SIZE": "10",
    }
    config = connector_config(good, environ, overrides={"base_url": "http://127.0.0.1:1"})
    assert msgspec.structs.asdict(config) == {
        "base_url": "http://127.0.0.1:1",
        "token": "s3cret",
        "page_size": 10,
    }
    with pytest.raises(InputError, match="RAPPORT_GOODNET_PAGE_SIZE") as caught:
        connector_config(good, environ | {"RAPPORT_GOODNET_PAGE_SIZE": "s3cret-many"})
    assert "s3cret" not in str(caught.value)
    assert config_env_var("my-net.v2", "token") == "RAPPORT_MY_NET_V2_TOKEN"


@pytest.mark.usefixtures("installed")
def test_a_broken_plugin_beside_the_built_in_connectors() -> None:
    # Real discovery of everything installed: the built-ins (Rapport's own pyproject entry
    # points) and this test's distribution, whose broken plugins must not hurt them.
    registry = load_connectors(settings())
    built_in = {"twitter", "mastodon", "linkedin"}
    assert built_in <= set(registry.connectors), (
        "built-in connectors not discovered: reinstall Rapport (`pip install -e .`) so its "
        "rapport.connectors entry points are registered"
    )
    assert {p.name for p in registry.plugins if p.distribution == DISTRIBUTION} >= built_in
    failed = {e.plugin for e in registry.errors}
    assert {"import_error", "register_error", "misspelled"} <= failed
    assert not failed & built_in
