"""The sample-org generator: deterministic, in the export layout, and the scenario really present."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import re
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest
import yaml

from ingestion import sample_org
from ingestion.sample_org import (
    HOTFIX_SERVICE,
    IMPROVING_TEAM,
    MONOREPO,
    MONOREPO_SERVICES,
    NEVER_DEPLOYS_SERVICE,
    REGRESSING_TEAM,
    REORG_FROM_TEAM,
    REORG_SERVICE,
    REORG_TO_TEAM,
    generate_sample_org,
)

END = dt.date(2026, 11, 15)
SMALL = {"services": 12, "teams": 4, "days": 120, "end": END, "seed": 7}
PROD_ENV = re.compile(r"(?i)^prod(uction)?$")
DEPLOY_RUN = re.compile(r"(?i)deploy")
PROD_RUN = re.compile(r"(?i)prod")
MEASURES = {
    "slo_compliance",
    "infra_cost",
    "transactions",
    "feature_adoption",
    "training_completion",
    "enps",
    "internal_mobility",
    "revenue_attributed",
}


# --- helpers: read the export the way a consumer would ----------------------------------------
def tree_hash(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def page_files(directory: Path, stem: str) -> list[Path]:
    """`stem.json`, `stem-2.json`, ... in page order (and the numbering has no holes)."""
    found = {}
    for path in directory.glob(f"{stem}*.json"):
        match = re.fullmatch(rf"{re.escape(stem)}(?:-(\d+))?\.json", path.name)
        if match:
            found[int(match.group(1) or 1)] = path
    assert sorted(found) == list(range(1, len(found) + 1)), f"page holes in {directory}/{stem}"
    return [found[n] for n in sorted(found)]


def read_list(directory: Path, stem: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in page_files(directory, stem):
        body = json.loads(path.read_bytes())
        items += body["workflow_runs"] if stem == "workflow_runs" else body
    return items


def repos(root: Path) -> list[Path]:
    return sorted((root / "github" / "acme").iterdir())


def catalog(root: Path) -> list[dict[str, Any]]:
    docs: list[dict[str, Any]] = []
    for path in sorted((root / "catalog").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def components(root: Path) -> dict[str, dict[str, Any]]:
    return {d["metadata"]["name"]: d for d in catalog(root) if d["kind"] == "Component"}


def ts(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.UTC)


def statuses_of(repo: Path) -> dict[int, list[dict[str, Any]]]:
    out = {}
    ndjson = repo / "deployment_statuses.ndjson"
    if ndjson.exists():
        for line in ndjson.read_text().splitlines():
            row = json.loads(line)
            out[row["deployment_id"]] = row["items"]
        return out
    for path in (repo / "deployment_statuses").glob("*.json"):
        out[int(path.stem)] = json.loads(path.read_bytes())
    return out


def production_deploys(repo: Path) -> dict[str, list[tuple[dt.datetime, str, str]]]:
    """Successful production deploys per deploy stream: [(deployed_at, sha, how)], by time."""
    streams: dict[str, list[tuple[dt.datetime, str, str]]] = defaultdict(list)
    statuses = statuses_of(repo)
    for d in read_list(repo, "deployments"):
        if not PROD_ENV.match(d["environment"]):
            continue
        for status in statuses[d["id"]]:
            if status["state"] == "success":
                streams["deployments"].append((ts(status["created_at"]), d["sha"], "deployment"))
    for run in read_list(repo, "workflow_runs"):
        name = run["name"] or run["path"]
        if DEPLOY_RUN.search(name) and PROD_RUN.search(name) and run["conclusion"] == "success":
            streams[name].append((ts(run["updated_at"]), run["head_sha"], "actions"))
    return {k: sorted(v) for k, v in streams.items()}


def main_shas(repo: Path) -> dict[str, dict[str, Any]]:
    return {c["sha"]: c for c in read_list(repo, "commits")}


def pr_commits(repo: Path, number: int) -> list[dict[str, Any]]:
    return json.loads((repo / "pull_commits" / f"{number}.json").read_bytes())


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("small") / "export"
    return out, generate_sample_org(out, **SMALL)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The default demo org (two years): for the trends and the eight quarters."""
    out = tmp_path_factory.mktemp("demo") / "export"
    return out, generate_sample_org(out)


