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


@pytest.mark.parametrize("empty", ["", " "])
def test_an_empty_variable_means_its_default(empty: str) -> None:
    """Kubernetes passes a value a chart left out (`null` in a ConfigMap after `helm upgrade
    --reuse-values` from an older chart) as "": the process must start with the default, not
    exit with "Expected float, got str" (issue 18)."""
    settings = Settings.from_env(
        {
            "RAPPORT_JOB_TIMEOUT_SECONDS": empty,
            "RAPPORT_WORKER_SHUTDOWN_SECONDS": empty,
            "RAPPORT_PLUGINS_STRICT": empty,
            "RAPPORT_LOG_LEVEL": empty,
            "RAPPORT_REDIS_URL": empty,
        }
    )
    assert settings == Settings()
