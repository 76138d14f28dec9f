"""The static site on the hand-made warehouse, whose figures are worked out by hand: every
page is written from templates, linked both ways, fetches nothing from anywhere, and says
what it should; then the same site in headless Chromium (sorting, filters, search, no
console errors, no requests beyond the site's own files).

The site on a generated 500-service, 25-team org is tests/test_site_at_scale.py.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from dagster_project.report.outputs import write_outputs
from tests.conftest import require_program
from tests.support.report_warehouse import (
    AS_OF,
    CHROMIUM,
    Chromium,
    published_copy,
)
from tests.support.site_pages import links, local_target, records, tables, text

GENERATED = dt.datetime(2026, 11, 16, 3, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Every public table filled, published, and the site and portal files written."""
    root = tmp_path_factory.mktemp("site")
    config, _, _ = published_copy(root)
    outputs = write_outputs(config, generated_at=GENERATED)
    return outputs


def page(outputs, path: str) -> str:
    return (outputs.site / path).read_text()


def test_every_page_is_written_with_names_the_portal_files_share(site):
    assert sorted(p.name for p in site.site.iterdir()) == [
        "assets",
        "index.html",
        "initiatives",
        "scorecard.html",
        "services",
        "services.html",
        "standards",
        "standards.html",
        "teams",
    ]
    assert {k: sorted(p.name for p in v) for k, v in site.pages.items()} == {
        "teams": ["alpha.html", "beta.html"],
        "services": ["api.html", "jobs.html", "newsvc.html", "web.html"],
        "standards": [
            "deploys_weekly.html",
            "has_runbook.html",
            "preview_rule.html",
            "sec_scan.html",
            "team_oncall.html",
        ],
        "initiatives": ["runbooks.html"],
    }
    # one file name per id for pages and portal files alike
    assert [p.stem for p in site.services] == [p.stem for p in site.pages["services"]]
    assert [p.stem for p in site.teams] == [p.stem for p in site.pages["teams"]]
    assert sorted(p.name for p in (site.site / "assets").iterdir()) == ["site.css", "site.js"]


def test_every_link_between_pages_resolves_and_nothing_is_fetched_from_elsewhere(site):
    pages = sorted(site.site.rglob("*.html"))
    assert len(pages) == 4 + 2 + 4 + 5 + 1
    linked: dict[Path, set[Path]] = {}
    for path in pages:
        html = path.read_text()
        hrefs, fetched = links(html)
        # a page loads the site's stylesheet and script, and nothing else
        root = "" if path.parent == site.site else "../"
        assert fetched == [f"{root}assets/site.css", f"{root}assets/site.js"], path
        assert not re.search(r"@import|url\((?!#)", html), path
        targets = set()
        for href in hrefs:
            target = local_target(path, href)
            if target is None:
                assert href.startswith(("https://", "http://")), (path, href)
                continue
            assert target.is_file(), f"{path.name}: {href} does not exist"
            targets.add(target)
        linked[path] = targets
    s = site.site

    def both_ways(a: str, b: str) -> None:
        assert (s / b).resolve() in linked[(s / a)], f"{a} does not link to {b}"
        assert (s / a).resolve() in linked[(s / b)], f"{b} does not link to {a}"

    both_ways("index.html", "teams/alpha.html")
    both_ways("teams/alpha.html", "services/web.html")
    both_ways("services/web.html", "standards/has_runbook.html")
    both_ways("standards/has_runbook.html", "teams/alpha.html")
    both_ways("index.html", "services.html")
    both_ways("services.html", "services/jobs.html")
    both_ways("standards.html", "standards/sec_scan.html")
    both_ways("index.html", "initiatives/runbooks.html")
    assert (s / "services/web.html").resolve() in linked[s / "initiatives/runbooks.html"]
    assert (s / "teams/alpha.html").resolve() in linked[s / "initiatives/runbooks.html"]


