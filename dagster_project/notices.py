"""Change notices: after each run, one notice per owner team of what changed since the
evaluation day before (new failures, recoveries, level changes) and what needs it soon
(exemptions expiring within 14 days, initiatives at risk with its late entities), written as
Markdown and JSON to `<published>/notices/` with an index, and optionally POSTed to a chat
webhook (docs/operations.md, "Change notices").

Everything is read from the published copy: the changes are the dbt view
reporting.check_changes, the initiatives reporting.initiative_status and
initiative_late_entities; levels use the same function as the maturity snapshots; the
exemptions are rules_sql/exemptions.yml. A team with nothing to report still gets a notice
saying "no changes", so a reader can tell a quiet night from a missing run.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from dagster_project.report.filenames import INDEX_FILE, file_stems
from dagster_project.rules.exemptions import exemptions_path, load_exemptions
from dagster_project.rules.maturity_level import levels_by_entity
from dagster_project.warehouse import connect, table_exists
from dagster_project.webhook import post_json

NOTICES_DIR = "notices"
EXPIRY_DAYS = 14
SCHEMA_VERSION = 1
ORG_TEAM = "org"  # the notice for what belongs to no team (org-wide rules)


@dataclass
class TeamNotice:
    team_id: str
    team_name: str
    as_of: dt.date | None
    previous_as_of: dt.date | None
    new_failures: list[dict[str, Any]] = field(default_factory=list)
    recoveries: list[dict[str, Any]] = field(default_factory=list)
    level_changes: list[dict[str, Any]] = field(default_factory=list)
    expiring_exemptions: list[dict[str, Any]] = field(default_factory=list)
    initiatives_at_risk: list[dict[str, Any]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.new_failures or self.recoveries or self.level_changes)

    @property
    def has_news(self) -> bool:
        return self.changed or bool(self.expiring_exemptions or self.initiatives_at_risk)

    def document(self) -> dict[str, Any]:
        return {"schema_version": SCHEMA_VERSION, "changed": self.changed, **asdict(self)}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _has(con: duckdb.DuckDBPyConnection, relation: str) -> bool:
    schema, name = relation.split(".")
    if table_exists(con, schema, name):
        return True
    found = con.execute(
        "select count(*) from duckdb_views() where schema_name = ? and view_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


class _Router:
    """Which team's notice an entity's news goes to: a team's own; a service's owning team
    (the team on the latest day where the view says so, else the catalog's); else the org's."""

    def __init__(self, notices: dict[str, TeamNotice], service_teams: dict[str, str]):
        self.notices = notices
        self.service_teams = service_teams

    def __call__(self, entity_type: str, entity_id: str, team_id: str | None = None) -> TeamNotice:
        if entity_type == "team":
            team_id = entity_id
        elif entity_type == "service" and team_id is None:
            team_id = self.service_teams.get(entity_id)
        return self.notices[team_id if team_id in self.notices else ORG_TEAM]

    def entity_type(self, entity_id: str) -> str:
        if entity_id in self.service_teams:
            return "service"
        return "team" if entity_id in self.notices and entity_id != ORG_TEAM else "org"


def build_notices(
    database: Path, rules_dir: Path, *, warn_blocks: bool = False, top_level: int = 5
) -> list[TeamNotice]:
    """A notice for every team of the catalog (and one for the org), from the published copy."""
    with connect(database, read_only=True) as con:
        teams = {
            r["team_id"]: r["name"] or r["team_id"]
            for r in _rows(con, "select team_id, name from marts.dim_teams order by team_id")
        }
        latest = previous = None
        if _has(con, "scorecards.check_results"):
            latest = con.execute("select max(as_of) from scorecards.check_results").fetchone()[0]
            previous = con.execute(
                "select max(as_of) from scorecards.check_results where as_of < ?", [latest]
            ).fetchone()[0]
        notices = {t: TeamNotice(t, name, latest, previous) for t, name in teams.items()}
        notices[ORG_TEAM] = TeamNotice(ORG_TEAM, "the org", latest, previous)
        route = _Router(
            notices,
            dict(con.execute("select service_id, team_id from marts.dim_services").fetchall()),
        )
        if previous is not None and _has(con, "reporting.check_changes"):
            _changes(con, route)
            _levels(con, latest, previous, route, warn_blocks, top_level)
        if _has(con, "reporting.initiative_status"):
            _initiatives(con, route)
    if latest is not None:
        _exemptions(rules_dir, latest, route)
    return [notices[k] for k in sorted(notices, key=lambda t: (t == ORG_TEAM, t))]


def _changes(con: duckdb.DuckDBPyConnection, route: _Router) -> None:
    for r in _rows(
        con,
        "select change, rule_id, rule_title, scorecard, level, rollout, entity_type, entity_id, "
        "team_id, previous_status, status, value, threshold, note, remediation "
        "from reporting.check_changes order by rule_id, entity_type, entity_id",
    ):
        item = {k: v for k, v in r.items() if k not in ("change", "team_id")}
        notice = route(r["entity_type"], r["entity_id"], r["team_id"])
        (notice.new_failures if r["change"] == "new_failure" else notice.recoveries).append(item)


def _levels(
    con: duckdb.DuckDBPyConnection,
    latest: dt.date,
    previous: dt.date,
    route: _Router,
    warn_blocks: bool,
    top_level: int,
) -> None:
    """Entities whose maturity level moved between the two days (None: unrated), by the
    function the maturity snapshots use."""
    levels = []
    for day in (previous, latest):
        rows = _rows(
            con,
            "select rule_id, level, rollout, status, entity_type, entity_id "
            "from scorecards.check_results where as_of = ? and entity_type <> 'org'",
            [day],
        )
        levels.append(levels_by_entity(rows, warn_blocks, top_level=top_level))
    before, now = levels
    for key in sorted(set(before) & set(now)):
        if before[key] != now[key]:
            entity_type, entity_id = key
            route(entity_type, entity_id).level_changes.append(
                {"entity_type": entity_type, "entity_id": entity_id,
                 "previous_level": before[key], "level": now[key]}
            )  # fmt: skip


def _initiatives(con: duckdb.DuckDBPyConnection, route: _Router) -> None:
    """Each at-risk (or missed) initiative goes to the teams with late entities in it."""
    late: dict[str, dict[str, list[dict]]] = defaultdict(lambda: defaultdict(list))
    if _has(con, "reporting.initiative_late_entities"):
        for r in _rows(
            con,
            "select initiative_id, entity_type, entity_id, team_id, failing_rules "
            "from reporting.initiative_late_entities order by entity_id",
        ):
            team = route(r["entity_type"], r["entity_id"], r["team_id"]).team_id
            late[r["initiative_id"]][team].append(
                {"entity_id": r["entity_id"], "failing_rules": r["failing_rules"]}
            )
    for i in _rows(
        con,
        "select initiative_id, title, owner, deadline, target, pass_share, projected_share, "
        "status from reporting.initiative_status where is_at_risk order by initiative_id",
    ):
        for team, entities in late[i["initiative_id"]].items():
            route.notices[team].initiatives_at_risk.append({**i, "late": entities})


def _exemptions(rules_dir: Path, as_of: dt.date, route: _Router) -> None:
    entries, _ = load_exemptions(exemptions_path(rules_dir))
    for e in sorted(entries, key=lambda e: (e.expires, e.rule, e.entity)):
        if e.live_on(as_of) and (e.expires - as_of).days <= EXPIRY_DAYS:
            route(route.entity_type(e.entity), e.entity).expiring_exemptions.append(
                {"rule_id": e.rule, "entity_id": e.entity, "expires": e.expires,
                 "days_left": (e.expires - as_of).days, "approver": e.approver,
                 "reason": e.reason}
            )  # fmt: skip


# --- writing --------------------------------------------------------------------------------


def _level(value: int | None) -> str:
    return "unrated" if value is None else f"level {value}"


def markdown(notice: TeamNotice) -> str:
    """The notice as Markdown (and, less the headings' markup, the webhook's text)."""
    since = f" since {notice.previous_as_of}" if notice.previous_as_of else ""
    lines = [f"# Stature notice for {notice.team_name}", "", f"As of {notice.as_of}{since}.", ""]
    if not notice.changed:
        lines += ["No changes" + since + ".", ""]
    sections = (
        ("New failures", notice.new_failures,
         lambda r: f"`{r['rule_id']}` on {r['entity_id']}: {r['previous_status']} -> "
                   f"**{r['status']}**" + (f" ({r['note']})" if r.get("note") else "")),
        ("Recoveries", notice.recoveries,
         lambda r: f"`{r['rule_id']}` on {r['entity_id']}: {r['previous_status']} -> {r['status']}"),
        ("Level changes", notice.level_changes,
         lambda r: f"{r['entity_id']}: {_level(r['previous_level'])} -> {_level(r['level'])}"),
        (f"Exemptions expiring within {EXPIRY_DAYS} days", notice.expiring_exemptions,
         lambda r: f"`{r['rule_id']}` for {r['entity_id']} expires {r['expires']} "
                   f"({r['days_left']} days; approved by {r['approver']})"),
        ("Initiatives at risk", notice.initiatives_at_risk,
         lambda r: f"{r['title']} (deadline {r['deadline']}, {r['status'].replace('_', ' ')}): "
                   "late: " + ", ".join(x["entity_id"] for x in r["late"])),
    )  # fmt: skip
    for title, items, line in sections:
        if items:
            lines += [f"## {title}", "", *(f"- {line(r)}" for r in items), ""]
    return "\n".join(lines)


def write_notices(notices: list[TeamNotice], published_dir: Path) -> list[Path]:
    """notices/<team>.md and .json for every notice, and index.json; stale files removed."""
    folder = Path(published_dir) / NOTICES_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stems = file_stems(n.team_id for n in notices)
    written = []
    for n in notices:
        for suffix, text in (
            (".md", markdown(n)),
            (".json", json.dumps(n.document(), indent=2, default=str) + "\n"),
        ):
            written.append(_write(folder / f"{stems[n.team_id]}{suffix}", text))
    index = {
        "schema_version": SCHEMA_VERSION,
        "as_of": str(notices[0].as_of) if notices else None,
        "teams": {
            n.team_id: {"file": stems[n.team_id], "changed": n.changed, "has_news": n.has_news}
            for n in notices
        },
    }
    written.append(_write(folder / INDEX_FILE, json.dumps(index, indent=2) + "\n"))
    keep = {p.name for p in written}
    for stale in folder.iterdir():
        if stale.is_file() and stale.name not in keep:
            stale.unlink(missing_ok=True)
    return written


def _write(path: Path, text: str) -> Path:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def post_notices(notices: list[TeamNotice], url: str) -> list[str]:
    """POST each notice with news to the webhook as Slack-compatible JSON; the problems."""
    problems = []
    for n in notices:
        if not n.has_news:
            continue
        body = {"text": markdown(n), "team_id": n.team_id, "as_of": str(n.as_of),
                "changed": n.changed}  # fmt: skip
        problem = post_json(url, body, what="notices")
        if problem:
            problems.append(f"{n.team_id}: {problem}")
    return problems
