"""The plugin host: finds connector plugins, loads them one at a time, and keeps the good ones.

Why one plugin at a time: a third-party connector that fails to import, raises inside
`register_connectors`, misspells a hook or registers something that is not a connector must not
take the service (or the other connectors) down. Each failure becomes a `LoadError` that
`rapport connectors` and `GET /v1/connectors` report; only `RAPPORT_PLUGINS_STRICT=1` makes it
fatal (`PluginLoadError`), for deployments that would rather not start than run without a
connector they rely on.

Built-in connectors (`rapport_connectors`) and third-party packages are found the same way: the
`rapport.connectors` entry-point group, whose value is a module (or object) implementing the
hooks of `rapport.plugins.hookspecs`. `RAPPORT_PLUGINS_ALLOW` / `RAPPORT_PLUGINS_BLOCK` filter
by entry-point name.

Nothing else in Rapport calls `pm.hook`: the typed functions here (`load_connectors`,
`ConnectorRegistry.get`, `detect_archive`, `read_archive`, `connector_config`) are the API.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import msgspec
import pluggy

from rapport.errors import ArchiveError, InputError, PluginLoadError
from rapport.plugins import hookspecs
from rapport.plugins.archive import ArchiveLimits, ArchiveSource
from rapport.plugins.connector import ArchiveImport, Capabilities, Connector, ConnectorConfig
from rapport.settings import ENV_PREFIX, Settings

__all__ = [
    "ENTRY_POINT_GROUP",
    "ConnectorRegistry",
    "LoadError",
    "PluginInfo",
    "UnknownConnectorError",
    "config_env_var",
    "connector_config",
    "detect_archive",
    "load_connectors",
    "make_plugin_manager",
    "read_archive",
    "validate_connector",
]

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "rapport.connectors"
_NAME = re.compile(r"^[a-z][a-z0-9_.-]{0,39}$")  # rapport.model.PlatformName


class UnknownConnectorError(InputError):
    """A platform name no loaded connector answers to; the message lists the installed ones."""


@dataclass(frozen=True, slots=True)
class LoadError:
    """One plugin that could not be loaded, and why (no traceback: that goes to the log)."""

    plugin: str
    message: str


@dataclass(frozen=True, slots=True)
class PluginInfo:
    """A plugin that loaded: its entry-point name, the distribution that ships it, and the
    connectors it registered."""

    name: str
    distribution: str | None
    version: str | None
    connectors: tuple[str, ...]


@dataclass
class ConnectorRegistry:
    """The connectors that loaded, the plugins they came from, and what failed to load."""

    connectors: dict[str, Connector] = field(default_factory=dict)
    errors: list[LoadError] = field(default_factory=list)
    plugins: list[PluginInfo] = field(default_factory=list)

    def get(self, name: str) -> Connector:
        """The connector called `name`, or `UnknownConnectorError` naming the installed ones."""
        try:
            return self.connectors[name]
        except KeyError:
            known = ", ".join(sorted(self.connectors)) or "none"
            failed = [e.plugin for e in self.errors]
            hint = f"; failed to load: {', '.join(failed)}" if failed else ""
            raise UnknownConnectorError(
                f"no connector named {name!r} (installed: {known}{hint})"
            ) from None

    def detect_archive(self, source: ArchiveSource) -> Connector | None:
        """The one connector that recognises `source`; None when none does.

        A connector whose detection raises is skipped (and logged): a buggy plugin must not
        stop another platform's archive from being read. Two connectors claiming the same
        archive is an `ArchiveError` asking for an explicit platform.
        """
        claims: list[Connector] = []
        for connector in self.connectors.values():
            try:
                if connector.detect_archive(source):
                    claims.append(connector)
            except Exception:
                log.exception("connector %s failed while detecting %s", connector.name, source)
        if len(claims) > 1:
            names = ", ".join(c.name for c in claims)
            raise ArchiveError(
                source.display,
                f"looks like an export archive of several platforms ({names}); choose one "
                "with --platform",
            )
        return claims[0] if claims else None

    def read_archive(
        self, path: Path, platform: str | None = None, *, limits: ArchiveLimits | None = None
    ) -> tuple[Connector, ArchiveImport]:
        """Open the archive (a zip or a folder) and read it with the connector for `platform`,
        detecting the platform when not given."""
        with ArchiveSource(Path(path), limits) as source:
            if platform is not None:
                connector = self.get(platform)
                if not connector.capabilities.archive_formats:
                    raise ArchiveError(
                        source.display, f"the {platform} connector reads no archives"
                    )
            else:
                found = self.detect_archive(source)
                if found is None:
                    readers = [
                        f"{c.name} ({', '.join(c.capabilities.archive_formats)})"
                        for c in self.connectors.values()
                        if c.capabilities.archive_formats
                    ]
                    raise ArchiveError(
                        source.display,
                        "not an export archive any installed connector recognises (readers: "
                        + (", ".join(readers) or "none")
                        + "); choose one with --platform",
                    )
                connector = found
            try:
                result = connector.read_archive(source)
            except (ArchiveError, PluginLoadError):
                raise
            except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
                # A connector bug on odd input: still one clear line for the user, not a crash.
                log.exception("connector %s failed on %s", connector.name, source.display)
                raise ArchiveError(
                    source.display,
                    f"the {connector.name} connector could not read this archive "
                    f"({type(exc).__name__}: {exc})",
                ) from None
        return connector, result


def make_plugin_manager() -> pluggy.PluginManager:
    """A plugin manager that knows Rapport's hookspecs and nothing else."""
    pm = pluggy.PluginManager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    return pm


