"""`stature bench` on a tiny org: it generates the org twice (day D and D+1), runs the nightly
twice through the real CLI and prints one table with the machine and commit. Figures are
measurements, so nothing here asserts a time; it asserts that every stage, both runs and
the reference query are in the table and that both runs succeeded."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import REPO, STATURE

pytestmark = pytest.mark.slow

SECONDS = r"\d+\.\d s"


def test_bench_prints_one_table_for_a_tiny_org(tmp_path):
    out = tmp_path / "table.md"
    env = {**os.environ}
    env.pop("STATURE_WAREHOUSE", None)
    result = subprocess.run(
        [
            str(STATURE), "bench", "--services", "12", "--days", "40",
            "--workdir", str(tmp_path / "bench"), "--out", str(out),
        ],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    text = out.read_text()
    assert text.split("\n\n")[1] in result.stdout  # the same table is printed

    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    ).stdout.strip()
    header = text.splitlines()[0]
    assert f"commit {commit}" in header
    assert re.search(r"\d+ cores, \d+ GiB", header)

    rows = {
        line.split(" | ")[0].strip("| "): line.strip("| ").split(" | ")[1:]
        for line in text.splitlines()
        if line.startswith("| ") and not line.startswith("| stage")
    }
    assert [c for c in text.splitlines() if c.startswith("| stage")] == [
        "| stage | 12 svc full | 12 svc +1 day |"
    ]
    for stage in ("ingest", "dbt", "rules", "snapshots", "publish", "report", "other"):
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
