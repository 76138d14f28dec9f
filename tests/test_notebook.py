"""The leaders' notebook run as a leader runs it: a real Jupyter kernel (nbclient) executes
every cell against a published copy, and every figure it draws is checked for data.

Quick tests use the hand-made warehouse of tests/test_report.py (figures known by heart);
the slow ones read the session's nightly runs of the generated sample org and of the
500-service, 25-team org.
"""

from __future__ import annotations

import json
import re

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from tests.conftest import REPO, SMALL_ORG_END
from tests.support.report_warehouse import QUARTERS, published_copy

NOTEBOOK = REPO / "notebooks" / "leaders.ipynb"

# Appended to a copy of the notebook: what each figure drew, per axes (line lengths, bars
# with a size), so "every figure has data" is a fact, not a picture.
FIGURE_PROBE = """
import json as _json


def _probe(fig):
    return [
        {
            "title": ax.get_title(),
            "lines": sorted(len(line.get_xdata()) for line in ax.get_lines()),
            "bars": sum(1 for p in ax.patches if p.get_width() > 0 and p.get_height() > 0),
        }
        for ax in fig.axes
        if ax.axison  # panels left empty at the end of a grid are switched off
    ]


print("FIGURES " + _json.dumps({name: _probe(fig) for name, fig in figures.items()}))
"""
DORA_FIGURES = [
    "dora_deployment_frequency",
    "dora_lead_time_p50_hours",
    "dora_recovery_time_p50_hours",
    "dora_change_failure_rate",
    "dora_rework_rate",
]


def run_notebook(
    published_database, monkeypatch, **parameters
) -> tuple[nbformat.NotebookNode, dict]:
    """Execute a copy of the notebook in a real kernel, with `parameters` set in its
    parameters cell as a reader would; returns it and the figure probe."""
    monkeypatch.setenv("STATURE_PUBLISHED", str(published_database))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    for name, value in parameters.items():
        cell.source, found = re.subn(
            rf"^{name} = .*$", f"{name} = {value!r}", cell.source, flags=re.M
        )
        assert found == 1, f"no {name} in the parameters cell"
    notebook.cells.append(nbformat.v4.new_code_cell(FIGURE_PROBE))
    client = NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(NOTEBOOK.parent)}},
    )
    client.execute()
    probe = notebook.cells[-1].outputs[0]["text"]
    assert probe.startswith("FIGURES ")
    return notebook, json.loads(probe.removeprefix("FIGURES "))


def outputs_of(notebook: nbformat.NotebookNode) -> tuple[str, int, list[str]]:
    """(all printed text, how many PNG figures were shown, error names)."""
    text, images, errors = [], 0, []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            if output["output_type"] == "stream":
                text.append(output["text"])
            elif output["output_type"] == "error":
                errors.append(output["ename"])
            elif "image/png" in output.get("data", {}):
                images += 1
    return "".join(text), images, errors


def test_the_notebook_is_stored_without_outputs():
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(c.outputs == [] and c.execution_count is None for c in code)
    assert notebook.metadata.kernelspec.name == "python3"


def test_every_cell_runs_and_every_figure_has_data(tmp_path, monkeypatch):
    _, _, report = published_copy(tmp_path)
    notebook, figures = run_notebook(report.database, monkeypatch)
    text, images, errors = outputs_of(notebook)
    assert errors == []
    assert images == 9 and list(figures) == [
        *DORA_FIGURES,
        "maturity_distribution",
        "scorecard_pass_rates",
        "balanced_scorecard",
        "initiatives",
    ]
    # the burn-up of the one initiative: its three evaluation days and the target line
    assert figures["initiatives"] == [
        {"title": "Every service links a runbook", "lines": [2, 3], "bars": 0}
    ]
    assert "1 late entities" in text
    # a panel per metric for the org (its own scale), then Alpha Team and Beta Team (one
    # scale): 7 closed quarters as a line, 2026-Q4 to date as a hollow point, and a dotted
    # segment from 2026-Q3 to it
    for name in DORA_FIGURES:
        assert figures[name] == [
            {"title": title, "lines": [1, 2, len(QUARTERS) - 1], "bars": 0}
            for title in ("Acme Test (org, own scale)", "Alpha Team", "Beta Team")
        ], name
    # one bar segment per level with services, quarter by quarter (1+1+2+2+2+3+2+3)
    assert figures["maturity_distribution"] == [
        {"title": "Services per maturity level", "lines": [], "bars": 16}
    ]
    # each team in grey, the org in black; security: beta has a pass rate only in
    # 2026-Q1..Q3 (in Q4 its one check is exempt)
    assert figures["scorecard_pass_rates"] == [
        {"title": "Engineering maturity: pass rate (%)", "lines": [8, 8, 8], "bars": 2},
        {"title": "Security: pass rate (%)", "lines": [3, 8, 8], "bars": 2},
    ]
    # the org's four measures (the team's is in the table below it); the target is the line
    assert figures["balanced_scorecard"] == [
        {"title": "Balanced scorecard, 2026-Q3 (Acme Test)", "lines": [2], "bars": 4}
    ]
    assert "Figures up to:  2026-11-15" in text
    assert "Teams:          all; last 8 quarters" in text
    assert "Into 2026-Q4: 1 down, 3 same" in text
    assert "3 red checks out of 12 at 2026-11-15" in text
    assert "Status of each measure by team:" in text


