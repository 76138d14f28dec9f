"""One page per team, per service and per standard. Each function returns its template's
context; tables are data for site.js (report/tables.py), charts geometry (report/charts.py).
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from dagster_project.report import format as fmt
from dagster_project.report import trends
from dagster_project.report.data import Row
from dagster_project.report.org_pages import SERVICE_FILTERS
from dagster_project.report.site import Site
from dagster_project.report.tables import Column, Filter, Table, link, num

ROOT = "../"  # entity pages sit one folder below the site's root


def _scorecard_filter(scorecards: set[str], kind: str = "value", column: str = "scorecard"):
    return Filter(
        "scorecard",
        "Scorecard",
        "" if kind == "group" else column,
        kind,
        tuple((s, fmt.humanize(s)) for s in sorted(scorecards)),
    )


def _rule_order(site: Site, rule_id: str) -> tuple:
    rule = site.rules.get(rule_id) or {}
    return (rule.get("scorecard") or "", rule.get("level") or 99, rule_id)


def check_detail(site: Site, row: Row) -> str:
    """What hovering a grid cell adds to its column's title: where the service stands."""
    rule = site.rules.get(row["rule_id"]) or {}
    lines = [site.service_name(row["service_id"])]
    if row.get("value") is not None:
        lines.append(f"value: {fmt.fmt_value(row['value'], rule.get('unit'))}")
    if row.get("note"):
        lines.append(f"note: {row['note']}")
    return "\n".join(lines)


def _check_cell(site: Site, row: Row) -> list:
    shown = fmt.STATUS_GLYPH.get(row["status"], "?")
    if row.get("value") is not None:
        shown += f" {fmt.fmt_number(row['value'])}"
    return [row["status"], shown, check_detail(site, row)]


def _rule_heading(site: Site, rule_id: str) -> str:
    """A grid column's hover text: the rule, its level, its threshold, and whether it
    blocks a level at all."""
    rule = site.rules.get(rule_id) or {}
    text = f"{site.rule_title(rule_id)} ({rule_id}), level {fmt.fmt_number(rule.get('level'))}"
    if rule.get("thresholds"):
        text += f", threshold {rule['thresholds']}"
    if (rule.get("rollout") or "enforced") != "enforced":
        text += " (shadow: never blocks a level)"
    return text


def blockers_of(site: Site, service_id: str) -> list[dict[str, Any]]:
    """The rules between a service and its next level, with where it stands on each."""
    by_rule = {r["rule_id"]: r for r in site.checks_by_service.get(service_id, [])}
    out = []
    for rule_id in (site.maturity.get(service_id) or {}).get("blockers") or []:
        rule = site.rules.get(rule_id) or {}
        check = by_rule.get(rule_id) or {}
        out.append(
            {
                "rule_id": rule_id,
                "title": site.rule_title(rule_id),
                "href": site.href("standards", rule_id, ROOT),
                "status": check.get("status"),
                "value": fmt.fmt_value(check.get("value"), rule.get("unit"))
                if check.get("value") is not None
                else "",
                "threshold": check.get("threshold") or "",
                "note": check.get("note") or "",
                "remediation": fmt.safe_href(rule.get("remediation")),
            }
        )
    return out


def next_level_text(level: int | None, next_level: int | None, blockers: list) -> str:
    """What stands between an entity and its next level, in words that cannot contradict
    its level (an unrated entity has no next level; the top has none either)."""
    if level is None:
        return "Not rated: no enforced, levelled standard applies to it."
    if next_level is None:
        return "At the top of the ladder."
    if blockers:
        return ""
    return "The snapshot names no standard holding it below the next level."


# --- team --------------------------------------------------------------------------------


def _team_blockers(site: Site, current: Row | None, services: list[str]) -> list[dict[str, Any]]:
    """The rules the team's snapshot says block its next level, each with the team's
    services it holds back (none: a rule of the team's own)."""
    out = []
    for rule_id in (current or {}).get("blockers") or []:
        held = [
            {"name": site.service_name(sid), "href": site.href("services", sid, ROOT), "id": sid}
            for sid in services
            if rule_id in ((site.maturity.get(sid) or {}).get("blockers") or [])
        ]
        out.append(
            {
                "id": rule_id,
                "title": site.rule_title(rule_id),
                "href": site.href("standards", rule_id, ROOT),
                "services": held,
            }
        )
    return sorted(out, key=lambda b: (-len(b["services"]), b["title"]))


