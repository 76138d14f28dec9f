"""The config: defaults for every key, and errors that name the file, line and key."""

from __future__ import annotations

import pytest

from dagster_project.config import ConfigError, load_config


def test_empty_file_is_a_valid_config(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("")
    config = load_config(path)
    assert config.org.timezone == "UTC"
    assert config.org.fiscal_year_start_month == 1
    assert config.dora.benchmark_edition == "2023"
    assert config.dora.attribution_window_hours == 24
    assert config.warehouse_path == tmp_path / "data" / "warehouse.duckdb"
    assert config.ladder_names[0] == "Ad hoc"


def test_unknown_key_names_file_line_and_key(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("org:\n  name: acme\n  timezon: UTC\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert f"{path}:3" in message
    assert "org.timezon" in message
    assert "check its spelling" in message


def test_a_key_that_moved_says_where_its_setting_lives_now(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("sources:\n  github:\n    repos: [acme/a]\n    incident_label: bug\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert f"{path}:4: key 'sources.github.incident_label'" in str(err.value)
    assert "is dora.incident_label" in str(err.value)


def test_bad_values_are_refused_with_reason(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text(
        "org:\n  timezone: Mars/Olympus\n  fiscal_year_start_month: 13\n"
        "dora:\n  production_environment: '(unclosed'\n  benchmark_edition: 2019\n"
    )
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert "org.timezone" in message and "unknown IANA time zone" in message
    assert "org.fiscal_year_start_month" in message
    assert "dora.production_environment" in message and "regular expression" in message
    assert "dora.benchmark_edition" in message


def test_an_edition_after_2024_says_that_tiers_stop_there(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("dora:\n  benchmark_edition: 2025\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert (
        "dora.benchmark_edition': Value error, DORA's 2025 report publishes no performance "
        "clusters (it describes team archetypes instead), so tiers stop at the 2024 edition: "
        "use 2021, 2023 or 2024"
    ) in str(err.value)


def test_warehouse_env_wins_and_missing_explicit_file_fails(tmp_path, monkeypatch):
    path = tmp_path / "stature.yml"
    path.write_text("warehouse: other.duckdb\n")
    monkeypatch.setenv("STATURE_WAREHOUSE", str(tmp_path / "env.duckdb"))
    assert load_config(path).warehouse_path == tmp_path / "env.duckdb"
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yml")


def test_dbt_vars_carry_the_org_settings(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("org: {timezone: America/New_York, fiscal_year_start_month: 2}\n")
    dbt_vars = load_config(path).dbt_vars()
    assert dbt_vars["stature_timezone"] == "America/New_York"
    assert dbt_vars["fiscal_year_start_month"] == 2