# --- determinism and layout -------------------------------------------------------------------
def test_same_arguments_give_identical_bytes(small, tmp_path: Path) -> None:
    root, _ = small
    again = tmp_path / "again"
    generate_sample_org(again, **SMALL)
    assert tree_hash(again) == tree_hash(root)
    other = tmp_path / "other-seed"
    generate_sample_org(other, **{**SMALL, "seed": 8})
    assert tree_hash(other) != tree_hash(root)


def test_rewrites_an_export_dir_but_refuses_a_foreign_one(tmp_path: Path) -> None:
    out = tmp_path / "export"
    generate_sample_org(out, **SMALL)
    (out / "github" / "acme" / "stale.json").write_text("[]")
    generate_sample_org(out, **SMALL)
    assert not (out / "github" / "acme" / "stale.json").exists()
    foreign = tmp_path / "home"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="refusing to wipe"):
        generate_sample_org(foreign, **SMALL)
    assert (foreign / "notes.txt").read_text() == "mine"


def test_layout_matches_the_ingestion_contract(small) -> None:
    root, summary = small
    assert sorted(p.name for p in root.iterdir()) == ["catalog", "github", "inputs", "pagerduty"]
    assert list((root / "catalog").glob("*.yaml"))
    assert page_files(root / "pagerduty", "incidents")
    assert len(list((root / "inputs").glob("*.csv"))) >= 1
    names = {r.name for r in repos(root)}
    assert MONOREPO in names and len(names) == summary["repos"] == 11
    for repo in repos(root):
        for stem in ("pulls", "commits", "deployments", "workflow_runs", "issues"):
            assert page_files(repo, stem), f"{repo.name}: no {stem} pages"
        pulls = read_list(repo, "pulls")
        for sub in ("pull_commits", "pull_reviews"):
            assert sorted(int(p.stem) for p in (repo / sub).glob("*.json")) == sorted(
                p["number"] for p in pulls
            )
        deployments = read_list(repo, "deployments")
        assert sorted(statuses_of(repo)) == sorted(d["id"] for d in deployments)
    assert summary["start"] == "2026-07-01" and summary["end"] == END.isoformat()
    assert summary["services"] == 12 and summary["teams"] == 4


def test_every_file_parses_and_pages_hold_at_most_100(small) -> None:
    root, _ = small
    for path in root.rglob("*.json"):
        body = json.loads(path.read_bytes())
        if path.parent.name == "pagerduty":
            assert len(body["incidents"]) <= 100 and body["limit"] == 100
        elif path.stem.startswith("workflow_runs"):
            assert len(body["workflow_runs"]) <= 100 and isinstance(body["total_count"], int)
        else:
            assert isinstance(body, list) and len(body) <= 100, path
    pages = [json.loads(p.read_bytes()) for p in page_files(root / "pagerduty", "incidents")]
    assert [p["offset"] for p in pages] == [100 * i for i in range(len(pages))]
    assert [p["more"] for p in pages] == [True] * (len(pages) - 1) + [False]
    numbers = [i["incident_number"] for p in pages for i in p["incidents"]]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)


def test_big_lists_paginate_and_total_count_is_the_total(demo) -> None:
    root, _ = demo
    repo = root / "github" / "acme" / MONOREPO
    assert len(page_files(repo, "pulls")) > 1 and len(page_files(repo, "workflow_runs")) > 1
    pages = [json.loads(p.read_bytes()) for p in page_files(repo, "workflow_runs")]
    assert {p["total_count"] for p in pages} == {sum(len(p["workflow_runs"]) for p in pages)}
    runs = read_list(repo, "workflow_runs")
    assert [r["id"] for r in runs] == sorted((r["id"] for r in runs), reverse=True)


def test_timestamps_are_utc_z(small) -> None:
    root, _ = small
    repo = root / "github" / "acme" / "checkout-api"
    pattern = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
    for item in read_list(repo, "pulls") + read_list(repo, "workflow_runs"):
        for key in ("created_at", "updated_at", "closed_at", "merged_at", "run_started_at"):
            if item.get(key) is not None:
                assert pattern.match(item[key]), (key, item[key])