def team_page(site: Site, team_id: str) -> dict[str, Any]:
    services = sorted(
        (sid for sid, s in site.services.items() if s.get("team_id") == team_id),
        key=site.service_name,
    )
    path = site.path.get(("team", team_id), [])
    current = path[-1] if path else None
    labels, open_last = trends.quarter_labels(site)
    rates = [
        r
        for r in site.data.view("scorecard_pass_rates") or []
        if r["scope"] == "team" and r["team_id"] == team_id and r["is_quarter_close"]
    ]
    return site.common(
        ROOT,
        f"{site.team_name(team_id)}: standards, maturity and DORA",
        page="team",
        team={"id": team_id, "name": site.team_name(team_id), "services": len(services)},
        current=current,
        blocking=_team_blockers(site, current, services),
        next_text=next_level_text(
            current["level"], current["next_level"], current.get("blockers") or []
        )
        if current
        else "",
        cards=trends.dora_cards(site, ("team", team_id)),
        grid=_grid(site, services).spec(),
        checks=_checks(site, services).spec(),
        dora=trends.dora_groups(site, ("team", team_id)),
        level_chart=trends.level_path_chart(site, ("team", team_id), title="The team's level"),
        pass_rates=trends.pass_rate_chart(
            rates, labels, open_last, title="Pass rate by scorecard", group_by="scorecard"
        )
        if rates
        else None,
    )


def _grid(site: Site, services: list[str]) -> Table:
    """Services x standards: a status cell per check, grouped by scorecard."""
    rules = sorted(
        {r["rule_id"] for sid in services for r in site.checks_by_service.get(sid, [])},
        key=lambda rid: _rule_order(site, rid),
    )
    columns = [
        Column("service", "Service", "link", search=True),
        Column("tier", "Tier", shared=True),
        Column("lifecycle", "Lifecycle", shared=True),
        Column("level", "Level", "level", shared=True),
    ]
    scorecards = set()
    for rid in rules:
        rule = site.rules.get(rid) or {}
        scorecards.add(rule.get("scorecard") or "")
        columns.append(
            Column(
                f"r:{rid}",
                site.rule_title(rid),
                "check",
                title=_rule_heading(site, rid),
                group=rule.get("scorecard") or "",
                href=site.href("standards", rid, ROOT) or "",
            )
        )
    table = Table(
        "grid",
        columns,
        filters=[
            _scorecard_filter(scorecards, "group"),
            Filter("status", "Status", "", "status"),
            *(f for f in SERVICE_FILTERS if f.key in ("tier", "lifecycle", "level")),
        ],
        sort=("service", "asc"),
        empty="No service matches.",
        caption="Hover a cell for the value, threshold and note; click it for the standard.",
    )
    for sid in services:
        service = site.services[sid]
        level, level_text = site.level_of(sid)
        cells: dict[str, Any] = {
            "service": link(site.service_name(sid), site.href("services", sid, ROOT), sid),
            "tier": service.get("tier") or fmt.DASH,
            "lifecycle": service.get("lifecycle") or fmt.DASH,
            "level": num(level_text, level),
        }
        for r in site.checks_by_service.get(sid, []):
            cells[f"r:{r['rule_id']}"] = _check_cell(site, r)
        table.add(**cells)
    return table


def _checks(site: Site, services: list[str]) -> Table:
    """Every check of the team's services, worst first: the why behind a red cell."""
    table = Table(
        "checks",
        [
            Column("service", "Service", "link", search=True, shared=True),
            Column("standard", "Standard", "link", search=True, shared=True),
            Column("scorecard_name", "Scorecard", shared=True),
            Column("status", "Status", "status"),
            Column("value", "Value", "num"),
            Column("threshold", "Threshold", shared=True),
            Column("note", "Note"),
            Column("fix", "How to fix", "link", shared=True),
            Column("scorecard", "", hidden=True, shared=True),
            Column("rule", "", hidden=True, shared=True),
            Column("tier", "", hidden=True, shared=True),
            Column("lifecycle", "", hidden=True, shared=True),
            Column("level", "", hidden=True, shared=True),
        ],
        filters=[
            Filter("status", "Status", "status", "status"),
            _scorecard_filter(
                {r["scorecard"] for sid in services for r in site.checks_by_service.get(sid, [])}
            ),
            Filter("standard", "Standard", "rule",
                   labels=tuple((rid, site.rule_title(rid)) for rid in site.rules)),
            Filter("tier", "Tier", "tier"),
            Filter("lifecycle", "Lifecycle", "lifecycle"),
            Filter("level", "Level", "level"),
        ],
        sort=("status", "asc"),
        empty="No check matches.",
    )  # fmt: skip
    for sid in services:
        service = site.services[sid]
        for r in site.checks_by_service.get(sid, []):
            rule = site.rules.get(r["rule_id"]) or {}
            table.add(
                service=link(site.service_name(sid), site.href("services", sid, ROOT), sid),
                standard=link(
                    site.rule_title(r["rule_id"]),
                    site.href("standards", r["rule_id"], ROOT),
                    r["rule_id"],
                ),
                scorecard_name=fmt.humanize(r["scorecard"]),
                status=r["status"],
                value=num(fmt.fmt_value(r.get("value"), rule.get("unit")), r.get("value")),
                threshold=r.get("threshold") or fmt.DASH,
                note=r.get("note") or fmt.DASH,
                fix=link("how to fix", rule.get("remediation"))
                if rule.get("remediation")
                else None,
                scorecard=r["scorecard"],
                rule=r["rule_id"],
                tier=service.get("tier") or fmt.DASH,
                lifecycle=service.get("lifecycle") or fmt.DASH,
                level=site.level_of(sid)[1],
            )
    return table