def test_the_org_page_compares_the_last_closed_quarter_with_the_one_before(site):
    html = page(site, "index.html")
    cards = re.findall(
        r'<div class="card"[^>]*>\s*<div class="label">([^<]+)</div>\s*<div><span class="value">'
        r'([^<]+)</span>(?:<span class="tier (\w+)"[^>]*>\w+</span>)?<span class="period">([^<]*)'
        r'</span></div>\s*(?:<div class="change (\w*)">([^<]+)</div>)?\s*'
        r'(?:<div class="todate">([^<]+)</div>)?',
        html,
    )
    by_label = {c[0]: c[1:] for c in cards}
    # 2026-Q3: 22 + 14 deploys in 92 days = 2.74 a week; 2026-Q2: 35 in 91 days = 2.69;
    # 2026-Q4 so far: 59 in its 46 days = 8.98 a week (not 59 over 13.1 weeks = 4.5)
    assert by_label["Deployment frequency"] == (
        "2.74/wk",
        "high",
        "2026-Q3",
        "better",
        "+0.0468/wk vs 2026-Q2",
        "2026-Q4 to date: 8.98/wk",
    )
    assert by_label["Change lead time (p50)"] == (
        "36 h", "high", "2026-Q3", "same", "no change vs 2026-Q2", "2026-Q4 to date: 36 h"
    )  # fmt: skip
    assert by_label["Change failure rate"][:2] == ("15%", "elite")
    # the org's engineering_maturity checks (enforced: has_runbook, deploys_weekly,
    # team_oncall) at 2026-09-30 and at 2026-06-30 alike: runbooks 3 pass; deploys api pass,
    # web warn, jobs fail; on-call alpha pass, beta fail: 5 of 8 pass. On 2026-11-15: 4 of 8.
    assert by_label["Engineering maturity"] == (
        "62%", "", "2026-Q3", "same", "no change vs 2026-Q2", "2026-Q4 to date: 50%"
    )  # fmt: skip
    # DORA's groups since 2024: throughput, then instability
    assert re.findall(r'<div class="group-title">(\w[\w ]*)</div>', html)[:2] == [
        "Throughput",
        "Instability",
    ]


def test_the_org_page_leads_with_teams_by_scorecard(site):
    teams = records(tables(page(site, "index.html"))["teams"])
    assert [text(t["team"]) for t in teams] == ["Alpha Team", "Beta Team"]
    alpha = teams[0]
    assert alpha["team"] == ["Alpha Team", "teams/alpha.html", "alpha"]
    # security: api fails, web is not applicable -> 0 of 1 graded pass
    assert alpha["sc:security"] == [
        "0%",
        0.0,
        "teams/alpha.html#scorecard=security&status=red",
        "Security (security): 0 of 1 graded checks pass, 1 red",
    ]
    assert alpha["sc:engineering_maturity"][:2] == ["60%", 0.6]
    # beta's only security check is exempt: nothing graded
    assert teams[1]["sc:security"][:2] == ["\u2013", None]
    # enforced red checks now: alpha api sec_scan, web has_runbook and deploys_weekly
    assert (alpha["red"], teams[1]["red"]) == (["3", 3], ["0", 0])


