"""What a user gets wrong, or names oddly, never loses data silently: duplicate config keys,
patterns DuckDB cannot run, dates outside the partitions, bad flags (one line, exit 2); ids
that are not file names; names that are not Markdown."""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from dagster_project.config import ConfigError, load_config
from dagster_project.report.filenames import file_stems
from dagster_project.report.portal import md_name
from tests.conftest import STATURE, make_workspace

# --- config ---------------------------------------------------------------------------------


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text(
        "org:\n  name: Acme\ndora:\n  production_environment: '^prd$'\n"
        "  hotfix_label: hot\n  production_environment: '^live$'\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(error.value) == (
        f"{path}: key 'production_environment' is given twice, at lines 4 and 6: keep one"
    )


def test_a_top_level_block_given_twice_is_an_error_too(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("dora:\n  hotfix_label: a\norg:\n  name: x\ndora:\n  hotfix_label: b\n")
    with pytest.raises(ConfigError, match=r"key 'dora' is given twice, at lines 1 and 5"):
        load_config(path)


def test_yaml_merge_keys_still_override_as_yaml_says(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("org:\n  <<: {name: Base, timezone: Europe/Berlin}\n  name: Acme\n")
    config = load_config(path)
    assert (config.org.name, config.org.timezone) == ("Acme", "Europe/Berlin")


def test_a_pattern_the_warehouse_cannot_run_is_refused_at_start(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("dora:\n  production_environment: '^(?!staging).*prod'\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    message = str(error.value)
    assert f"{path}:2: key 'dora.production_environment'" in message
    assert "invalid perl operator: (?!" in message and "no look-around" in message


def test_history_start_is_a_date_with_a_default(tmp_path):
    path = tmp_path / "stature.yml"
    path.write_text("")
    assert load_config(path).history_start == dt.date(2015, 1, 1)
    path.write_text("history_start: 2020-07-01\n")
    assert load_config(path).history_start == dt.date(2020, 7, 1)


# --- the CLI: one line, exit 2 ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ("sample-org", "--services", "6"),
            "stature: sample-org: services must be at least 12 (the scenario needs them)",
        ),
        (("sample-org", "--services", "many"), "stature sample-org: argument --services: "),
        (("run", "--no-such-flag"), "stature: unrecognized arguments: --no-such-flag"),
        (
            ("run", "--as-of", "2014-12-31"),
            "stature: --as-of 2014-12-31 is outside the supported range 2015-01-01 "
            "(history_start in the config) to ",
        ),
        (("run", "--as-of", "2999-01-01"), "stature: --as-of 2999-01-01 is outside the supported"),
    ],
)
def test_usage_errors_are_one_line_and_exit_2(tmp_path, args, expected):
    ws = make_workspace(tmp_path, tmp_path / "export")
    (tmp_path / "export").mkdir()
    if args[0] == "sample-org":  # takes no --config
        result = subprocess.run(
            [str(STATURE), *args, "--out", str(tmp_path / "org")],
            capture_output=True,
            text=True,
            timeout=120,
        )
    else:
        result = ws.stature(*args)
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_as_of_far_back_within_history_start_is_accepted_by_the_partitions(tmp_path):
    """Any date from history_start on is a partition of the nightly job (DagsterUnknown-
    PartitionError used to end a run as of 2023-06-30)."""
    from dagster_project.defs.rules import daily_partitions

    config = load_config(None)
    keys = daily_partitions(config).get_partition_keys(
        current_time=dt.datetime(2026, 11, 30, 12, tzinfo=dt.UTC)
    )
    assert keys[0] == "2015-01-01" and "2023-06-30" in keys and keys[-1] == "2026-11-30"


# --- names ------------------------------------------------------------------------------------


def test_file_names_are_distinct_bounded_and_keep_safe_ids():
    long_id = "svc-" + "x" * 296
    ids = ["payments-api", "foo/bar", "foo_bar", long_id, "Index", "API", "api", "..hidden", ""]
    stems = file_stems(ids)
    assert stems["payments-api"] == "payments-api" and stems["foo_bar"] == "foo_bar"
    assert stems["foo/bar"].startswith("foo_bar-") and len(stems["foo/bar"]) == len("foo_bar-") + 10
    assert stems[long_id].startswith("svc-xxx") and len(stems[long_id]) <= 113
    assert stems["Index"] != "Index"  # the index file's own name is not an id's
    assert len({s.lower() for s in stems.values()}) == len(ids)  # even ignoring case
    assert stems["API"].lower() != stems["api"].lower()
    assert all(s and not s.startswith(".") and "/" not in s for s in stems.values())
    assert file_stems(ids) == stems  # the same ids, the same names, every run


def test_a_hashed_name_that_equals_another_id_is_made_unique():
    stems = file_stems(["foo/bar"])
    taken = stems["foo/bar"]
    both = file_stems(["foo/bar", taken])
    assert both["foo/bar"] != both[taken] and len(both["foo/bar"]) == len("foo_bar-") + 64


def test_markdown_names_are_text():
    assert md_name("<script>x</script> | [a](b) `c`\nd") == (
        "\\<script\\>x\\</script\\> \\| \\[a\\](b) \\`c\\` d"
    )
    assert md_name("Alpha Team") == "Alpha Team"
