"""Settings come from RAPPORT_ variables, fail with the variable's name, and are documented."""

from __future__ import annotations

from pathlib import Path

import pytest

from rapport.settings import Settings, SettingsError, markdown_table

DOC = Path(__file__).resolve().parents[1] / "docs" / "configuration.md"


def test_defaults_without_environment() -> None:
    settings = Settings.from_env({})
    assert settings.redis_url is None
    assert settings.plugins_strict is False
    assert settings.log_level == "INFO"


def test_values_are_read_and_converted() -> None:
    settings = Settings.from_env(
        {
            "RAPPORT_PLUGINS_STRICT": "1",
            "RAPPORT_REDIS_URL": "redis://localhost:1/0",
            "UNRELATED": "x",
        }
    )
    assert settings.plugins_strict is True
    assert settings.redis_url == "redis://localhost:1/0"


def test_bad_value_names_the_variable() -> None:
    with pytest.raises(SettingsError, match="RAPPORT_LOG_LEVEL"):
        Settings.from_env({"RAPPORT_LOG_LEVEL": "LOUD"})


def test_configuration_doc_lists_every_setting_as_generated() -> None:
    assert markdown_table() in DOC.read_text(), (
        "docs/configuration.md is out of date: regenerate the table with "
        "`python -m rapport.settings`"
    )