# --- the commit graph -------------------------------------------------------------------------
def test_commit_graph_is_consistent(small) -> None:
    root, _ = small
    methods = defaultdict(int)
    for repo in repos(root):
        commits = read_list(repo, "commits")
        listed = {c["sha"]: c for c in commits}
        dates = [ts(c["commit"]["committer"]["date"]) for c in commits]
        assert dates == sorted(dates, reverse=True), f"{repo.name}: not newest first"
        missing = {p["sha"] for c in commits for p in c["parents"]} - set(listed)
        oldest = commits[-1]
        assert missing == {p["sha"] for p in oldest["parents"]}, "only the horizon is unlisted"
        for c in commits:
            for p in c["parents"]:
                if p["sha"] in listed:
                    assert (
                        listed[p["sha"]]["commit"]["committer"]["date"]
                        <= c["commit"]["committer"]["date"]
                    )
        for pr in read_list(repo, "pulls"):
            sha = pr["merge_commit_sha"]
            if pr["merged_at"] is None:
                if pr["state"] == "closed" and sha:
                    methods["closed_test_merge"] += 1
                assert sha is None or sha not in listed, "a test merge is never on main"
                continue
            merged = listed[sha]
            if len(merged["parents"]) == 2:
                methods["merge"] += 1
                assert merged["parents"][1]["sha"] == pr["head"]["sha"]
                assert all(c["sha"] in listed for c in pr_commits(repo, pr["number"]))
            elif merged["commit"]["message"].split("\n")[0].endswith(f"(#{pr['number']})"):
                methods["squash"] += 1
                assert merged["parents"][0]["sha"] == pr["base"]["sha"]
                assert not any(c["sha"] in listed for c in pr_commits(repo, pr["number"]))
            else:
                methods["rebase"] += 1
                branch = pr_commits(repo, pr["number"])
                assert merged["commit"]["message"] == branch[-1]["commit"]["message"]
                assert merged["commit"]["committer"]["name"] == "GitHub"
                assert not any(c["sha"] in listed for c in branch)
    assert methods["squash"] and methods["merge"] and methods["rebase"]
    assert methods["closed_test_merge"]


def test_pull_commits_mostly_predate_the_pr_and_reviews_fall_inside_it(small) -> None:
    root, _ = small
    before = after = no_review = reviewed = 0
    for repo in repos(root):
        for pr in read_list(repo, "pulls"):
            if pr["merged_at"] is None:
                continue
            commits = pr_commits(repo, pr["number"])
            first = min(ts(c["commit"]["author"]["date"]) for c in commits)
            before += first < ts(pr["created_at"])
            after += first >= ts(pr["created_at"])
            reviews = json.loads((repo / "pull_reviews" / f"{pr['number']}.json").read_bytes())
            assert len(reviews) <= 3
            no_review += not reviews
            reviewed += bool(reviews)
            for r in reviews:
                assert r["state"] in {"APPROVED", "CHANGES_REQUESTED", "COMMENTED"}
                assert ts(pr["created_at"]) <= ts(r["submitted_at"]) <= ts(pr["merged_at"])
    assert before > 5 * max(after, 1)
    assert no_review and reviewed > no_review


def test_pull_request_and_run_variety(small) -> None:
    root, _ = small
    pulls = [p for repo in repos(root) for p in read_list(repo, "pulls")]
    assert any(p["draft"] for p in pulls) and any(p["state"] == "open" for p in pulls)
    assert any(p["user"]["login"] == "dependabot[bot]" for p in pulls)
    assert all("merged" not in p and "commits" not in p for p in pulls)  # not in list items
    runs = [r for repo in repos(root) for r in read_list(repo, "workflow_runs")]
    assert {r["conclusion"] for r in runs} >= {"success", "failure", "cancelled"}


def test_direct_pushes_exist(small) -> None:
    root, _ = small
    repo = root / "github" / "acme" / "auth-gateway"
    merged = {p["merge_commit_sha"] for p in read_list(repo, "pulls") if p["merged_at"]}
    direct = [
        c
        for c in read_list(repo, "commits")
        if c["commit"]["committer"]["name"] != "GitHub" and c["sha"] not in merged
    ]
    assert direct


# --- deployments ------------------------------------------------------------------------------
def test_production_deploys_ship_main_and_staging_goes_first(small) -> None:
    root, _ = small
    for repo in repos(root):
        on_main = main_shas(repo)
        for deploys in production_deploys(repo).values():
            for _, sha, _ in deploys:
                assert sha in on_main, f"{repo.name}: deployed {sha} is not on main"
    repo = root / "github" / "acme" / "checkout-api"
    first_staged: dict[str, dt.datetime] = {}
    first_shipped: dict[str, dt.datetime] = {}
    for d in read_list(repo, "deployments"):
        firsts = first_staged if d["environment"] == "staging" else first_shipped
        firsts[d["sha"]] = min(firsts.get(d["sha"], ts(d["created_at"])), ts(d["created_at"]))
    staged = [sha for sha in first_shipped if sha in first_staged]
    assert len(staged) > len(first_shipped) / 2
    assert all(first_staged[sha] < first_shipped[sha] for sha in staged)


