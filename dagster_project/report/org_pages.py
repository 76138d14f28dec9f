"""The org-wide pages: the overview (index.html), every service, every standard, and the
balanced scorecard with its strategy map. Each function returns its template's context."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from dagster_project.maturity.strategy_map import MeasureRef, plan, render_svg
from dagster_project.report import charts, trends
from dagster_project.report import format as fmt
from dagster_project.report.data import Row
from dagster_project.report.initiative_pages import initiative_list
from dagster_project.report.site import Site
from dagster_project.report.tables import Column, Filter, Table, link, num

SERVICE_FILTERS = [
    Filter("status", "Status", "statuses", "status"),
    Filter("team", "Team", "team"),
    Filter("tier", "Tier", "tier"),
    Filter("lifecycle", "Lifecycle", "lifecycle"),
    Filter("level", "Level", "level"),
]


def red_counts(site: Site) -> Counter:
    """service -> its enforced checks that are red now."""
    return Counter(
        sid
        for sid, rows in site.checks_by_service.items()
        for r in rows
        if r["status"] in fmt.RED and (r.get("rollout") or "enforced") == "enforced"
    )


def latest_team_rates(site: Site) -> tuple[list[str], dict[str, dict[str, Row]], Any]:
    """(scorecards, team -> scorecard -> its pass-rate row at the latest evaluation, that
    date)."""
    rows = site.data.view("scorecard_pass_rates") or []
    latest = max((r["as_of"] for r in rows), default=None)
    by_team: dict[str, dict[str, Row]] = defaultdict(dict)
    for r in rows:
        if r["as_of"] == latest and r["scope"] == "team":
            by_team[r["team_id"]][r["scorecard"]] = r
    scorecards = sorted({r["scorecard"] for r in rows if r["as_of"] == latest})
    return scorecards, by_team, latest


def _heat_cell(site: Site, team_id: str, scorecard: str, row: Row | None, root: str) -> list:
    if row is None:
        return [fmt.DASH, None, None, f"{fmt.humanize(scorecard)}: no results"]
    red = row["failed"] + row["not_reported"] + row["errored"]
    href = site.href("teams", team_id, root)
    return [
        fmt.fmt_rate(row["pass_rate"]),
        row["pass_rate"],
        f"{href}#scorecard={scorecard}&status=red" if href else None,
        f"{fmt.humanize(scorecard)} ({scorecard}): {row['passed']} of {row['graded']} graded "
        f"checks pass, {red} red",
    ]


def teams_table(site: Site, root: str) -> tuple[Table, str]:
    """Teams x scorecards: each cell the share of the team's graded checks that pass,
    linking to the team's red checks of that scorecard."""
    scorecards, by_team, latest = latest_team_rates(site)
    red = red_counts(site)
    services_of = Counter(s.get("team_id") for s in site.services.values())
    columns = [
        Column("team", "Team", "link", search=True),
        Column("services", "Services", "num"),
        Column("level", "Level", "level", title="the team's maturity level, latest quarter"),
        Column(
            "red", "Red checks", "num", title="enforced checks failing, not reported or errored"
        ),
        *(
            Column(f"sc:{sc}", fmt.humanize(sc), "heat", title=f"{sc}: % of graded checks passing")
            for sc in scorecards
        ),
        Column("deploys", "Deploys/wk", "num", title="last closed quarter"),
    ]
    table = Table(
        "teams",
        columns,
        filters=[Filter("level", "Level", "level")],
        sort=("team", "asc"),
        empty="No teams yet.",
    )
    for team_id in sorted(site.teams, key=site.team_name):
        path = site.path.get(("team", team_id), [])
        level = path[-1] if path else None
        closed = [r for r in site.dora.get(("team", team_id), []) if r["is_closed"]]
        deploys = closed[-1]["deployment_frequency"] if closed else None
        cells: dict[str, Any] = {
            "team": link(site.team_name(team_id), site.href("teams", team_id, root), team_id),
            "services": num(str(services_of.get(team_id, 0)), services_of.get(team_id, 0)),
            "level": num(fmt.level_label(level["level"], level["level_name"]), level["level"])
            if level
            else num(fmt.DASH, None),
            "red": num(
                str(sum(red[s] for s, v in site.services.items() if v.get("team_id") == team_id)),
                sum(red[s] for s, v in site.services.items() if v.get("team_id") == team_id),
            ),
            "deploys": num(fmt.fmt_frequency(deploys), deploys),
        }
        for sc in scorecards:
            cells[f"sc:{sc}"] = _heat_cell(
                site, team_id, sc, by_team.get(team_id, {}).get(sc), root
            )
        table.add(**cells)
    return table, str(latest or "")