def test_a_team_page_shows_its_grid_and_why_each_check_is_red(site):
    specs = tables(page(site, "teams/alpha.html"))
    grid = specs["grid"]
    rules = [c["key"] for c in grid["columns"] if c["type"] == "check"]
    assert rules == ["r:has_runbook", "r:deploys_weekly", "r:preview_rule", "r:sec_scan"]
    assert [c["group"] for c in grid["columns"] if c["type"] == "check"] == [
        "engineering_maturity",
        "engineering_maturity",
        "engineering_maturity",
        "security",
    ]
    rows = {text(r["service"]): r for r in records(grid)}
    assert [rows["Web"][k][:2] for k in rules] == [
        ["fail", "✗ 0"],
        ["fail", "✗ 0.1"],
        ["pass", "✓ 1"],
        ["not_applicable", "\u2013"],
    ]
    assert rows["Web"]["r:has_runbook"][2] == "Web\nvalue: 0 runbooks\nnote: has_runbook on web"
    heading = next(c for c in grid["columns"] if c["key"] == "r:has_runbook")
    assert heading["title"] == "Has a runbook (has_runbook), level 2, threshold pass == 1"
    assert heading["href"] == "../standards/has_runbook.html"
    checks = records(specs["checks"])
    red_security = [
        (text(c["service"]), c["status"], text(c["value"]), c["threshold"], c["note"])
        for c in checks
        if c["scorecard"] == "security" and c["status"] in ("fail", "not_reported", "error")
    ]
    assert red_security == [("API", "fail", "0", "pass == 1", "sec_scan on api")]
    assert len(checks) == 8  # 2 services x 4 rules
    assert {f["key"] for f in specs["checks"]["filters"]} == {
        "status", "scorecard", "standard", "tier", "lifecycle", "level",
    }  # fmt: skip


def test_the_open_quarter_is_drawn_to_date_at_its_rate_per_elapsed_week(site):
    html = page(site, "teams/alpha.html")
    # alpha deployed 46 times in the 46 days of 2026-Q4 to 2026-11-15: 7 a week so far
    assert "Alpha Team · 2026-Q4 (to date): 7/wk" in html
    assert "2026-Q4 to date: 7/wk" in html
    # the closed quarter before it: 22 in 92 days
    assert "Alpha Team · 2026-Q3: 1.67/wk" in html
    frequency = html.split("<title>Deployment frequency</title>")[1].split("</svg>")[0]
    # one hollow point, reached by a dashed segment, labelled to date under the axis
    assert frequency.count('class="point open"') == 1
    assert frequency.count('class="to-date"') == 1
    assert '<text x="' in frequency and ">to date</text>" in frequency
    # tier bands behind the line: 2023 deploy frequency, high [1, 7) and medium [0.23, 1)
    assert re.findall(r'<rect class="band"[^>]*><title>(\w+)</title>', frequency) == [
        "elite",
        "high",
        "medium",
        "low",
    ]


def test_a_service_page_lists_every_standard_with_its_history(site):
    html = page(site, "services/web.html")
    standards = {text(r["standard"]): r for r in records(tables(html)["standards"])}
    runbook = standards["Has a runbook"]
    assert runbook["standard"] == ["Has a runbook", "../standards/has_runbook.html", "has_runbook"]
    assert (runbook["status"], text(runbook["value"]), runbook["threshold"], runbook["note"]) == (
        "fail",
        "0 runbooks",
        "pass == 1",
        "has_runbook on web",
    )
    assert runbook["fix"] == ["how to fix", "https://wiki.example/runbooks", None]
    assert runbook["evidence"] == ["evidence", "https://ci.example/web/has_runbook", None]
    # passing from 2025-Q4 on, failing again now
    assert [h[1] for h in runbook["history"]] == ["fail"] * 3 + ["pass"] * 4 + ["fail"]
    assert runbook["history"][-1][2] == "2026-Q4: fail (0 runbooks)"
    assert text(standards["Preview environments (shadow)"]["standard"])
    # what gets it to the next level, with the way to fix it
    assert re.search(
        r'<a href="../standards/has_runbook.html" title="has_runbook">Has a runbook</a> '
        r'<span class="chip fail">fail</span> 0 runbooks \(needs pass == 1\): has_runbook on '
        r'web · <a href="https://wiki.example/runbooks">how to fix</a>',
        html,
    )
    assert "Level <strong>1 Ad hoc</strong> in 2026-Q4 (to date). Next: 2 Defined." in html