def test_both_deploy_mechanisms_failures_and_retries(small) -> None:
    root, _ = small
    acme = root / "github" / "acme"
    statuses = statuses_of(acme / "checkout-api")
    failed = [d for d, rows in statuses.items() if rows[0]["state"] == "failure"]
    assert failed, "a failed GitHub deployment"
    assert {rows[-1]["state"] for rows in statuses.values()} == {"pending"}  # newest first
    deployments = {d["id"]: d for d in read_list(acme / "checkout-api", "deployments")}
    for deployment_id in failed:
        later = [
            d
            for d in deployments.values()
            if d["sha"] == deployments[deployment_id]["sha"] and d["id"] > deployment_id
        ]
        assert any(statuses[d["id"]][0]["state"] == "success" for d in later), "retried"
    runs = read_list(acme / "fraud-scoring", "workflow_runs")
    prod_runs = [r for r in runs if r["name"] == "Deploy to production"]
    assert any(r["conclusion"] == "failure" for r in prod_runs)
    assert {r["path"] for r in prod_runs} == {".github/workflows/deploy.yml"}
    assert any(r["name"] == "Deploy to staging" for r in runs)
    reran = [r for r in read_list(acme / MONOREPO, "workflow_runs") if r["run_attempt"] == 2]
    assert reran and all(r["conclusion"] == "success" for r in reran)
    assert all(ts(r["run_started_at"]) > ts(r["created_at"]) for r in reran)


def test_environments_and_legacy_statuses(small) -> None:
    root, _ = small
    acme = root / "github" / "acme"
    environments = set()
    without_environment = with_environment = 0
    for repo in repos(root):
        environments |= {d["environment"] for d in read_list(repo, "deployments")}
        for rows in statuses_of(repo).values():
            for status in rows:
                with_environment += "environment" in status
                without_environment += "environment" not in status
    assert {"production", "staging", "prod"} <= environments
    assert with_environment and without_environment
    staging = [
        rows
        for d, rows in statuses_of(acme / "checkout-api").items()
        if any(r.get("environment") == "staging" for r in rows)
    ]
    assert any(rows[0]["state"] == "inactive" for rows in staging)


def test_deploys_on_a_sunday_and_at_half_past_eleven(small) -> None:
    root, _ = small
    times = [
        at
        for repo in repos(root)
        for deploys in production_deploys(repo).values()
        for at, _, _ in deploys
    ]
    assert any(at.weekday() == 6 for at in times)
    assert any((at.hour, at.minute) == (23, 30) for at in times)
    assert sum(at.weekday() < 5 for at in times) > 0.9 * len(times)


def test_rollbacks_hotfixes_and_reverts(small) -> None:
    root, _ = small
    rollbacks = {"deployment": 0, "actions": 0}
    hotfix = revert = 0
    for repo in repos(root):
        for deploys in production_deploys(repo).values():
            for i, (_, sha, how) in enumerate(deploys):
                if i >= 2 and sha != deploys[i - 1][1] and sha in {s for _, s, _ in deploys[:i]}:
                    rollbacks[how] += 1
        for pr in read_list(repo, "pulls"):
            if pr["merged_at"] and {"hotfix"} <= {label["name"] for label in pr["labels"]}:
                hotfix += pr["head"]["ref"].startswith("hotfix/")
            if pr["merged_at"] and pr["title"].startswith('Revert "'):
                revert += 1
                assert pr["body"].startswith("Reverts acme/")
    assert rollbacks["deployment"] and rollbacks["actions"], rollbacks
    assert hotfix and revert
    hotfixes = read_list(root / "github" / "acme" / HOTFIX_SERVICE, "pulls")
    assert any(p["head"]["ref"].startswith("hotfix/") for p in hotfixes)