def services_table(site: Site, root: str, service_ids: list[str] | None = None) -> Table:
    """Every service (or the given ones): team, tier, lifecycle, level, red checks."""
    red = red_counts(site)
    table = Table(
        "services",
        [
            Column("service", "Service", "link", search=True),
            Column("team", "Team", "link", search=True, shared=True),
            Column("tier", "Tier", shared=True),
            Column("lifecycle", "Lifecycle", shared=True),
            Column("level", "Level", "level", shared=True),
            Column(
                "red", "Red checks", "num", title="enforced checks failing, not reported or errored"
            ),
            Column("blockers", "What blocks the next level"),
            Column("statuses", "", "tags", hidden=True, shared=True),
        ],
        filters=SERVICE_FILTERS,
        sort=("service", "asc"),
        empty="No services match.",
    )
    ids = service_ids if service_ids is not None else sorted(site.services)
    for sid in ids:
        service = site.services[sid]
        level, level_text = site.level_of(sid)
        m = site.maturity.get(sid) or {}
        blockers = ", ".join(site.rule_title(b) for b in (m.get("blockers") or []))
        team = service.get("team_id")
        table.add(
            service=link(site.service_name(sid), site.href("services", sid, root), sid),
            team=link(site.team_name(team), site.href("teams", team, root), team),
            tier=service.get("tier") or fmt.DASH,
            lifecycle=service.get("lifecycle") or fmt.DASH,
            level=num(level_text, level),
            red=num(str(red[sid]), red[sid]),
            blockers=blockers or fmt.DASH,
            statuses=sorted({r["status"] for r in site.checks_by_service.get(sid, [])}),
        )
    return table


def standards_table(site: Site, root: str) -> Table:
    """Every standard: its scorecard, level, rollout and how many pass now."""
    rates = _org_rule_rates(site)
    table = Table(
        "standards",
        [
            Column("standard", "Standard", "link", search=True),
            Column("scorecard", "Scorecard"),
            Column("level", "Level", "num"),
            Column("entity", "For"),
            Column("rollout", "Rollout"),
            Column(
                "rate", "Passing", "heat", title="share of graded results that pass, latest quarter"
            ),
            Column("red", "Red", "num", title="failing, not reported or errored"),
            Column("change", "Since the quarter before"),
            Column("statuses", "", "tags", hidden=True),
        ],
        filters=[
            Filter("status", "Status", "statuses", "status"),
            Filter("scorecard", "Scorecard", "scorecard"),
            Filter("level", "Level", "level"),
            Filter("rollout", "Rollout", "rollout"),
        ],
        sort=("scorecard", "asc"),
        empty="No standards match.",
    )
    for rule_id, rule in sorted(site.rules.items()):
        if rule.get("perspective"):
            continue  # balanced-scorecard measures: the scorecard page
        history = rates.get(rule_id, [])
        last = history[-1] if history else None
        before = history[-2] if len(history) > 1 else None
        change = ""
        if last and before and last["pass_rate"] is not None and before["pass_rate"] is not None:
            change = (
                f"{fmt.change_text(last['pass_rate'], before['pass_rate'], 'ratio')} "
                f"({before['quarter']} {fmt.fmt_rate(before['pass_rate'])})"
            )
        href = site.href("standards", rule_id, root)
        table.add(
            standard=link(rule.get("title") or rule_id, href, rule_id),
            scorecard=fmt.humanize(rule.get("scorecard")),
            level=num(fmt.fmt_number(rule.get("level")), rule.get("level")),
            entity=rule.get("entity") or "service",
            rollout=rule.get("rollout") or "enforced",
            rate=[
                fmt.fmt_rate(last["pass_rate"]) if last else fmt.DASH,
                last["pass_rate"] if last else None,
                href,
                f"{last['passed']} of {last['graded']} graded pass in {last['quarter']}"
                if last
                else "no results",
            ],
            red=num(str(_red(last)) if last else fmt.DASH, _red(last) if last else None),
            change=change or fmt.DASH,
            statuses=sorted(
                {r["status"] for r in site.checks_by_rule.get(rule_id, [])}
                | {h[2] for rows in _team_history(site, rule_id) for h in rows[-1:]}
            ),
        )
    return table


