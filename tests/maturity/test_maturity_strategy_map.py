"""The strategy map: objectives placed in their perspectives, drawn as SVG, each objective
coloured by its measures' worst status."""

from __future__ import annotations

from pathlib import Path

from dagster_project.config import StatureConfig
from dagster_project.maturity.bsc import load_measures
from dagster_project.maturity.strategy_map import (
    OTHER,
    STATUS_COLOURS,
    draw,
    draw_strategy_map,
    measure_refs,
    objective_status,
    plan,
)

REPO = Path(__file__).resolve().parents[2]
CONFIG = StatureConfig(
    org={"name": "Acme"},
    balanced_scorecard={
        "strategy_map": [
            {"cause": "Skilled teams", "effect": "Build quality in"},
            {"cause": "Build quality in", "effect": "Reliable service"},
            {"cause": "Fast, steady flow", "effect": "Lower cost to serve"},
            {"cause": "Reliable service", "effect": "Happy shareholders"},
            {"cause": "Mentoring", "effect": "Skilled teams"},
        ],
        "objectives": {"Mentoring": "Team Capability"},
    },
)


def test_objectives_sit_in_the_perspective_their_measures_name():
    layout = plan(CONFIG, measure_refs(load_measures(REPO / "rules_sql")))
    assert layout.bands == [
        "Business Value",
        "Customer Outcomes",
        "Engineering Excellence",
        "Team Capability",
        OTHER,
    ]
    assert layout.objectives["Fast, steady flow"] == "Engineering Excellence"
    assert layout.objectives["Reliable service"] == "Customer Outcomes"
    assert layout.objectives["Mentoring"] == "Team Capability"  # from config objectives
    assert layout.objectives["Happy shareholders"] == OTHER
    assert layout.warnings == [
        "strategy map objective 'Happy shareholders' has no perspective: name it in a "
        "measure's `objective:` or in balanced_scorecard.objectives"
    ]
    assert [m.title for m in layout.measures["Engaged teams"]] == [
        "Engineers recommend working here",
        "Roles are filled from within",
    ]


def test_an_objective_takes_its_worst_measures_status():
    layout = plan(CONFIG, measure_refs(load_measures(REPO / "rules_sql")))
    flow = layout.measures["Fast, steady flow"]
    assert sorted(m.measure_id for m in flow) == [
        "deployment_frequency",
        "lead_time",
        "review_turnaround",
    ]
    assert objective_status(flow, {"deployment_frequency": "green", "lead_time": "yellow"}) == (
        "yellow"
    )
    assert objective_status(flow, {"deployment_frequency": "red", "lead_time": "yellow"}) == "red"
    assert objective_status(flow, {"lead_time": "green"}) == "green"
    assert objective_status(flow, {}) is None


def test_the_map_is_written_as_svg_the_same_every_time(tmp_path):
    (tmp_path / "strategy_map.png").write_bytes(b"drawn by an earlier version")
    # no published copy to colour it from (not the repository's data/published, which
    # `make demo` leaves behind: this test must not depend on whether it ran)
    config = CONFIG.model_copy(update={"published_dir": str(tmp_path / "none_published")})
    paths, layout = draw_strategy_map(config, load_measures(REPO / "rules_sql"), tmp_path)
    assert [p.name for p in paths] == ["strategy_map.svg"]
    svg = paths[0].read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    for text in ("Acme: strategy map", "Skilled teams", "Build quality in", "Capability"):
        assert text in svg
    again = draw(layout, tmp_path / "again", title="Acme: strategy map")
    assert again[0].read_text() == svg
    # coloured by status when statuses are given
    coloured = draw(
        layout,
        tmp_path / "coloured",
        title="Acme: strategy map",
        status_of={"deployment_frequency": "red", "lead_time": "green"},
    )[0].read_text()
    # (the legend shows each colour once): one objective more in red, none more in green
    assert coloured.count(STATUS_COLOURS["red"]) == svg.count(STATUS_COLOURS["red"]) + 1
    assert coloured.count(STATUS_COLOURS["green"]) == svg.count(STATUS_COLOURS["green"])
    # the earlier version's PNG is removed; no temporary files left behind
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["strategy_map.svg"]