def _names(value: str | None) -> set[str] | None:
    if value is None or not value.strip():
        return None
    return {name.strip() for name in value.split(",") if name.strip()}


def _describe(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


def validate_connector(connector: object) -> Connector:
    """The checks every registered object passes before the host accepts it (also run by the
    contract kit, so a connector learns of a problem in its own tests first)."""
    if not isinstance(connector, Connector):
        raise TypeError(f"register() expects a Connector instance, got {type(connector).__name__}")
    name = getattr(connector, "name", None)
    if not isinstance(name, str) or not _NAME.match(name):
        raise TypeError(
            f"{type(connector).__name__}.name must match {_NAME.pattern} (lower case), got {name!r}"
        )
    version = getattr(connector, "version", None)
    if not isinstance(version, str) or not version:
        raise TypeError(f"connector {name!r} needs a non-empty string `version`")
    if not isinstance(getattr(connector, "capabilities", None), Capabilities):
        raise TypeError(f"connector {name!r} needs `capabilities = Capabilities(...)`")
    config_type = getattr(connector, "config_type", None)
    if not (isinstance(config_type, type) and issubclass(config_type, ConnectorConfig)):
        raise TypeError(f"connector {name!r}: `config_type` must subclass ConnectorConfig")
    return connector


def _entry_points() -> list[metadata.EntryPoint]:
    """Entry points of the group, once per name (the same distribution seen on two sys.path
    entries is listed twice by importlib.metadata on some Python versions)."""
    found: dict[str, metadata.EntryPoint] = {}
    duplicates: list[metadata.EntryPoint] = []
    for ep in metadata.entry_points(group=ENTRY_POINT_GROUP):
        if ep.name in found:
            if found[ep.name].value != ep.value:
                duplicates.append(ep)
            continue
        found[ep.name] = ep
    return list(found.values()) + duplicates


class _Loader:
    """Loads entry points into one plugin manager, one at a time, recording failures."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.pm = make_plugin_manager()
        self.registry = ConnectorRegistry()
        self.allow = _names(settings.plugins_allow)
        self.block = _names(settings.plugins_block) or set()

    def fail(self, plugin: str, message: str) -> None:
        if self.settings.plugins_strict:
            raise PluginLoadError(plugin, message)
        log.warning("plugin %r failed to load: %s", plugin, message)
        self.registry.errors.append(LoadError(plugin, message))

    def wanted(self, name: str) -> bool:
        if name in self.block:
            log.info("plugin %r skipped: in RAPPORT_PLUGINS_BLOCK", name)
            return False
        if self.allow is not None and name not in self.allow:
            log.info("plugin %r skipped: not in RAPPORT_PLUGINS_ALLOW", name)
            return False
        return True

    def load_entry_point(self, ep: metadata.EntryPoint) -> None:
        if not self.wanted(ep.name):
            return
        if self.pm.has_plugin(ep.name):
            self.fail(ep.name, f"another plugin is already registered under the name {ep.name!r}")
            return
        try:
            plugin = ep.load()
        except (Exception, SystemExit) as exc:
            log.debug("import of plugin %r failed", ep.name, exc_info=True)
            self.fail(ep.name, f"import failed ({_describe(exc)})")
            return
        dist = getattr(ep, "dist", None)
        self.load_plugin(
            ep.name,
            plugin,
            distribution=getattr(dist, "name", None),
            version=getattr(dist, "version", None),
        )

    def load_plugin(
        self,
        name: str,
        plugin: object,
        *,
        distribution: str | None = None,
        version: str | None = None,
    ) -> None:
        """Register `plugin`, check its hooks, collect its connectors; all or nothing."""
        try:
            self.pm.register(plugin, name=name)
        except Exception as exc:
            self.fail(name, f"invalid plugin ({_describe(exc)})")
            return
        try:
            self.pm.check_pending()
        except pluggy.PluginValidationError as exc:
            self.pm.unregister(name=name)
            self.fail(name, f"unknown hook ({_describe(exc)})")
            return
        collected: list[Connector] = []

        def register(connector: Connector) -> None:
            collected.append(validate_connector(connector))

        try:
            for impl in self.pm.hook.register_connectors.get_hookimpls():
                if impl.plugin_name == name:
                    impl.function(register=register)
            new_names = [c.name for c in collected]
            for connector in collected:
                if (
                    connector.name in self.registry.connectors
                    or new_names.count(connector.name) > 1
                ):
                    raise ValueError(f"a connector named {connector.name!r} is already registered")
        except (Exception, SystemExit) as exc:
            log.debug("register_connectors of plugin %r failed", name, exc_info=True)
            self.pm.unregister(name=name)
            self.fail(name, f"register_connectors failed ({_describe(exc)})")
            return
        for connector in collected:
            self.registry.connectors[connector.name] = connector
        self.registry.plugins.append(
            PluginInfo(name, distribution, version, tuple(c.name for c in collected))
        )


def load_connectors(
    settings: Settings | None = None,
    *,
    entry_points: Iterable[metadata.EntryPoint] | None = None,
    plugins: Mapping[str, object] | None = None,
) -> ConnectorRegistry:
    """Load every `rapport.connectors` plugin (or the given `entry_points`), then the objects
    in `plugins` (name -> module or object, for tests and embedding), into a registry.

    Raises `PluginLoadError` on the first failure only in strict mode.
    """
    loader = _Loader(settings or Settings.from_env())
    for ep in _entry_points() if entry_points is None else entry_points:
        loader.load_entry_point(ep)
    for name, plugin in (plugins or {}).items():
        if loader.wanted(name):
            loader.load_plugin(name, plugin)
    return loader.registry


def detect_archive(
    source: ArchiveSource, registry: ConnectorRegistry | None = None
) -> Connector | None:
    """The connector that recognises `source`, or None (loads the plugins when no registry
    is given)."""
    return (registry or load_connectors()).detect_archive(source)


def read_archive(
    path: Path,
    platform: str | None = None,
    *,
    registry: ConnectorRegistry | None = None,
    limits: ArchiveLimits | None = None,
) -> tuple[Connector, ArchiveImport]:
    """Read an export archive (zip or folder), detecting the platform when not given.

    Raises `ArchiveError` (an `InputError`: one line, exit code 2 in the CLI) when no connector
    recognises it or it is malformed, and `UnknownConnectorError` for an unknown `platform`.
    """
    return (registry or load_connectors()).read_archive(path, platform, limits=limits)


def config_env_var(connector: Connector | str, field_name: str) -> str:
    """`RAPPORT_<PLATFORM>_<FIELD>`, e.g. `RAPPORT_MASTODON_BASE_URL`."""
    name = connector if isinstance(connector, str) else connector.name
    platform = re.sub(r"[^A-Z0-9]", "_", name.upper())
    return f"{ENV_PREFIX}{platform}_{field_name.upper()}"


def connector_config(
    connector: Connector,
    environ: Mapping[str, str] | None = None,
    *,
    overrides: Mapping[str, Any] | None = None,
) -> ConnectorConfig:
    """Build `connector.config_type` from `RAPPORT_<PLATFORM>_<FIELD>` variables, then
    `overrides` (e.g. `--base-url`). A bad value is an `InputError` naming the variable, never
    echoing the value (it may be a token)."""
    environ = os.environ if environ is None else environ
    config_type: type[ConnectorConfig] = connector.config_type
    values: dict[str, Any] = {}
    for item in msgspec.structs.fields(config_type):
        key = config_env_var(connector, item.name)
        if key in environ:
            values[item.name] = environ[key]
    values.update({k: v for k, v in (overrides or {}).items() if v is not None})
    try:
        return msgspec.convert(values, config_type, strict=False)
    except msgspec.ValidationError as exc:
        message = str(exc)
        for item in msgspec.structs.fields(config_type):
            message = message.replace(f"`$.{item.name}`", config_env_var(connector, item.name))
        raise InputError(f"invalid {connector.name} configuration: {message}") from None