def test_never_deploying_service(small) -> None:
    root, _ = small
    repo = root / "github" / "acme" / NEVER_DEPLOYS_SERVICE
    assert read_list(repo, "deployments") == []
    runs = read_list(repo, "workflow_runs")
    assert runs and not any(DEPLOY_RUN.search(r["name"] or r["path"]) for r in runs)
    assert read_list(repo, "pulls")
    assert components(root)[NEVER_DEPLOYS_SERVICE]["spec"]["lifecycle"] == "experimental"


def test_workflow_names(small) -> None:
    root, _ = small
    names = {r["name"] for repo in repos(root) for r in read_list(repo, "workflow_runs")}
    assert {
        "CI",
        "Deploy to production",
        "Deploy to staging",
        "CodeQL",
        "Dependency scan (SBOM)",
    } <= names
    assert "" in names
    empty = [r for repo in repos(root) for r in read_list(repo, "workflow_runs") if r["name"] == ""]
    assert all(r["path"].startswith(".github/workflows/") for r in empty)
    for service in MONOREPO_SERVICES:
        assert f"Deploy {service} to production" in names


# --- incidents and issues ---------------------------------------------------------------------
def test_pagerduty_incidents(small) -> None:
    root, _ = small
    incidents = [
        i
        for p in page_files(root / "pagerduty", "incidents")
        for i in json.loads(p.read_bytes())["incidents"]
    ]
    assert {i["status"] for i in incidents} == {"resolved", "acknowledged", "triggered"}
    resolved = [i for i in incidents if i["status"] == "resolved"]
    assert resolved and any("resolved_at" not in i for i in resolved)
    assert any(i["priority"] is None for i in incidents)
    assert {i["priority"]["summary"] for i in incidents if i["priority"]} <= {
        "P1",
        "P2",
        "P3",
        "P4",
    }
    for i in resolved:
        hours = ts(i.get("resolved_at") or i["last_status_change_at"]) - ts(i["created_at"])
        assert 0.5 <= hours.total_seconds() / 3600 <= 31
    pd_services = {
        c["metadata"]["annotations"].get("pagerduty.com/service-id"): name
        for name, c in components(root).items()
    }
    assert {i["service"]["id"] for i in incidents} <= set(pd_services)
    # Most incidents follow a deploy of their service within hours; some name the sha.
    deploys: dict[str, list[tuple[dt.datetime, str]]] = defaultdict(list)
    for repo in repos(root):
        for stream, items in production_deploys(repo).items():
            for service in MONOREPO_SERVICES if repo.name == MONOREPO else [repo.name]:
                if repo.name != MONOREPO or service in stream:
                    deploys[service] += [(at, sha) for at, sha, _ in items]
    after_deploy = unrelated = named = 0
    for i in incidents:
        service = pd_services[i["service"]["id"]]
        created = ts(i["created_at"])
        before = [at for at, _ in deploys[service] if at <= created]
        gap = (created - max(before)).total_seconds() / 3600 if before else 1e9
        after_deploy += gap <= 8
        unrelated += gap > 24
        named += any(sha[:7] in i["title"] for _, sha in deploys[service])
    assert after_deploy > len(incidents) / 2 and unrelated and named


def test_github_incidents_bugs_and_pull_request_items(small) -> None:
    root, _ = small
    items = [i for repo in repos(root) for i in read_list(repo, "issues")]
    labels = [{label["name"] for label in i["labels"]} for i in items]
    assert any("incident" in names for names in labels)
    assert any({"bug", "customer-reported"} <= names for names in labels)
    prs = [i for i in items if "pull_request" in i]
    assert prs and all(set(i["pull_request"]) >= {"url", "html_url", "merged_at"} for i in prs)
    closed = [
        i for i in items if "incident" in {lb["name"] for lb in i["labels"]} and i["closed_at"]
    ]
    assert closed