def test_a_standard_page_says_who_passes_who_fails_and_who_moved(site):
    html = page(site, "standards/has_runbook.html")
    assert "2 of 3 graded results pass (67%) in 2026-Q4 to date: 1 fail, 2 pass." in html
    # web passed at the last closed quarter (2026-09-30) and fails now
    assert "Since the last closed quarter: 1 turned red." in html
    specs = tables(html)
    results = {text(r["entity"]): (r["status"], r["was"]) for r in records(specs["results"])}
    assert results == {"API": ("pass", "pass"), "Web": ("fail", "pass"), "Jobs": ("pass", "pass")}
    assert [c["label"] for c in specs["results"]["columns"]][-2:] == ["In 2026-Q3", "Evidence"]
    teams = {text(r["team"]): r["rate"][:3] for r in records(specs["teams"])}
    assert teams == {
        "Alpha Team": ["50%", 0.5, "../teams/alpha.html#standard=has_runbook&status=red"],
        "Beta Team": ["100%", 1.0, "../teams/beta.html#standard=has_runbook&status=red"],
    }
    # a team rule lists teams: beta's rota was not reported now, failed at 2026-09-30
    team_rule = records(tables(page(site, "standards/team_oncall.html"))["results"])
    assert [(text(r["entity"]), r["status"], r["was"]) for r in team_rule] == [
        ("Alpha Team", "pass", "pass"),
        ("Beta Team", "not_reported", "fail"),
    ]


def test_an_initiative_page_shows_its_burn_up_its_teams_and_who_is_late(site):
    """has_runbook since 2026-09-01 (pace window 90 days): all three services pass on
    2026-09-30 and 2026-11-14, web fails on 2026-11-15: 2/3, falling by 1/3 over 46 days,
    so at that pace nobody passes on 2027-03-31 (136 days on): at risk, web late."""
    html = page(site, "initiatives/runbooks.html")
    assert '<span class="rag red">at risk</span>' in html
    assert "On 2026-11-15: 2 of 3 covered pass (67%), 1 late. 136 days to the deadline." in html
    assert (
        "Pace since 2026-09-30: -5.1 points a week; at that pace 0% pass on the deadline." in html
    )
    # the burn-up: three days passing, the dashed pace to the deadline, the target
    points = re.findall(r"<title>([^<]+)</title></circle>", html)
    assert points == [
        "Passing · 2026-09-30: 100%",
        "Passing · 2026-11-14: 100%",
        "Passing · 2026-11-15: 67%",
        "At the current pace · 2026-11-15: 67%",
        "At the current pace · 2027-03-31: 0%",
        *(f"Target · {d}: 100%" for d in ("2026-09-30", "2026-11-14", "2026-11-15", "2027-03-31")),
    ]
    specs = tables(html)
    teams = {text(r["team"]): (r["share"][:2], r["covered"][1], r["failing"][1])
             for r in records(specs["teams"])}  # fmt: skip
    assert teams == {"Alpha Team": (["50%", 0.5], 2, 1), "Beta Team": (["100%", 1.0], 1, 0)}
    late = records(specs["late"])
    assert [(r["entity"][:2], text(r["team"])) for r in late] == [
        (["Web", "../services/web.html"], "Alpha Team")
    ]
    org = page(site, "index.html")
    assert re.search(
        r'<a href="initiatives/runbooks.html"[^>]*>Every service links a runbook</a></td>'
        r'<td><span class="red">at risk</span></td><td>67%</td><td>100%</td>'
        r"<td>2027-03-31</td><td>1</td>",
        org,
    ), org[org.find('id="initiatives"') :][:800]


def test_every_service_and_every_standard_have_a_filterable_list(site):
    services = tables(page(site, "services.html"))["services"]
    assert [f["key"] for f in services["filters"]] == [
        "status",
        "team",
        "tier",
        "lifecycle",
        "level",
    ]
    rows = {text(r["service"]): r for r in records(services)}
    assert sorted(rows) == ["API", "Jobs", "Web", "newsvc"]
    assert (text(rows["Web"]["team"]), rows["Web"]["tier"], text(rows["Web"]["level"])) == (
        "Alpha Team",
        "tier-2",
        "1 Ad hoc",
    )
    assert rows["Web"]["statuses"] == ["fail", "not_applicable", "pass"]
    assert rows["Web"]["blockers"] == "Has a runbook"
    standards = {
        text(r["standard"]): r for r in records(tables(page(site, "standards.html"))["standards"])
    }
    # 2026-Q4 has_runbook 2 of 3 pass, 2026-Q3 3 of 3
    assert standards["Has a runbook"]["rate"][:2] == ["67%", 2 / 3]
    assert standards["Has a runbook"]["change"] == "-33 pts (2026-Q3 100%)"
    assert standards["Has a runbook"]["scorecard"] == "Engineering maturity"


