"""`stature bench` on a tiny org: it generates the org twice (day D and D+1), runs the nightly
twice through the real CLI and prints one table with the machine and commit. Figures are
measurements, so nothing here asserts a time; it asserts that every stage, both runs and
the reference query are in the table and that both runs succeeded. With `--engine duckdb
spark` the same org runs on both engines, a pair of columns each. The config each run gets is
checked without running anything."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from dagster_project.bench import EngineFigures, RunFigures, SizeFigures, run_config, table
from dagster_project.config import load_config
from tests.conftest import REPO, STATURE

SECONDS = r"\d+\.\d s"
STAGES = ("ingest", "dbt", "rules", "snapshots", "publish", "report", "other")


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_the_run_config_is_the_demos_on_one_engine_under_the_run_folder(
    tmp_path, monkeypatch, engine
):
    for name in ("STATURE_ENGINE", "STATURE_WAREHOUSE", "STATURE_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    path = run_config(tmp_path, engine)
    assert path == tmp_path / "stature.yml"
    text = path.read_text()
    assert [line for line in text.splitlines() if line.startswith("engine:")] == [
        f"engine: {engine}"
    ]
    config = load_config(path)  # a key given twice would be a ConfigError here
    assert config.engine == engine
    assert config.warehouse_path == tmp_path / "warehouse.duckdb"
    assert config.published_path == tmp_path / "pub"
    assert config.lake_path == tmp_path / "warehouse.duckdb.lake"  # the run's own lake
    assert config.export_dir is None  # the bench passes each day's export
    assert config.rules_path == REPO / "rules_sql"
    demo = load_config(REPO / "stature.yml")
    assert config.org == demo.org and config.dora == demo.dora  # the demo's org otherwise


def test_the_run_config_drops_the_demos_own_engine(tmp_path, monkeypatch):
    import dagster_project.bench as bench

    repo = tmp_path / "repo"
    repo.mkdir()
    demo = (REPO / "stature.yml").read_text()
    (repo / "stature.yml").write_text(
        f"engine: duckdb\n{demo}spark:\n  lake: /elsewhere/lake\n  method: session\n"
    )
    monkeypatch.setattr(bench, "REPO_ROOT", repo)
    monkeypatch.delenv("STATURE_ENGINE", raising=False)
    monkeypatch.delenv("STATURE_WAREHOUSE", raising=False)
    run = tmp_path / "run"
    run.mkdir()
    config = load_config(run_config(run, "spark"))
    assert config.engine == "spark"
    assert config.lake_path == run / "warehouse.duckdb.lake"
    assert config.spark.method == "session"
    with pytest.raises(ValueError, match="engine 'oracle'"):
        run_config(run, "oracle")


def _figures(services: int, *engines: str) -> SizeFigures:
    run = RunFigures(seconds=10.0, cpu_seconds=9.0, peak_mb=500, stages={"ingest": 2.0})
    return SizeFigures(
        services, 40, files=10, megabytes=4.0, bare_seconds=1.0, bare_cpu_seconds=1.0,
        read_json_seconds=0.5, runs=[EngineFigures(e, run, run) for e in engines],
    )  # fmt: skip


def _rows(text: str) -> dict[str, list[str]]:
    """The table's rows by name, every cell (blank ones too) after the name."""
    cells = [
        line[2:-2].split(" | ")
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| stage")
    ]
    return {row[0]: row[1:] for row in cells}


def test_the_table_has_a_column_pair_per_size_and_engine():
    text = table([_figures(12, "duckdb", "spark"), _figures(200, "duckdb", "spark")])
    assert text.splitlines()[0] == (
        "| stage | 12 svc duckdb full | 12 svc duckdb +1 day | 12 svc spark full "
        "| 12 svc spark +1 day | 200 svc duckdb full | 200 svc duckdb +1 day "
        "| 200 svc spark full | 200 svc spark +1 day |"
    )
    rows = _rows(text)
    assert all(len(cells) == 8 for cells in rows.values()), rows
    # the reference once per size, in its first column
    assert rows["bare DuckDB query, same files"] == ["1.0 s (1 s CPU)", "", "", ""] * 2
    assert rows["export"] == ["10 files, 4 MB", "", "", ""] * 2
    assert rows["full run / bare query"] == ["10.0x wall, 9.0x CPU", ""] * 4
    assert rows["exit status"] == ["0"] * 8


def test_the_table_names_no_engine_for_duckdb_alone():
    text = table([_figures(12, "duckdb"), _figures(200, "duckdb")])
    assert text.splitlines()[0] == (
        "| stage | 12 svc full | 12 svc +1 day | 200 svc full | 200 svc +1 day |"
    )
    rows = _rows(text)
    assert all(len(cells) == 4 for cells in rows.values()), rows
    assert rows["bare DuckDB query, same files"] == ["1.0 s (1 s CPU)", ""] * 2
    # Spark alone is named
    assert "| 12 svc spark full |" in table([_figures(12, "spark")])