def test_the_parameters_cell_picks_the_teams_and_the_quarters(tmp_path, monkeypatch):
    _, _, report = published_copy(tmp_path)
    notebook, figures = run_notebook(report.database, monkeypatch, TEAMS=["beta"], QUARTERS=4)
    text, _, errors = outputs_of(notebook)
    assert errors == []
    # the org and Beta Team only, over 2026-Q1 .. 2026-Q4 (the last to date)
    assert figures["dora_deployment_frequency"] == [
        {"title": "Acme Test (org, own scale)", "lines": [1, 2, 3], "bars": 0},
        {"title": "Beta Team", "lines": [1, 2, 3], "bars": 0},
    ]
    # four quarters of pass rates, beta's and the org's
    assert figures["scorecard_pass_rates"][0]["lines"] == [4, 4]
    assert "Teams:          beta; last 4 quarters" in text
    # beta's jobs: a pass, a warn, an exempt check and a shadow rule's fail: nothing red
    assert "0 red checks out of 4 at 2026-11-15" in text


def test_the_notebook_skips_what_the_published_copy_lacks(tmp_path, monkeypatch):
    _, _, report = published_copy(
        tmp_path, check_results=False, maturity=False, balanced_scorecard=False, initiatives=False
    )
    notebook, figures = run_notebook(report.database, monkeypatch)
    text, images, errors = outputs_of(notebook)
    assert errors == [] and images == 5
    assert list(figures) == DORA_FIGURES
    for view in (
        "maturity_distribution",
        "scorecard_pass_rates",
        "balanced_scorecard",
        "initiative_status",
    ):
        assert f"reporting.{view} is not in the published copy yet" in text
    assert "Figures up to:  2026-11-14" in text  # the last deployment


def test_without_a_published_copy_the_first_cell_says_what_to_do(tmp_path, monkeypatch):
    missing = tmp_path / "published" / "stature.duckdb"
    with pytest.raises(CellExecutionError) as failure:
        run_notebook(missing, monkeypatch)
    assert f"No published copy at {missing}: run `make demo`" in str(failure.value)


def _every_figure_has_data(figures: dict) -> None:
    for name, axes in figures.items():
        assert axes, name
        for ax in axes:
            assert ax["bars"] > 0 or any(ax["lines"]), (name, ax)


@pytest.mark.slow
def test_the_notebook_on_the_sample_org_shows_eight_quarters_of_history(nightly, monkeypatch):
    notebook, figures = run_notebook(nightly.workspace.published / "stature.duckdb", monkeypatch)
    text, images, errors = outputs_of(notebook)
    assert errors == []
    assert set(figures) >= {*DORA_FIGURES, "maturity_distribution", "scorecard_pass_rates"}
    assert images == len(figures)
    _every_figure_has_data(figures)
    for ax in figures["dora_deployment_frequency"]:
        # the org and every team: 8 quarters each (7 closed, the running one to date)
        assert ax["lines"] == [1, 2, 7], ax
    assert len(figures["dora_deployment_frequency"]) == 1 + 4
    assert f"Figures up to:  {SMALL_ORG_END}" in text


@pytest.mark.slow
def test_the_notebook_reads_well_at_25_teams(large_nightly, monkeypatch):
    """On the 500-service, 25-team org: a panel per team and one for the org in every DORA
    figure, and every figure drawn with data."""
    ws = large_nightly.workspace
    notebook, figures = run_notebook(ws.published / "stature.duckdb", monkeypatch)
    text, images, errors = outputs_of(notebook)
    assert errors == []
    assert images == len(figures) == 9  # the shipped initiative's burn-up too
    _every_figure_has_data(figures)
    for name in DORA_FIGURES:
        titles = [ax["title"] for ax in figures[name]]
        assert len(titles) == 1 + 25 and titles[0] == "Acme at scale (org, own scale)", name
    assert f"Figures up to:  {SMALL_ORG_END}" in text