def test_the_balanced_scorecard_page_colours_the_strategy_map_by_status(site):
    html = page(site, "scorecard.html")
    found = re.findall(r'<g class="objective" data-status="(\w+)"><title>([^<:]+)', html)
    objectives = {objective: status for status, objective in found}
    assert objectives == {
        "revenue_per_engineer objective": "green",
        "availability objective": "yellow",
        "lead_time_days objective": "red",
        "enps objective": "green",
        "flow": "none",  # only a team measure names it: no org status to colour it
    }
    assert "<th>Measure</th><th>For</th><th>Period</th>" in html
    assert '<td title="availability">Availability</td><td>Acme Test</td><td>2026-Q3</td>' in html


def test_pages_say_what_the_published_copy_lacks(tmp_path):
    config, _, _ = published_copy(
        tmp_path, check_results=False, maturity=False, balanced_scorecard=False
    )
    outputs = write_outputs(config, generated_at=GENERATED)
    html = page(outputs, "index.html")
    assert (
        "<code>reporting.service_standards</code>: missing tables scorecards.check_results" in html
    )
    assert "data through 2026-11-14" in html  # no evaluation: figures run to the last deployment
    assert "Not available.</strong> missing table scorecards.balanced_scorecard" in page(
        outputs, "scorecard.html"
    )
    assert sorted(p.name for p in outputs.pages["services"]) == [
        "api.html",
        "jobs.html",
        "web.html",
    ]


def test_files_of_entities_that_are_gone_are_removed(tmp_path):
    config, *_ = published_copy(tmp_path)
    stale = [
        config.published_path / "report" / "services" / "retired.html",
        config.published_path / "report" / "teams" / ".half.html.tmp",
        config.published_path / "services" / "retired.json",
    ]
    for path in stale:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("old")
    write_outputs(config)
    assert [p.exists() for p in stale] == [False, False, False]


# --- in a real browser -------------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium(tmp_path_factory):
    require_program(CHROMIUM, "`make chromium` installs it")
    browser = Chromium(tmp_path_factory.mktemp("chromium-profile"))
    yield browser
    browser.close()


def _requests_stay_in(visit, folder: Path) -> list[str]:
    """Requests for anything but the site's own files."""
    return [u for u in visit.requested_urls if not u.startswith(folder.resolve().as_uri() + "/")]


@pytest.mark.parametrize(
    "path",
    [
        "index.html",
        "services.html",
        "standards.html",
        "scorecard.html",
        "teams/alpha.html",
        "services/web.html",
        "standards/has_runbook.html",
        "initiatives/runbooks.html",
    ],
)
def test_each_kind_of_page_renders_without_errors_or_requests(site, chromium, path, artifacts):
    visit, session = chromium.visit((site.site / path).as_uri())
    assert visit.console_errors == []
    assert _requests_stay_in(visit, site.site) == []
    drawn = chromium.evaluate(
        session,
        "Array.from(document.querySelectorAll('div.datatable')).map(t => "
        "[t.dataset.table, Number(t.dataset.matching), t.querySelectorAll('tbody tr').length])",
    )
    assert all(matching == rows or (matching == 0 and rows == 1) for _, matching, rows in drawn)
    artifacts.save(f"hand-made-{path.replace('/', '-')}.png", visit.screenshot)


