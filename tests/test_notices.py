"""Change notices on a hand-worked pair of evaluation days: the hand-made warehouse's checks
of 2026-11-14 and 2026-11-15 (tests/support/report_warehouse.py) with the real reporting
views, an exemptions file, and a real HTTP server on 127.0.0.1 taking the webhook's posts.

    2026-11-14 -> 2026-11-15         team    change
    has_runbook on web   pass -> fail    alpha   new failure (and web's level 5 -> 1)
    deploys_weekly web   warn -> fail    alpha   new failure
    sec_scan on api      pass -> fail    alpha   new failure (api's level 5 -> 3)
    preview_rule web     fail -> pass    alpha   recovery (a shadow rule)
    deploys_weekly jobs  fail -> warn    beta    recovery (jobs' level 2 -> 5: sec_scan is
                                                 exempt now)
    team_oncall beta     fail -> not_reported    red both days: no change
    initiative runbooks at risk, web late        alpha
    exemption sec_scan/jobs expires 2026-11-20   beta (5 days); the one expiring 2027-01-31
                                                 and the expired one are not listed
"""

from __future__ import annotations

import json
import logging

import dagster as dg
import duckdb
import pytest

from dagster_project.defs.notices import build_notices_asset
from dagster_project.defs.resources import StatureResource
from dagster_project.notices import build_notices, markdown, post_notices, write_notices
from tests.support.report_warehouse import published_copy
from tests.support.webhook import recording_webhook

EXEMPTIONS = """\
- rule: sec_scan
  entity: jobs
  reason: scanner migration
  approver: ciso@example.com
  expires: 2026-11-20
- rule: deploys_weekly
  entity: web
  reason: freeze
  approver: cto@example.com
  expires: 2027-01-31
- rule: has_runbook
  entity: api
  reason: gone
  approver: cto@example.com
  expires: 2026-11-01
"""


@pytest.fixture
def copy(tmp_path):
    config, _, report = published_copy(tmp_path)
    (config.rules_path / "exemptions.yml").write_text(EXEMPTIONS)
    return config, report.database


def _summary(notice) -> dict:
    return {
        "new_failures": [
            (r["rule_id"], r["entity_id"], r["previous_status"], r["status"])
            for r in notice.new_failures
        ],
        "recoveries": [
            (r["rule_id"], r["entity_id"], r["previous_status"], r["status"])
            for r in notice.recoveries
        ],
        "levels": [(r["entity_id"], r["previous_level"], r["level"]) for r in notice.level_changes],
        "expiring": [(r["rule_id"], r["entity_id"], r["days_left"]) for r in notice.expiring_exemptions],
        "at_risk": [
            (r["initiative_id"], r["status"], [x["entity_id"] for x in r["late"]])
            for r in notice.initiatives_at_risk
        ],
    }  # fmt: skip


def test_each_team_gets_what_changed_since_the_day_before(copy):
    config, database = copy
    notices = build_notices(database, config.rules_path)
    assert [n.team_id for n in notices] == ["alpha", "beta", "org"]
    alpha, beta, org = notices
    assert (str(alpha.as_of), str(alpha.previous_as_of)) == ("2026-11-15", "2026-11-14")
    assert _summary(alpha) == {
        "new_failures": [
            ("deploys_weekly", "web", "warn", "fail"),
            ("has_runbook", "web", "pass", "fail"),
            ("sec_scan", "api", "pass", "fail"),
        ],
        "recoveries": [("preview_rule", "web", "fail", "pass")],
        "levels": [("api", 5, 3), ("web", 5, 1)],
        "expiring": [],
        "at_risk": [("runbooks", "at_risk", ["web"])],
    }
    assert _summary(beta) == {
        "new_failures": [],
        "recoveries": [("deploys_weekly", "jobs", "fail", "warn")],
        "levels": [("jobs", 2, 5)],
        "expiring": [("sec_scan", "jobs", 5)],
        "at_risk": [],
    }
    assert not org.has_news
    text = markdown(beta)
    assert "As of 2026-11-15 since 2026-11-14." in text
    assert "- `deploys_weekly` on jobs: fail -> warn" in text
    assert "- jobs: level 2 -> level 5" in text
    assert "- `sec_scan` for jobs expires 2026-11-20 (5 days; approved by ciso@example.com)" in text


