"""The static site's shared ground: the published data indexed by team, service and
standard, each one's page address, and the Jinja2 environment the pages render with.

    report/index.html               the org overview
    report/services.html            every service (search, filters, pages of 50)
    report/standards.html           every standard
    report/scorecard.html           the balanced scorecard and the strategy map
    report/teams/<name>.html        one page per team
    report/services/<name>.html     one page per service
    report/standards/<name>.html    one page per standard (rule)
    report/initiatives/<name>.html  one page per initiative (burn-up, teams, late entities)
    report/assets/site.css, site.js shared by every page (local files: nothing is fetched
                                    from anywhere else)

`<name>` is the same collision-free, length-bounded name the portal files use
(report/filenames.py), so services/<name>.json and report/services/<name>.html pair up.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import jinja2
import markupsafe

from dagster_project.config import StatureConfig
from dagster_project.report import format as fmt
from dagster_project.report.charts import Band
from dagster_project.report.data import ReportData, Row
from dagster_project.report.filenames import file_stems

ASSETS = ("site.css", "site.js")
KINDS = ("teams", "services", "standards", "initiatives")


def environment() -> jinja2.Environment:
    """Templates under dagster_project/report/templates, HTML autoescaped."""
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dagster_project.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "svg"]),
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    # compact JSON for the tables a page embeds (`tojson` escapes <, >, & and ' for HTML)
    env.policies["json.dumps_kwargs"] = {"separators": (",", ":"), "ensure_ascii": False}
    env.filters.update(
        number=fmt.fmt_number,
        hours=fmt.fmt_hours,
        rate=fmt.fmt_rate,
        metric=fmt.fmt_metric,
        value=fmt.fmt_value,
        date=fmt.fmt_date,
        status=fmt.status_label,
        glyph=lambda s: fmt.STATUS_GLYPH.get(s or "", "?"),
        rag=lambda s: fmt.RAG_OF_STATUS.get(s or "", "grey"),
        rate_rag=fmt.rate_rag,
        human=fmt.humanize,
        level=fmt.level_label,
        md=fmt.md_name,
        md_cell=fmt.md_cell,
        # a number never needs escaping: Markup spares autoescape the work (charts print
        # thousands of coordinates a page)
        f1=lambda v: markupsafe.Markup(f"{v:.1f}"),
    )
    env.globals.update(DASH=fmt.DASH)
    return env


@dataclass
class Site:
    """The published data as the pages read it: indexed once, shared by every page."""

    data: ReportData
    generated_at: dt.datetime
    config: StatureConfig
    services: dict[str, Row] = field(default_factory=dict)
    teams: dict[str, Row] = field(default_factory=dict)
    rules: dict[str, Row] = field(default_factory=dict)
    initiatives: dict[str, Row] = field(default_factory=dict)  # reporting.initiative_status
    stems: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> id -> name
    checks_by_service: dict[str, list[Row]] = field(default_factory=dict)
    checks_by_rule: dict[str, list[Row]] = field(default_factory=dict)
    maturity: dict[str, Row] = field(default_factory=dict)  # service -> latest level
    # (entity_type, entity_id) -> rows by quarter
    path: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    dora: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    metrics: dict[tuple[str, str], list[Row]] = field(default_factory=dict)
    # (entity_type, entity_id) -> rule -> [(quarter_start, quarter, status, value)]
    history: dict[tuple[str, str], dict[str, list[tuple]]] = field(default_factory=dict)
    bands: dict[str, list[Band]] = field(default_factory=dict)  # metric -> tier bands
    quarters: list[tuple[Any, str, bool]] = field(default_factory=list)  # start, label, closed

    @classmethod
    def build(cls, data: ReportData, config: StatureConfig, *, generated_at: dt.datetime) -> Site:
        site = cls(data, generated_at, config)
        site._index()
        return site

    # --- indexing --------------------------------------------------------------------------

    def _index(self) -> None:
        data = self.data
        self.services = {s["service_id"]: s for s in data.services}
        self.teams = {t["team_id"]: t for t in data.teams}
        for r in data.view("service_standards") or []:
            self.checks_by_service.setdefault(r["service_id"], []).append(r)
            self.checks_by_rule.setdefault(r["rule_id"], []).append(r)
            self.services.setdefault(
                r["service_id"],
                {"service_id": r["service_id"], "name": r["service_name"], "team_id": r["team_id"]},
            )
        for r in data.view("service_maturity") or []:
            self.maturity[r["service_id"]] = r
            self.services.setdefault(
                r["service_id"],
                {"service_id": r["service_id"], "name": r["service_name"], "team_id": r["team_id"]},
            )
        for s in self.services.values():
            if s.get("team_id") and s["team_id"] not in self.teams:
                self.teams[s["team_id"]] = {"team_id": s["team_id"], "name": s["team_id"]}
        self.rules = {rid: r for rid, r in data.rule_catalog.items() if r.get("is_valid", True)} | {
            rid: {"rule_id": rid, "title": rid}
            for rid in self.checks_by_rule
            if rid not in data.rule_catalog
        }
        self.initiatives = {r["initiative_id"]: r for r in data.view("initiative_status") or []}
        self.stems = {
            "services": file_stems(self.services),
            "teams": file_stems(self.teams),
            "standards": file_stems(self.rules),
            "initiatives": file_stems(self.initiatives),
        }
        self._index_periods()

    def _index_periods(self) -> None:
        data = self.data
        grouped: dict[str, dict[tuple[str, str], list[Row]]] = {
            "path": defaultdict(list),
            "dora": defaultdict(list),
            "metrics": defaultdict(list),
        }
        for name, view in (
            ("path", "maturity_history"),
            ("dora", "dora_trends"),
            ("metrics", "dora_trends_by_metric"),
        ):
            for r in data.view(view) or []:
                grouped[name][(r["entity_type"], r["entity_id"])].append(r)
        for name, rows_by in grouped.items():
            key = "quarter_start" if name == "path" else "period_start"
            setattr(self, name, {k: sorted(v, key=lambda r: r[key]) for k, v in rows_by.items()})
        history: dict[tuple[str, str], dict[str, list[tuple]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for start, quarter, rule, etype, eid, status, value, _team in data.history or []:
            history[(etype, eid)][rule].append((start, quarter, status, value))
        self.history = history
        for r in data.view("dora_tier_bands") or []:
            self.bands.setdefault(r["metric"], []).append(
                Band(r["tier"], r["lower_bound"], r["upper_bound"])
            )
        quarters = {}
        for r in data.view("dora_trends") or []:
            quarters[r["period_start"]] = (r["period_start"], r["period_label"], r["is_closed"])
        for r in data.view("maturity_history") or []:
            quarters.setdefault(
                r["quarter_start"], (r["quarter_start"], r["quarter"], bool(r["is_closed"]))
            )
        self.quarters = [quarters[k] for k in sorted(quarters)]

    # --- addresses -------------------------------------------------------------------------

    def href(self, kind: str, entity_id: str | None, root: str) -> str | None:
        """The address of a team's, service's or standard's page from a page at `root`."""
        stem = self.stems.get(kind, {}).get(entity_id or "")
        return f"{root}{kind}/{stem}.html" if stem else None

    def page_path(self, kind: str, entity_id: str) -> str:
        return f"{kind}/{self.stems[kind][entity_id]}.html"

    # --- names -----------------------------------------------------------------------------

    def service_name(self, service_id: str) -> str:
        return (self.services.get(service_id) or {}).get("name") or service_id

    def team_name(self, team_id: str | None) -> str:
        if not team_id:
            return "(no team)"
        return (self.teams.get(team_id) or {}).get("name") or team_id

    def rule_title(self, rule_id: str) -> str:
        return (self.rules.get(rule_id) or {}).get("title") or rule_id

    def team_of(self, service_id: str) -> str | None:
        return (self.services.get(service_id) or {}).get("team_id")

    def level_of(self, service_id: str) -> tuple[int | None, str]:
        m = self.maturity.get(service_id)
        if m is None:
            return None, fmt.DASH
        return m["level"], fmt.level_label(m["level"], m["level_name"])

    def common(self, root: str, title: str, **extra: Any) -> dict[str, Any]:
        """What every page's template gets besides its own content."""
        data = self.data
        if data.as_of is None:
            as_of = "no data yet"
        elif data.as_of_source == "evaluation":
            as_of = f"as of {data.as_of}"
        else:
            as_of = f"data through {data.as_of}"
        return {
            "root": root,
            "title": title,
            "org_name": data.org_name,
            "as_of": as_of,
            "published": fmt.fmt_date(data.published_at) if data.published_at else "",
            "run_id": data.run_id or "",
            "generated": self.generated_at.strftime("%Y-%m-%d %H:%M UTC"),
            **extra,
        }