def test_tables_sort_filter_and_search_in_the_browser(site, chromium):
    url = (site.site / "teams" / "alpha.html").as_uri()
    _, session = chromium.visit(url + "#scorecard=security&status=red")
    shown = """(() => {
        const t = document.querySelector('[data-table="%s"]');
        return [Number(t.dataset.matching), Array.from(t.querySelectorAll('thead th'))
            .map(th => th.textContent), Array.from(t.querySelectorAll('tbody tr'))
            .map(tr => Array.from(tr.cells).map(td => td.textContent))];
    })()"""
    matching, headers, rows = chromium.evaluate(session, shown % "grid")
    # only the security column, only services with a red security check
    assert (matching, headers) == (
        1,
        ["Service", "Tier", "Lifecycle", "Level", "Security scanning in CI"],
    )
    assert rows == [["API", "tier-1", "production", "3 Measured", "✗ 0"]]
    matching, _, rows = chromium.evaluate(session, shown % "checks")
    assert matching == 1 and rows[0][:4] == ["API", "Security scanning in CI", "Security", "fail"]
    # clear the filters through the selects, then sort the checks by service, descending
    chromium.evaluate(
        session,
        """(() => { for (const s of document.querySelectorAll('[data-table="checks"] select')) {
            s.value = ''; s.dispatchEvent(new Event('change')); } })()""",
    )
    matching, _, rows = chromium.evaluate(session, shown % "checks")
    assert matching == 8 and rows[0][3] == "fail"  # worst first
    chromium.evaluate(
        session,
        """(() => { const b = document.querySelector('[data-table="checks"] button[data-column="service"]');
            b.click(); b.click(); })()""",
    )
    _, _, rows = chromium.evaluate(session, shown % "checks")
    assert [r[0] for r in rows] == ["Web"] * 4 + ["API"] * 4
    # search by name
    chromium.evaluate(
        session,
        """(() => { const i = document.querySelector('[data-table="checks"] input.search');
            i.value = 'runbook'; i.dispatchEvent(new Event('input')); })()""",
    )
    matching, _, rows = chromium.evaluate(session, shown % "checks")
    assert matching == 2 and {r[1] for r in rows} == {"Has a runbook"}
    assert chromium.evaluate(session, "window.location.hash") in ("", "#")
    assert chromium.so_far(session).console_errors == []
    assert AS_OF.isoformat() in chromium.evaluate(
        session, "document.querySelector('.meta').textContent"
    )
    assert json.loads(json.dumps(chromium.evaluate(session, "window.statureTables.length"))) == 2


def test_hostile_team_and_service_names_are_escaped_on_every_page(tmp_path):
    """A team called `<script>...` and a service with `<b>` in its name: every page shows
    them as text (HTML-escaped where the page is HTML, JSON-escaped in embedded tables),
    the team's Markdown backslash-escapes them, and nothing runs."""
    import shutil

    import duckdb

    from dagster_project.config import load_config
    from dagster_project.publish import publish
    from tests.support.report_warehouse import built_warehouse, make_config, write_rules

    hostile = "<script>alert('owned')</script> | Ops"
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse(), warehouse)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("update marts.dim_teams set name = ? where team_id = 'beta'", [hostile])
        con.execute(
            "update marts.dim_services set name = 'Jobs <b>svc</b>' where service_id = 'jobs'"
        )
    write_rules(tmp_path / "rules")
    config = load_config(make_config(tmp_path))
    publish(warehouse, tmp_path / "published", run_id="run-1")
    outputs = write_outputs(config, generated_at=GENERATED)
    for html_page in outputs.site.rglob("*.html"):
        body = html_page.read_text()
        assert "<script>alert(" not in body and "<b>svc</b>" not in body, html_page
    index = (outputs.site / "index.html").read_text()
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; | Ops" in index
    team_page = (outputs.site / "teams" / "beta.html").read_text()
    assert (
        '<h1><span title="beta">&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; | Ops</span>'
        in (team_page)
    )
    markdown = (tmp_path / "published" / "teams" / "beta.md").read_text()
    assert markdown.startswith("# \\<script\\>alert('owned')\\</script\\> \\| Ops: standards")