def _red(row: Row) -> int:
    return row["failed"] + row["not_reported"] + row["errored"]


def _team_history(site: Site, rule_id: str) -> list[list[tuple]]:
    return [
        rules[rule_id]
        for (etype, _), rules in site.history.items()
        if etype != "service" and rule_id in rules
    ]


def _org_rule_rates(site: Site) -> dict[str, list[Row]]:
    rates: dict[str, list[Row]] = defaultdict(list)
    for r in site.data.view("rule_pass_rates") or []:
        if r["scope"] == "org":
            rates[r["rule_id"]].append(r)
    return {k: sorted(v, key=lambda r: r["quarter_start"]) for k, v in rates.items()}


def org_page(site: Site) -> dict[str, Any]:
    root = ""
    labels, open_last = trends.quarter_labels(site)
    teams, latest = teams_table(site, root)
    rates = site.data.view("scorecard_pass_rates") or []
    org_rates = [r for r in rates if r["scope"] == "org" and r["is_quarter_close"]]
    return site.common(
        root,
        f"{site.data.org_name}: engineering overview",
        page="org",
        cards=trends.dora_cards(site, ("org", "org")),
        scorecard_cards=_scorecard_cards(org_rates),
        level_card=_level_card(site),
        counts={
            "services": len(site.services),
            "teams": len(site.teams),
            "standards": len(site.rules),
        },
        teams=teams.spec(),
        team_links=[
            (site.team_name(t), site.href("teams", t, root), t)
            for t in sorted(site.teams, key=site.team_name)
        ],
        rates_as_of=latest,
        distribution=_distribution(site),
        movements=_movements(site),
        dora=trends.dora_groups(site, ("org", "org")),
        pass_rates=trends.pass_rate_chart(
            org_rates, labels, open_last, title="Pass rate by scorecard", group_by="scorecard"
        )
        if org_rates
        else None,
        initiatives=initiative_list(site, root),
        missing=sorted(site.data.missing.items()),
    )


def _scorecard_cards(org_rates: list[Row]) -> list[trends.Card]:
    """Per scorecard: the org's pass rate at the last closed quarter against the quarter
    before, and the running quarter's so far."""
    cards = []
    by_scorecard: dict[str, list[Row]] = defaultdict(list)
    for r in org_rates:
        by_scorecard[r["scorecard"]].append(r)
    for scorecard, rows in sorted(by_scorecard.items()):
        rows.sort(key=lambda r: r["quarter_start"])
        closed = [r for r in rows if r["is_closed"]]
        running = next((r for r in reversed(rows) if not r["is_closed"]), None)
        shown = closed[-1] if closed else running
        if shown is None:
            continue
        before = closed[-2] if len(closed) > 1 else None
        card = trends.Card(
            fmt.humanize(scorecard),
            fmt.fmt_rate(shown["pass_rate"]),
            shown["quarter"] + ("" if shown["is_closed"] else " to date"),
            title=f"{scorecard}: share of graded checks of enforced rules that pass",
        )
        if before and shown is not running:
            card.change = (
                f"{fmt.change_text(shown['pass_rate'], before['pass_rate'], 'ratio')} "
                f"vs {before['quarter']}"
            )
            card.direction = fmt.change_direction(
                shown["pass_rate"], before["pass_rate"], "higher", "ratio"
            )
        if running and shown is not running and running["pass_rate"] is not None:
            card.note = f"{running['quarter']} to date: {fmt.fmt_rate(running['pass_rate'])}"
        cards.append(card)
    return cards