def test_notices_are_written_as_markdown_and_json_with_an_index(copy, tmp_path):
    config, database = copy
    notices = build_notices(database, config.rules_path)
    stale = config.published_path / "notices" / "gone.md"
    stale.parent.mkdir(parents=True, exist_ok=True)
    stale.write_text("old")
    write_notices(notices, config.published_path)
    folder = config.published_path / "notices"
    assert sorted(p.name for p in folder.iterdir()) == [
        "alpha.json", "alpha.md", "beta.json", "beta.md", "index.json", "org.json", "org.md",
    ]  # fmt: skip
    index = json.loads((folder / "index.json").read_text())
    assert index == {
        "schema_version": 1,
        "as_of": "2026-11-15",
        "teams": {
            "alpha": {"file": "alpha", "changed": True, "has_news": True},
            "beta": {"file": "beta", "changed": True, "has_news": True},
            "org": {"file": "org", "changed": False, "has_news": False},
        },
    }
    alpha = json.loads((folder / "alpha.json").read_text())
    assert alpha["team_name"] == "Alpha Team" and alpha["changed"] is True
    assert [r["entity_id"] for r in alpha["new_failures"]] == ["web", "web", "api"]
    assert "No changes since 2026-11-14." in (folder / "org.md").read_text()


def test_a_run_with_no_change_writes_no_changes_notices(copy):
    """Without 2026-11-15 the last two days are 2026-09-30 and 2026-11-14, which agree."""
    config, database = copy
    with duckdb.connect(str(database)) as con:
        con.execute("delete from scorecards.check_results where as_of = date '2026-11-15'")
    notices = build_notices(database, config.rules_path)
    assert [(n.team_id, n.changed) for n in notices] == [
        ("alpha", False), ("beta", False), ("org", False),
    ]  # fmt: skip
    assert "No changes since 2026-09-30." in markdown(notices[1])
    # a standing reminder still reaches alpha: the initiative is at risk
    assert [r["initiative_id"] for r in notices[0].initiatives_at_risk] == ["runbooks"]


@pytest.fixture
def webhook():
    with recording_webhook("/hooks/T0/secret-token", status=200) as hook:
        yield hook


def test_the_notices_asset_posts_each_team_with_news_to_the_webhook(copy, webhook, monkeypatch):
    config, _ = copy
    url, posts = webhook
    monkeypatch.setenv("STATURE_NOTICES_WEBHOOK_URL", url)
    config_file = config.published_path.parent / "stature.yml"
    result = dg.materialize(
        [build_notices_asset()],
        resources={"stature": StatureResource(config_path=str(config_file))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    (materialization,) = result.get_asset_materialization_events()
    meta = materialization.materialization.metadata
    assert meta["posted"].value == 2 and meta["changed"].value == ["alpha", "beta"]
    assert [(p["team_id"], p["changed"], p["as_of"]) for p in posts] == [
        ("alpha", True, "2026-11-15"),
        ("beta", True, "2026-11-15"),
    ]
    assert posts[1]["text"].startswith("# Stature notice for Beta Team\n")
    assert "## Recoveries" in posts[1]["text"]
    assert (config.published_path / "notices" / "beta.md").read_text() == posts[1]["text"]


def test_a_webhook_that_refuses_is_reported_without_its_url(copy, caplog):
    config, database = copy
    notices = build_notices(database, config.rules_path)
    # nothing listens on port 9 of 127.0.0.1 (discard): the connection is refused
    url = "http://127.0.0.1:9/hooks/T0/secret-token"
    with caplog.at_level(logging.ERROR):
        problems = post_notices(notices, url)
    assert problems == [
        "alpha: the notices webhook did not take the notices: ConnectionError",
        "beta: the notices webhook did not take the notices: ConnectionError",
    ]
    assert "secret-token" not in caplog.text