# --- catalog and inputs -----------------------------------------------------------------------
def test_catalog(small) -> None:
    root, _ = small
    docs = catalog(root)
    assert {d["apiVersion"] for d in docs} == {"backstage.io/v1alpha1"}
    teams = {
        d["metadata"]["name"]: d
        for d in docs
        if d["kind"] == "Group" and d["spec"]["type"] == "team"
    }
    assert {"payments", IMPROVING_TEAM, REGRESSING_TEAM, "platform"} == set(teams)
    assert all(t["spec"]["profile"]["displayName"] for t in teams.values())
    assert any(d["kind"] == "System" for d in docs)
    comps = components(root)
    assert len(comps) == 12
    for name, c in comps.items():
        notes = c["metadata"]["annotations"]
        assert notes["github.com/project-slug"].startswith("acme/")
        assert notes["stature.dev/tier"] in {"tier-1", "tier-2", "tier-3"}
        assert c["spec"]["owner"].removeprefix("group:default/") in teams, name
    assert {c["spec"]["lifecycle"] for c in comps.values()} == {
        "production",
        "experimental",
        "deprecated",
    }
    for key in (
        "stature.dev/runbook",
        "stature.dev/alerts",
        "stature.dev/slo",
        "stature.dev/endpoints",
    ):
        present = [key in c["metadata"]["annotations"] for c in comps.values()]
        assert any(present) and not all(present), key
    endpoints = ",".join(
        c["metadata"]["annotations"].get("stature.dev/endpoints", "") for c in comps.values()
    )
    assert "http://" in endpoints and "https://" in endpoints
    no_oncall = [
        n
        for n, c in comps.items()
        if c["spec"]["lifecycle"] == "production"
        and not {"pagerduty.com/service-id", "opsgenie.com/team"}
        & set(c["metadata"]["annotations"])
    ]
    assert no_oncall
    mono = [
        c
        for c in comps.values()
        if c["metadata"]["annotations"]["github.com/project-slug"] == f"acme/{MONOREPO}"
    ]
    assert len(mono) == 2 and all("stature.dev/paths" in c["metadata"]["annotations"] for c in mono)
    history = comps[REORG_SERVICE]["metadata"]["annotations"]["stature.dev/owner-history"]
    entries = [e.split("@") for e in history.split(",")]
    assert [team for team, _ in entries] == [REORG_FROM_TEAM, REORG_TO_TEAM]
    assert comps[REORG_SERVICE]["spec"]["owner"].removeprefix("group:default/") == REORG_TO_TEAM
    assert all(dt.date.fromisoformat(day) for _, day in entries)


def test_monorepo_commits_touch_their_service_paths(small) -> None:
    root, _ = small
    repo = root / "github" / "acme" / MONOREPO
    paths = {
        c["metadata"]["name"]: c["metadata"]["annotations"]["stature.dev/paths"]
        for c in components(root).values()
        if "stature.dev/paths" in c["metadata"]["annotations"]
    }
    prefixes = [g.removesuffix("**") for globs in paths.values() for g in globs.split(",")]
    touched = [f["filename"] for c in read_list(repo, "commits") for f in c.get("files", [])]
    assert touched and sum(any(t.startswith(p) for p in prefixes) for t in touched) > 0.7 * len(
        touched
    )


def test_inputs_cover_every_measure_and_period(small, demo) -> None:
    for root, _ in (small, demo):
        rows = []
        for path in sorted((root / "inputs").glob("*.csv")):
            with path.open(newline="") as handle:
                reader = csv.DictReader(handle)
                assert reader.fieldnames == [
                    "period",
                    "entity_type",
                    "entity_id",
                    "measure_id",
                    "value",
                    "unit",
                    "source",
                ]
                rows += list(reader)
        assert {r["measure_id"] for r in rows} == MEASURES
        for r in rows:
            float(r["value"])
            if r["measure_id"] == "slo_compliance":
                assert re.fullmatch(r"\d{4}-\d\d", r["period"]) and r["entity_type"] == "service"
            else:
                assert re.fullmatch(r"\d{4}-Q[1-4]", r["period"]) and r["entity_type"] in {
                    "team",
                    "org",
                }
    demo_root, _ = demo
    with (demo_root / "inputs" / "people.csv").open(newline="") as handle:
        quarters = {r["period"] for r in csv.DictReader(handle)}
    assert len(quarters) == 8 and min(quarters) == "2024-Q4" and max(quarters) == "2026-Q3"


# --- ndjson mode ------------------------------------------------------------------------------
def test_ndjson_mode(tmp_path: Path) -> None:
    out = tmp_path / "ndjson"
    summary = generate_sample_org(out, **SMALL, ndjson=True)
    assert summary["ndjson"]
    for repo in repos(out):
        assert not (repo / "pull_commits").exists() and not (repo / "pull_reviews").exists()
        assert not (repo / "deployment_statuses").exists()
        numbers = {p["number"] for p in read_list(repo, "pulls")}
        for name in ("pull_commits", "pull_reviews"):
            lines = [
                json.loads(line) for line in (repo / f"{name}.ndjson").read_text().splitlines()
            ]
            assert all(set(line) == {"number", "items"} for line in lines)
            assert {line["number"] for line in lines} == numbers
        lines = [
            json.loads(x) for x in (repo / "deployment_statuses.ndjson").read_text().splitlines()
        ]
        assert all(set(line) == {"deployment_id", "items"} for line in lines)
        assert {line["deployment_id"] for line in lines} == {
            d["id"] for d in read_list(repo, "deployments")
        }
    # The same records as the per-file form.
    per_file = generate_sample_org(tmp_path / "files", **SMALL)
    assert per_file["records"] == summary["records"]