def _level_card(site: Site) -> trends.Card | None:
    path = site.path.get(("org", "org"), [])
    closed = [r for r in path if r["is_closed"]]
    if not path:
        return None
    shown = closed[-1] if closed else path[-1]
    card = trends.Card(
        "Org maturity level",
        fmt.level_label(shown["level"], shown["level_name"]),
        shown["quarter"] + ("" if shown["is_closed"] else " to date"),
        title="the lower median of the services' levels, capped by the org's own rules",
    )
    if len(closed) > 1 and shown is closed[-1]:
        before = closed[-2]
        card.change = (
            f"was {fmt.level_label(before['level'], before['level_name'])} in {before['quarter']}"
        )
        card.direction = fmt.change_direction(shown["level"], before["level"], "higher")
    if path[-1] is not shown:
        card.note = f"{path[-1]['quarter']} to date: {fmt.level_label(path[-1]['level'], path[-1]['level_name'])}"
    return card


def _distribution(site: Site) -> charts.Bars | None:
    rows = [
        r for r in site.data.view("maturity_distribution") or [] if r["entity_type"] == "service"
    ]
    if not rows:
        return None
    quarters = sorted({(r["quarter_start"], r["quarter"], r["is_closed"]) for r in rows})
    levels = sorted(
        {(r["level"], r["level_name"]) for r in rows}, key=lambda lv: (lv[0] is None, lv[0] or 0)
    )
    stacks = [(fmt.level_label(lv, name), charts.level_color(lv)) for lv, name in levels]
    counts: dict[str, dict[str, int]] = defaultdict(dict)
    for r in rows:
        counts[r["quarter"]][fmt.level_label(r["level"], r["level_name"])] = r["entities"]
    return charts.stacked_bars(
        [q[1] for q in quarters[-8:]],
        stacks,
        counts,
        title="Services per maturity level, by quarter",
        unit="services",
        open_last=bool(quarters) and not quarters[-1][2],
    )


def _movements(site: Site) -> dict[str, Any] | None:
    rows = [r for r in site.data.view("maturity_movements") or [] if r["entity_type"] == "service"]
    if not rows:
        return None
    latest = max(r["quarter_start"] for r in rows)
    current = [r for r in rows if r["quarter_start"] == latest]
    counts = Counter(r["movement"] for r in current)
    return {"quarter": current[0]["quarter"], "counts": dict(sorted(counts.items()))}


def services_page(site: Site) -> dict[str, Any]:
    return site.common(
        "",
        f"{site.data.org_name}: every service",
        page="services",
        table=services_table(site, "").spec(),
    )


def standards_page(site: Site) -> dict[str, Any]:
    return site.common(
        "",
        f"{site.data.org_name}: every standard",
        page="standards",
        table=standards_table(site, "").spec(),
    )


def scorecard_page(site: Site) -> dict[str, Any]:
    """The balanced scorecard: each perspective's org measures, the teams' measures, and
    the strategy map coloured by the measures' latest status."""
    rows = site.data.view("balanced_scorecard")
    latest = [r for r in rows or [] if r["is_latest"]]
    perspectives = []
    for _order, name in sorted({(r["perspective_order"], r["perspective"]) for r in latest}):
        measures = sorted(
            (r for r in latest if r["perspective"] == name),
            key=lambda r: (r["entity_type"] != "org", r["entity_name"] or "", r["measure_id"]),
        )
        perspectives.append(
            {
                "name": name,
                "org": [r for r in measures if r["entity_type"] == "org"],
                "teams": [r for r in measures if r["entity_type"] != "org"],
            }
        )
    strategy_map = None
    if site.config.balanced_scorecard.strategy_map:
        # the measures' headers, as the rule catalog has them now, else as graded
        refs = {
            r["measure_id"]: MeasureRef(
                r["measure_id"], r["title"] or r["measure_id"], r["perspective"], r["objective"]
            )
            for r in rows or []
        } | {
            rid: MeasureRef(rid, r.get("title") or rid, r.get("perspective"), r.get("objective"))
            for rid, r in site.data.rule_catalog.items()
            if r.get("perspective")
        }
        status_of = {r["measure_id"]: r["status"] for r in latest if r["entity_type"] == "org"}
        strategy_map = render_svg(
            plan(site.config, refs.values()),
            title="Strategy map",
            status_of=status_of,
            standalone=False,
            id_prefix="site",
        )
    return site.common(
        "",
        f"{site.data.org_name}: balanced scorecard",
        page="scorecard",
        available=rows is not None,
        reason=site.data.reason("balanced_scorecard"),
        perspectives=perspectives,
        strategy_map=strategy_map,
    )
