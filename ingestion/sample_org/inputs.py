"""Manual measures (`inputs/*.csv`) for every month and quarter of the history, with gaps.

Each file is what one owner would upload: SRE (SLO compliance), finance (cost, transactions,
revenue), product analytics (feature adoption), people (training, eNPS, internal mobility).
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from ingestion.sample_org.org import IMPROVING_TEAM, REGRESSING_TEAM, Org, Service, Team
from ingestion.sample_org.timeutil import add_months, epoch, quarter_start

COLUMNS = ("period", "entity_type", "entity_id", "measure_id", "value", "unit", "source")


def _months(org: Org, end: dt.date) -> list[dt.date]:
    """First days of the months that are complete by `end`."""
    months, month = [], dt.date(org.start.year, org.start.month, 1)
    while add_months(month, 1) <= end:
        months.append(month)
        month = add_months(month, 1)
    return months


def _quarters(org: Org, end: dt.date) -> list[dt.date]:
    """First days of the (fiscal = calendar) quarters that are complete by `end`."""
    quarters, quarter = [], quarter_start(org.start)
    while add_months(quarter, 3) <= end:
        quarters.append(quarter)
        quarter = add_months(quarter, 3)
    return quarters


def quarter_label(day: dt.date) -> str:
    return f"{day.year}-Q{(day.month - 1) // 3 + 1}"


def _owned(org: Org, team: Team, at: int) -> list[Service]:
    return [s for s in org.services if s.team_at(at) is team]


def write_inputs(
    out: Path,
    org: Org,
    incident_hours: dict[tuple[str, str], float],
    seed: int,
    until: dt.date | None = None,
) -> tuple[int, int]:
    """Write the CSV files for the periods complete by `until` (default: the org's end);
    returns (files, rows)."""
    rng = random.Random(f"{seed}:inputs:{org.name}")
    out.mkdir(parents=True, exist_ok=True)
    months, quarters = _months(org, until or org.end), _quarters(org, until or org.end)
    files: dict[str, list[tuple]] = {
        "slo_compliance.csv": [],
        "finance.csv": [],
        "product_analytics.csv": [],
        "people.csv": [],
    }
    # SLO compliance: services with an objective, per month; incidents eat into it.
    slo_services = [s for s in org.services if s.slo and s.lifecycle != "experimental"]
    for i, s in enumerate(slo_services):
        for j, month in enumerate(months):
            if (i, j) in {(1, 3), (4, len(months) - 1)}:
                continue  # a month the SRE export missed, and one not uploaded yet
            key = month.strftime("%Y-%m")
            hours = incident_hours.get((s.name, key), 0.0)
            value = 100 - min(hours * 0.35 * 100 / 730, 9.0) - rng.uniform(0, 0.06)
            files["slo_compliance.csv"].append(
                (
                    key,
                    "service",
                    s.name,
                    "slo_compliance",
                    f"{value:.3f}",
                    "percent",
                    "sre-slo-export",
                )
            )
    quarter_count = len(quarters)
    for qi, quarter in enumerate(quarters):
        label = quarter_label(quarter)
        mid = epoch(quarter) + 45 * 86400
        f = org.fraction(mid)
        enps_by_team: list[tuple[float, int]] = []
        for team in org.teams:
            owned = len(_owned(org, team, mid)) or 1
            q = team.quality(f)
            growth = 1 + 0.04 * qi
            finance = files["finance.csv"]
            finance.append(
                (
                    label,
                    "team",
                    team.id,
                    "infra_cost",
                    str(round(owned * 8_500 * growth * rng.uniform(0.9, 1.1) * (1.25 - 0.3 * q))),
                    "USD",
                    "cloud-billing",
                )
            )
            finance.append(
                (
                    label,
                    "team",
                    team.id,
                    "transactions",
                    str(round(owned * 1_150_000 * growth * rng.uniform(0.92, 1.08))),
                    "count",
                    "finance-warehouse",
                )
            )
            if not (team.id == REGRESSING_TEAM and qi == 2):
                finance.append(
                    (
                        label,
                        "team",
                        team.id,
                        "revenue_attributed",
                        str(round(owned * 410_000 * growth * rng.uniform(0.9, 1.1))),
                        "USD",
                        "finance-warehouse",
                    )
                )
            files["product_analytics.csv"].append(
                (
                    label,
                    "team",
                    team.id,
                    "feature_adoption",
                    f"{min(15 + 30 * q + rng.uniform(-2, 2), 95):.1f}",
                    "percent",
                    "product-analytics",
                )
            )
            people = files["people.csv"]
            if not (team.id == REGRESSING_TEAM and qi == quarter_count // 2):
                people.append(
                    (
                        label,
                        "team",
                        team.id,
                        "training_completion",
                        f"{min(68 + 28 * q + rng.uniform(-3, 3), 100):.1f}",
                        "percent",
                        "lms",
                    )
                )
            enps = round(-20 + 60 * q + rng.uniform(-4, 4))
            if team.id == IMPROVING_TEAM or team.id == REGRESSING_TEAM or qi != quarter_count - 1:
                people.append(
                    (label, "team", team.id, "enps", str(enps), "score", "culture-survey")
                )
            enps_by_team.append((enps, len(team.devs)))
        weight = sum(n for _, n in enps_by_team)
        files["people.csv"].append(
            (
                label,
                "org",
                org.name,
                "enps",
                str(round(sum(e * n for e, n in enps_by_team) / weight)),
                "score",
                "culture-survey",
            )
        )
        files["people.csv"].append(
            (
                label,
                "org",
                org.name,
                "internal_mobility",
                f"{rng.uniform(8, 18):.1f}",
                "percent",
                "hris",
            )
        )
    rows = 0
    for name, records in files.items():
        with (out / name).open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(COLUMNS)
            writer.writerows(records)
        rows += len(records)
    return len(files), rows
