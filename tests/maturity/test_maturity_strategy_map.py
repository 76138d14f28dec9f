"""The strategy map: objectives placed in their perspectives, drawn as SVG and PNG."""

from __future__ import annotations

from pathlib import Path

from dagster_project.config import StatureConfig
from dagster_project.maturity.bsc import load_measures
from dagster_project.maturity.strategy_map import OTHER, draw, draw_strategy_map, plan

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
    layout = plan(CONFIG, load_measures(REPO / "rules_sql"))
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
    assert layout.measures["Engaged teams"] == [
        "Engineers recommend working here",
        "Roles are filled from within",
    ]


def test_the_map_is_written_as_svg_and_png_the_same_every_time(tmp_path):
    paths, layout = draw_strategy_map(CONFIG, load_measures(REPO / "rules_sql"), tmp_path)
    assert [p.name for p in paths] == ["strategy_map.svg", "strategy_map.png"]
    svg = paths[0].read_text()
    assert svg.lstrip().startswith(("<?xml", "<svg"))
    for text in ("Acme: strategy map", "Skilled teams", "Build quality in", "Capability"):
        assert text in svg
    assert paths[1].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    again = draw(layout, tmp_path / "again", title="Acme: strategy map")
    assert again[0].read_text() == svg
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == [
        "strategy_map.png",
        "strategy_map.svg",
    ]  # no temporary files left behind