# --- the story over two years -----------------------------------------------------------------
def _quarter(at: dt.datetime) -> str:
    return f"{at.year}-Q{(at.month - 1) // 3 + 1}"


def test_improving_and_regressing_teams(demo) -> None:
    """Quarter by quarter, per team (services that never changed team): deploys, lead, failures."""
    root, _ = demo
    comps = components(root)
    team_of = {n: c["spec"]["owner"].removeprefix("group:default/") for n, c in comps.items()}
    pd_service = {
        c["metadata"]["annotations"].get("pagerduty.com/service-id"): n for n, c in comps.items()
    }
    deploys: dict[tuple[str, str], int] = defaultdict(int)
    failures: dict[tuple[str, str], int] = defaultdict(int)
    lead: dict[tuple[str, str], list[float]] = defaultdict(list)
    for repo in repos(root):
        if repo.name == REORG_SERVICE:
            continue
        for stream, items in production_deploys(repo).items():
            service = next((s for s in MONOREPO_SERVICES if s in stream), repo.name)
            for i, (at, sha, _) in enumerate(items):
                deploys[(team_of[service], _quarter(at))] += 1
                if sha in {s for _, s, _ in items[: max(i - 1, 0)]} and sha != items[i - 1][1]:
                    failures[(team_of[service], _quarter(at))] += 1  # a rollback
        team = team_of.get(repo.name, IMPROVING_TEAM)
        for pr in read_list(repo, "pulls"):
            if not pr["merged_at"]:
                continue
            quarter = _quarter(ts(pr["merged_at"]))
            if pr["title"].startswith("Revert") or pr["head"]["ref"].startswith("hotfix/"):
                failures[(team, quarter)] += 1
            elif pr["user"]["type"] == "User":
                commits = pr_commits(repo, pr["number"])
                first = min(ts(c["commit"]["author"]["date"]) for c in commits)
                lead[(team, quarter)].append((ts(pr["merged_at"]) - first).total_seconds() / 3600)
    for page in page_files(root / "pagerduty", "incidents"):
        for incident in json.loads(page.read_bytes())["incidents"]:
            service = pd_service[incident["service"]["id"]]
            if service != REORG_SERVICE:
                failures[(team_of[service], _quarter(ts(incident["created_at"])))] += 1

    early, late = ("2024-Q4", "2025-Q1", "2025-Q2"), ("2026-Q1", "2026-Q2", "2026-Q3")

    def total(counts: dict[tuple[str, str], int], team: str, quarters: tuple[str, ...]) -> int:
        return sum(counts[(team, q)] for q in quarters)

    def rate(team: str, quarters: tuple[str, ...]) -> float:
        return total(failures, team, quarters) / total(deploys, team, quarters)

    def p50(team: str, quarters: tuple[str, ...]) -> float:
        return statistics.median(h for q in quarters for h in lead[(team, q)])

    up, down = IMPROVING_TEAM, REGRESSING_TEAM
    assert total(deploys, up, late) > 1.4 * total(deploys, up, early)
    assert total(deploys, down, late) < total(deploys, down, early) / 1.4
    assert rate(up, late) < rate(up, early) / 1.5
    assert rate(down, late) > 1.5 * rate(down, early)
    assert p50(up, late) < p50(up, early) / 1.5
    assert p50(down, late) > 1.5 * p50(down, early)


def test_default_demo_stays_small(demo) -> None:
    root, summary = demo
    size = sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    assert size < 60_000_000
    assert summary["days"] >= 730 and summary["services"] == 12


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "cli"
    code = sample_org.main(
        ["--out", str(out), "--days", "60", "--end", "2026-11-15", "--seed", "3"]
    )
    assert code == 0
    assert json.loads(capsys.readouterr().out)["repos"] == 11
    assert sample_org.main(["--out", str(out), "--services", "3"]) == 2