# --- service -----------------------------------------------------------------------------


def service_page(site: Site, service_id: str) -> dict[str, Any]:
    service = site.services[service_id]
    team = service.get("team_id")
    maturity = site.maturity.get(service_id)
    blockers = blockers_of(site, service_id)
    return site.common(
        ROOT,
        f"{site.service_name(service_id)}: standards, maturity and DORA",
        page="service",
        service={
            "id": service_id,
            "name": site.service_name(service_id),
            "team": site.team_name(team),
            "team_id": team,
            "team_href": site.href("teams", team, ROOT),
            "tier": service.get("tier"),
            "lifecycle": service.get("lifecycle"),
            "repo": service.get("repo"),
        },
        maturity=maturity,
        blockers=blockers,
        next_text=next_level_text(maturity["level"], maturity["next_level"], blockers)
        if maturity
        else "",
        standards=_service_standards(site, service_id).spec(),
        cards=trends.dora_cards(site, ("service", service_id)),
        dora=trends.dora_groups(site, ("service", service_id)),
        level_chart=trends.level_path_chart(
            site, ("service", service_id), title="Level by quarter"
        ),
    )


def _service_standards(site: Site, service_id: str) -> Table:
    rows = sorted(
        site.checks_by_service.get(service_id, []), key=lambda r: _rule_order(site, r["rule_id"])
    )
    history = site.history.get(("service", service_id), {})
    table = Table(
        "standards",
        [
            Column("standard", "Standard", "link", search=True),
            Column("scorecard_name", "Scorecard"),
            Column("level", "Level", "num"),
            Column("status", "Status", "status"),
            Column("value", "Value", "num"),
            Column("threshold", "Threshold"),
            Column("note", "Note"),
            Column(
                "history", "By quarter", "history", title="status at each quarter's last evaluation"
            ),
            Column("evidence", "Evidence", "link"),
            Column("fix", "How to fix", "link"),
            Column("scorecard", "", hidden=True),
        ],
        filters=[
            Filter("status", "Status", "status", "status"),
            _scorecard_filter({r["scorecard"] for r in rows}),
            Filter("level", "Level", "level"),
        ],
        sort=("status", "asc"),
        page_size=100,
        empty="No standard matches.",
    )
    for r in rows:
        rule = site.rules.get(r["rule_id"]) or {}
        shadow = (r.get("rollout") or "enforced") != "enforced"
        table.add(
            standard=link(
                site.rule_title(r["rule_id"]) + (" (shadow)" if shadow else ""),
                site.href("standards", r["rule_id"], ROOT),
                r["rule_id"],
            ),
            scorecard_name=fmt.humanize(r["scorecard"]),
            level=num(fmt.fmt_number(r.get("level")), r.get("level")),
            status=r["status"],
            value=num(fmt.fmt_value(r.get("value"), rule.get("unit")), r.get("value")),
            threshold=r.get("threshold") or fmt.DASH,
            note=r.get("note") or fmt.DASH,
            history=[
                [q, status, f"{q}: {fmt.status_label(status)}"
                 + (f" ({fmt.fmt_value(value, rule.get('unit'))})" if value is not None else "")]
                for _, q, status, value in history.get(r["rule_id"], [])[-8:]
            ],
            evidence=link("evidence", r["evidence_url"]) if r.get("evidence_url") else None,
            fix=link("how to fix", rule.get("remediation")) if rule.get("remediation") else None,
            scorecard=r["scorecard"],
        )  # fmt: skip
    return table


# --- standard ----------------------------------------------------------------------------


