"""`stature snapshot` through the real CLI entry point: exit codes, recompute's audit row."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from dagster_project.cli import main
from tests.maturity.helpers import add_results, build_catalog, query


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    monkeypatch.setenv("USER", "grace")
    (tmp_path / "rules_sql").mkdir()
    wh = build_catalog(tmp_path / "wh.duckdb", {"a": "t1", "b": "t2"})
    add_results(wh, "2025-09-30", [("r2", 2, "service", "a", "fail")])
    add_results(wh, "2025-12-31", [("r2", 2, "service", "a", "pass")])
    config = tmp_path / "stature.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "warehouse": str(wh),
                "published_dir": str(tmp_path / "published"),
                "rules": {"dir": str(tmp_path / "rules_sql")},
            }
        )
    )
    return config, wh


def test_snapshot_closes_the_history_and_prints_the_levels(workspace, capsys):
    config, wh = workspace
    assert main(["snapshot", "--config", str(config)]) == 0
    out = capsys.readouterr().out
    assert "closed 2025-Q3, 2025-Q4" in out
    assert "Maturity by quarter (2 closed quarters" in out
    assert query(
        wh,
        "select quarter, level_to, movement from scorecards.maturity_movements "
        "where entity_id = 'a' order by quarter",
    ) == [("2025-Q3", 1, "new"), ("2025-Q4", 5, "up")]


def test_recompute_needs_a_reason_and_leaves_an_audit_row(workspace, capsys, monkeypatch):
    config, wh = workspace
    monkeypatch.setenv("DAGSTER_HOME", str(config.parent / "dagster_home"))
    assert main(["snapshot", "--config", str(config), "--backfill-from", "2025-Q3"]) == 0
    assert main(["snapshot", "--config", str(config), "--recompute", "2025-Q4"]) == 2
    assert "needs --reason" in capsys.readouterr().err
    assert main(["snapshot", "--config", str(config), "--reason", "why"]) == 2
    code = main(
        ["snapshot", "--config", str(config), "--recompute", "2025-Q4", "--reason", "rule fixed"]
    )
    assert code == 0
    assert "recomputed 2025-Q4 (0 levels changed)" in capsys.readouterr().out
    audit = query(
        wh,
        "select quarter, action, reason, requested_by, previous_ruleset_version = "
        "new_ruleset_version from scorecards.maturity_audit order by requested_at, action",
    )
    assert audit[-1] == ("2025-Q4", "recompute", "rule fixed", "grace", True)
    # both were Dagster runs: the UI shows the quarter's partition and the day's snapshot
    from dagster_project.defs.runner import JobOptions, materialized_partitions

    options = JobOptions(config_path=str(config))
    assert materialized_partitions(options, "scorecards", "maturity_quarter") == {"2025-Q4"}
    assert materialized_partitions(options, "scorecards", "maturity_snapshots") == {"2025-12-31"}


def test_a_closed_quarter_is_kept_and_a_future_one_refused(workspace, capsys):
    config, _ = workspace
    main(["snapshot", "--config", str(config)])
    capsys.readouterr()
    assert main(["snapshot", "--config", str(config), "--quarter", "2025-Q4"]) == 0
    assert "2025-Q4 is closed: its snapshot is kept as it is" in capsys.readouterr().out
    assert main(["snapshot", "--config", str(config), "--quarter", "2099-Q1"]) == 2
    assert "2099-Q1 has not started yet" in capsys.readouterr().err
    assert main(["snapshot", "--config", str(config), "--quarter", "2025-Q9"]) == 2
    assert "write it as 2026-Q1" in capsys.readouterr().err
