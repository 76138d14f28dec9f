"""One page per initiative: where it stands, the burn-up (the share passing per evaluation
day against the target, and the projection to the deadline at the current pace), progress
per team and the late entities linked to their pages; and the org page's list of them.
The figures are the reporting views' (reporting.initiative_*), nothing is computed here.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from dagster_project.report import charts
from dagster_project.report import format as fmt
from dagster_project.report.data import Row
from dagster_project.report.site import Site
from dagster_project.report.tables import Column, Table, link, num

ROOT = "../"  # initiative pages sit one folder below the site's root
STATUS_TEXT = {
    "met": "target met",
    "on_track": "on track",
    "at_risk": "at risk",
    "missed": "deadline missed",
    "no_pace": "too early to project",
    "not_started": "not started",
}
STATUS_RAG = {"met": "green", "on_track": "green", "at_risk": "red", "missed": "red"}


def initiative_list(site: Site, root: str) -> list[dict[str, Any]]:
    """The org page's list: every initiative with its status, share and deadline."""
    out = []
    for initiative_id, r in sorted(site.initiatives.items(), key=lambda kv: kv[1]["deadline"]):
        out.append(
            {
                "title": r["title"],
                "href": site.href("initiatives", initiative_id, root),
                "status": STATUS_TEXT.get(r["status"], r["status"]),
                "rag": STATUS_RAG.get(r["status"], "grey"),
                "share": fmt.fmt_rate(r["pass_share"]),
                "target": fmt.fmt_rate(r["target"]),
                "deadline": fmt.fmt_date(r["deadline"]),
                "late": r["failing"],
            }
        )
    return out


def _progress(site: Site, initiative_id: str) -> tuple[list[Row], list[Row]]:
    """(the org's rows by day, the teams' rows of the latest day)."""
    org, teams_by_day = [], defaultdict(list)
    for r in site.data.view("initiative_progress") or []:
        if r["initiative_id"] != initiative_id:
            continue
        if r["grain"] == "org":
            org.append(r)
        elif r["grain"] == "team":
            teams_by_day[r["as_of"]].append(r)
    org.sort(key=lambda r: r["as_of"])
    latest = teams_by_day.get(org[-1]["as_of"], []) if org else []
    return org, latest


def burn_up(initiative: Row, org: list[Row]) -> charts.Chart:
    """The share passing per evaluation day, the target, and the straight line at the
    current pace from the latest day to the deadline."""
    labels = [fmt.fmt_date(r["as_of"]) for r in org]
    shares = [r["pass_share"] for r in org]
    projected = initiative.get("projected_share")
    show_projection = (
        bool(org) and projected is not None and org[-1]["as_of"] < initiative["deadline"]
    )
    series = [
        charts.Series("Passing", [*shares, None] if show_projection else shares, charts.color_of(0))
    ]
    if show_projection:
        labels.append(fmt.fmt_date(initiative["deadline"]))
        series.append(
            charts.Series(
                "At the current pace", [None] * (len(shares) - 1) + [shares[-1], projected],
                charts.color_of(1), dashed=True,
            )
        )  # fmt: skip
    series.append(
        charts.Series("Target", [initiative["target"]] * len(labels), charts.ORG_COLOR, dashed=True)
    )
    return charts.line_chart(
        labels, series, title="Share of covered entities passing", y_format=fmt.fmt_rate,
        y_top=1.0, legend=True, width=640, height=260,
    )  # fmt: skip


def _teams_table(site: Site, rows: list[Row]) -> Table:
    table = Table(
        "teams",
        [
            Column("team", "Team", "link", search=True),
            Column("share", "Passing", "heat", title="passing / (covered - exempt)"),
            Column("covered", "Covered", "num"),
            Column("passing", "Pass", "num"),
            Column("exempt", "Exempt", "num"),
            Column("failing", "Late", "num"),
        ],
        sort=("share", "asc"),
        empty="No team has a covered entity.",
    )
    for r in rows:
        href = site.href("teams", r["team_id"], ROOT)
        table.add(
            team=link(r["entity_name"], href, r["team_id"]),
            share=[fmt.fmt_rate(r["pass_share"]), r["pass_share"], None,
                   f"{r['passing']} of {r['covered'] - r['exempt']} pass"],
            covered=num(str(r["covered"]), r["covered"]),
            passing=num(str(r["passing"]), r["passing"]),
            exempt=num(str(r["exempt"]), r["exempt"]),
            failing=num(str(r["failing"]), r["failing"]),
        )  # fmt: skip
    return table


def _late_table(site: Site, initiative_id: str) -> Table:
    table = Table(
        "late",
        [
            Column("entity", "Late", "link", search=True),
            Column("team", "Owner team", "link", shared=True, search=True),
            Column("rules", "Does not pass", search=True),
        ],
        sort=("team", "asc"),
        empty="Nobody is late: every covered entity passes or is exempt.",
    )
    for r in site.data.view("initiative_late_entities") or []:
        if r["initiative_id"] != initiative_id:
            continue
        kind = "services" if r["entity_type"] == "service" else "teams"
        table.add(
            entity=link(r["entity_name"], site.href(kind, r["entity_id"], ROOT), r["entity_id"]),
            team=link(site.team_name(r["team_id"]), site.href("teams", r["team_id"], ROOT),
                      r["team_id"]),
            rules=", ".join(site.rule_title(x.strip()) for x in (r["failing_rules"] or "").split(",") if x.strip()),
        )  # fmt: skip
    return table


def initiative_page(site: Site, initiative_id: str) -> dict[str, Any]:
    initiative = dict(site.initiatives[initiative_id])
    org, teams = _progress(site, initiative_id)
    rules = [x.strip() for x in (initiative.get("rules") or "").split(",") if x.strip()]
    return site.common(
        ROOT,
        f"{initiative['title']}: who is late",
        page="initiative",
        initiative=initiative,
        initiative_id=initiative_id,
        status=STATUS_TEXT.get(initiative["status"], initiative["status"]),
        rag=STATUS_RAG.get(initiative["status"], "grey"),
        rules=[(site.rule_title(r), site.href("standards", r, ROOT), r) for r in rules],
        chart=burn_up(initiative, org) if org else None,
        teams=_teams_table(site, teams).spec(),
        late=_late_table(site, initiative_id).spec(),
    )