def standard_page(site: Site, rule_id: str) -> dict[str, Any]:
    rule = dict(site.rules.get(rule_id) or {"rule_id": rule_id})
    rule["remediation"] = fmt.safe_href(rule.get("remediation"))
    rates = [r for r in site.data.view("rule_pass_rates") or [] if r["rule_id"] == rule_id]
    org = sorted((r for r in rates if r["scope"] == "org"), key=lambda r: r["quarter_start"])
    labels, open_last = trends.quarter_labels(site)
    latest = org[-1] if org else None
    teams = Table(
        "teams",
        [
            Column("team", "Team", "link", search=True),
            Column("rate", "Passing", "heat"),
            Column("passed", "Pass", "num"),
            Column("red", "Red", "num", title="failing, not reported or errored"),
            Column("entities", "Results", "num"),
        ],
        sort=("rate", "asc"),
        empty="No team results.",
    )
    for r in rates:
        if latest and r["scope"] == "team" and r["quarter_start"] == latest["quarter_start"]:
            red = r["failed"] + r["not_reported"] + r["errored"]
            href = site.href("teams", r["team_id"], ROOT)
            teams.add(
                team=link(r["team_name"], href, r["team_id"]),
                rate=[fmt.fmt_rate(r["pass_rate"]), r["pass_rate"],
                      f"{href}#standard={rule_id}&status=red" if href else None,
                      f"{r['passed']} of {r['graded']} graded pass"],
                passed=num(str(r["passed"]), r["passed"]),
                red=num(str(red), red),
                entities=num(str(r["entities"]), r["entities"]),
            )  # fmt: skip
    results, moves = _results(site, rule_id, rule)
    return site.common(
        ROOT,
        f"{site.rule_title(rule_id)}: who passes and who fails",
        page="standard",
        rule=rule,
        rule_id=rule_id,
        scorecard=fmt.humanize(rule.get("scorecard")),
        latest=latest,
        counts=Counter(r["status"] for r in site.checks_by_rule.get(rule_id, [])),
        moves=moves,
        chart=trends.pass_rate_chart(
            org, labels, open_last, title="Share passing, by quarter", group_by="team_name"
        )
        if org
        else None,
        teams=teams.spec(),
        results=results.spec(),
    )


def _results(site: Site, rule_id: str, rule: Row) -> tuple[Table, dict[str, int]]:
    """Every entity's latest result of the rule, and its status at the last closed quarter
    before: who moved."""
    entity = rule.get("entity") or "service"
    closed = [q for q in site.quarters if q[2]]
    before = closed[-1][1] if closed else None
    table = Table(
        "results",
        [
            Column("entity", entity.capitalize(), "link", search=True),
            Column("team", "Team", "link", search=True, shared=True),
            Column("tier", "Tier", shared=True),
            Column("lifecycle", "Lifecycle", shared=True),
            Column("level", "Level", "level", shared=True),
            Column("status", "Status", "status"),
            Column("value", "Value", "num"),
            Column("note", "Note"),
            Column("was", f"In {before}" if before else "Before", "status",
                   title="its status at the last evaluation of the last closed quarter"),
            Column("evidence", "Evidence", "link"),
        ],
        filters=[f for f in SERVICE_FILTERS if f.key != "status"]
        + [Filter("status", "Status", "status", "status")],
        sort=("status", "asc"),
        empty="No result matches.",
    )  # fmt: skip
    moves: Counter = Counter()
    unit = rule.get("unit")
    if entity == "service":
        rows = [
            (r["service_id"], r["status"], r.get("value"), r.get("note"), r.get("evidence_url"))
            for r in site.checks_by_rule.get(rule_id, [])
        ]
    else:
        rows = [
            (eid, hist[-1][2], hist[-1][3], None, None)
            for (etype, eid), by_rule in site.history.items()
            if etype == entity and (hist := by_rule.get(rule_id))
        ]
    for eid, status, value, note, evidence in rows:
        previous = next(
            (h[2] for h in site.history.get((entity, eid), {}).get(rule_id, []) if h[1] == before),
            None,
        )
        if previous and previous != status:
            moves[_move(previous, status)] += 1
        if entity == "service":
            service = site.services.get(eid, {})
            team = service.get("team_id")
            level, level_text = site.level_of(eid)
            who = link(site.service_name(eid), site.href("services", eid, ROOT), eid)
        else:
            service, team, level, level_text = {}, eid if entity == "team" else None, None, fmt.DASH
            who = link(site.team_name(eid) if entity == "team" else site.data.org_name,
                       site.href("teams", eid, ROOT) if entity == "team" else f"{ROOT}index.html", eid)  # fmt: skip
        table.add(
            entity=who,
            team=link(site.team_name(team), site.href("teams", team, ROOT), team),
            tier=service.get("tier") or fmt.DASH,
            lifecycle=service.get("lifecycle") or fmt.DASH,
            level=num(level_text, level),
            status=status,
            value=num(fmt.fmt_value(value, unit), value),
            note=note or fmt.DASH,
            was=previous,
            evidence=link("evidence", evidence) if evidence else None,
        )
    return table, dict(moves)


def _move(before: str, now: str) -> str:
    red_before, red_now = before in fmt.RED, now in fmt.RED
    if red_now and not red_before:
        return "turned red"
    if red_before and not red_now:
        return "recovered"
    return "changed otherwise"