def _bench(tmp_path, *options: str) -> tuple[str, dict[str, list[str]]]:
    """Run `stature bench` on the 12-service org; the table's text and its rows by name."""
    out = tmp_path / "table.md"
    env = {**os.environ}
    env.pop("STATURE_WAREHOUSE", None)
    env.pop("STATURE_ENGINE", None)
    result = subprocess.run(
        [
            str(STATURE), "bench", "--services", "12", "--days", "40",
            "--workdir", str(tmp_path / "bench"), "--out", str(out), *options,
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=3600,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text()
    assert text.split("\n\n")[1] in result.stdout  # the same table is printed
    return text, _rows(text)


@pytest.mark.slow
def test_bench_prints_one_table_for_a_tiny_org(tmp_path):
    text, rows = _bench(tmp_path)

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    header = text.splitlines()[0]
    assert f"commit {commit}" in header
    assert re.search(r"\d+ cores, \d+ GiB", header)

    assert [c for c in text.splitlines() if c.startswith("| stage")] == [
        "| stage | 12 svc full | 12 svc +1 day |"
    ]
    for stage in STAGES:
        assert all(re.fullmatch(SECONDS, cell) for cell in rows[stage]), (stage, rows[stage])
    # the full build really ran ingestion and dbt (a stage that never ran reports 0.0 s)
    assert rows["ingest"][0] != "0.0 s" and rows["dbt"][0] != "0.0 s"
    assert rows["exit status"] == ["0", "0"]
    assert re.fullmatch(r"\d[\d,]* MB", rows["peak memory"][0])
    assert re.fullmatch(SECONDS + r" \(\d+ s CPU\)", rows["bare DuckDB query, same files"][0])
    assert re.fullmatch(r"\d+\.\dx wall, \d+\.\dx CPU", rows["full run / bare query"][0])
    assert all(re.fullmatch(r"\d+ s", cell) for cell in rows["CPU time (user + system)"])
    assert re.fullmatch(
        r"\d+ MB/s vs read_json \d+ MB/s \(\d+%\)", rows["export ingestion rate"][0]
    )
    assert re.fullmatch(r"\d[\d,]* files, \d+ MB", rows["export"][0])
    # the site each run left: 12 services, 4 teams, every page within the budget
    assert all(re.fullmatch(r"\d[\d,]* pages, \d+\.\d MB", c) for c in rows["site: pages, size"])
    assert all(c.startswith("services/") for c in rows["largest service page"])
    assert all(
        re.search(r"\(of 12 pages, [\d,]+ KB in all\)$", c) for c in rows["largest service page"]
    )
    assert all(re.search(r"\(of 4 pages, ", c) for c in rows["largest team page"])
    assert rows["every page under 1 MB"] == ["yes", "yes"]
    # without --keep the generated orgs are removed afterwards
    assert not (tmp_path / "bench" / "org-12").exists()


@pytest.mark.slow
@pytest.mark.spark
def test_bench_runs_the_same_org_on_duckdb_and_spark(tmp_path):
    text, rows = _bench(tmp_path, "--engine", "duckdb", "spark", "--keep")
    assert "engines duckdb, spark" in text.splitlines()[0]
    assert [c for c in text.splitlines() if c.startswith("| stage")] == [
        "| stage | 12 svc duckdb full | 12 svc duckdb +1 day "
        "| 12 svc spark full | 12 svc spark +1 day |"
    ]
    for stage in STAGES:
        assert len(rows[stage]) == 4
        assert all(re.fullmatch(SECONDS, cell) for cell in rows[stage]), (stage, rows[stage])
    assert rows["exit status"] == ["0", "0", "0", "0"]
    assert rows["dbt"][2] != "0.0 s"  # Spark built the models
    # the reference is once per size, in its first column; each engine has its own ratio
    assert re.fullmatch(SECONDS + r" \(\d+ s CPU\)", rows["bare DuckDB query, same files"][0])
    assert rows["bare DuckDB query, same files"][1:] == ["", "", ""]
    ratios = rows["full run / bare query"]
    assert all(re.fullmatch(r"\d+\.\dx wall, \d+\.\dx CPU", ratios[i]) for i in (0, 2))
    assert rows["every page under 1 MB"] == ["yes"] * 4
    # each engine ran in its own folder: its own warehouse and Dagster home, a lake on Spark
    org = tmp_path / "bench" / "org-12"
    for engine in ("duckdb", "spark"):
        assert (org / f"run-{engine}" / "warehouse.duckdb").is_file()
        assert (org / f"run-{engine}" / "dg").is_dir()
    assert not (org / "run-duckdb" / "warehouse.duckdb.lake").exists()
    assert (org / "run-spark" / "warehouse.duckdb.lake" / "raw").is_dir()
