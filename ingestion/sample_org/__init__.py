"""The deterministic sample org: a seeded export directory that the demo, tests and benchmarks load.

`generate_sample_org(out_dir)` writes the export layout (docs/sources.md):
Backstage catalog, GitHub pages (pulls, pull commits and reviews, commits, deployments and
their statuses, workflow runs, issues), PagerDuty incident pages and the manual-input CSVs.
Same arguments, same bytes: one `random.Random` per repo seeded from (seed, repo), no wall
clock, sorted iteration, ids derived from the repo's index.

The story (names are module constants, so the demo summary and the tests can rely on them):

- Org `acme`, teams `payments`, `storefront`, `discovery`, `platform` (more teams and
  services get generated names), one repo `acme/<service>` per service, except
  `acme/storefront-monorepo`, shared by `web-storefront` (`apps/web/**,packages/ui/**`) and
  `cart-service` (`services/cart/**`) through `stature.dev/paths`. In that repo every
  commit object carries a `files` list (the shape of `GET /commits/{sha}`) whose paths fall
  under one service's globs, PRs carry an `area/web` or `area/cart` label, and each service
  deploys through its own workflows, `Deploy <service> to production` /
  `Deploy <service> to staging` (path `.github/workflows/deploy-<service>.yml`).
- IMPROVING_TEAM `storefront`: deploy frequency rises and change failure rate, lead time
  (coding, pickup, review and deploy waits) and incident restore time fall quarter over
  quarter. REGRESSING_TEAM `discovery`: the reverse. `payments` and `platform` are steady.
  (Durations come from evenly spread quantiles and failures from error diffusion, so the
  trends show in quarterly figures rather than drowning in sampling noise.)
- REORG_SERVICE `catalog-service` moves from `platform` to `payments` (two steady teams, so
  the trends above stay the teams' own) in the middle of the history
  (`stature.dev/owner-history`; `spec.owner` is the new team).
- NEVER_DEPLOYS_SERVICE `ranking-lab` (lifecycle experimental): PRs and CI, no deployments.
  DEPRECATED_SERVICE `legacy-reports` deploys rarely and has an `http://` endpoint.
- Deployments: `checkout-api`, `payments-ledger`, `search-api`, `search-indexer`,
  `auth-gateway` (and every other generated service) use GitHub Deployments created by an
  external CD bot (statuses pending -> in_progress -> success/failure; environments
  `production`, `staging`, and `prod` now and then for `payments-ledger`/`search-indexer`;
  statuses from the first quarter of the history lack `environment`, staging deployments get
  `inactive` when superseded). The others deploy with GitHub Actions (`Deploy to production`
  / `Deploy to staging`, conclusion success/failure/cancelled; a failed deploy is retried by
  a new run, or re-run as attempt 2, which the runs list shows as one successful run).
  Every production deploy ships the main head of its moment; staging gets the same sha first.
- Scenario points (fractions of the history): `checkout-api` failed deploy then retry (35%),
  Sunday hotfix deploy (40%), rollback to the previous sha after an incident naming the bad
  sha, then a fix PR (55%); `fraud-scoring` rollback (30%) and a failed Actions deploy
  retried by a new run (60%); `cart-service` re-run attempt 2 (50%); `search-api` incident
  -> `hotfix/...` PR -> deploy (45%); `web-storefront` revert PR `Revert "<title>"` (65%);
  `recommendations-api` (no on-call annotation) incident as a GitHub issue (40%);
  `payments-ledger` production deploy finishing at 23:30:00 UTC on a Thursday (70%);
  `auth-gateway` PagerDuty incident on a Sunday more than 24 h after its last deploy (50%).
  Beyond those, bad deploys (incident, rollback, hotfix, revert) follow each team's trend.
- PRs merge by squash (`Title (#n)` on main, one parent), merge commit (two parents; the
  branch commits join main) or rebase (commits replayed by GitHub; merge_commit_sha is the
  last). Closed-unmerged and open PRs carry a test-merge `merge_commit_sha` that is not on
  main. Dependabot PRs, drafts, PRs without reviews, direct pushes in a few repos.
- Incidents: PagerDuty for services with `pagerduty.com/service-id` (20% of resolved ones
  lack `resolved_at`; two are still open at the export's moment: one acknowledged
  (`auth-gateway`), one triggered (`search-api`)), GitHub issues
  labelled `incident` for the others. Issues pages hold the `incident`, `bug` and
  `customer-reported` issues, plus the PRs labelled `bug` as the issues endpoint returns them
  (with a `pull_request` key).
- Catalog: `catalog/groups.yaml` (a department Group and the team Groups),
  `catalog/systems.yaml`, one `catalog/<repo>.yaml` per repo (both monorepo Components in
  one file); `spec.owner` is written both as `team` and `group:default/team`. Tiers 1-3,
  lifecycles production/experimental/deprecated; runbook, alerts, endpoints and SLO
  annotations present on some services only; NO_ONCALL_SERVICE `recommendations-api` is in
  production without `pagerduty.com/service-id` (its incidents are GitHub issues).
- Pages are compact JSON, at most 100 items; PagerDuty pages list incidents oldest first,
  numbered account-wide in creation order. `inputs/` holds slo_compliance (per service with
  an SLO, per complete month) and the team/org measures per complete calendar quarter
  (`YYYY-Qn`), with a few rows missing on purpose.
- The history starts at the first day of the quarter holding `end - days`, so the default
  (730 days to 2026-11-15) covers eight full quarters, 2024-Q4 .. 2026-Q3; it ends at
  `end` 00:00 UTC (the export's moment: nothing later exists).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from ingestion.sample_org.catalog import write_catalog
from ingestion.sample_org.export import write_repo
from ingestion.sample_org.github import RepoShapes
from ingestion.sample_org.inputs import write_inputs
from ingestion.sample_org.org import (
    DEPRECATED_SERVICE,
    HOTFIX_SERVICE,
    IMPROVING_TEAM,
    MONOREPO,
    MONOREPO_SERVICES,
    NEVER_DEPLOYS_SERVICE,
    NO_ONCALL_SERVICE,
    REGRESSING_TEAM,
    REORG_FROM_TEAM,
    REORG_SERVICE,
    REORG_TO_TEAM,
    REVERT_SERVICE,
    ROLLBACK_SERVICES,
    build_org,
)
from ingestion.sample_org.pagerduty import IncidentSpool, incident_object
from ingestion.sample_org.simulate import RepoSimulation
from ingestion.sample_org.timeutil import epoch, quarter_start

__all__ = [
    "DEPRECATED_SERVICE",
    "HOTFIX_SERVICE",
    "IMPROVING_TEAM",
    "MONOREPO",
    "MONOREPO_SERVICES",
    "NEVER_DEPLOYS_SERVICE",
    "NO_ONCALL_SERVICE",
    "REGRESSING_TEAM",
    "REORG_FROM_TEAM",
    "REORG_SERVICE",
    "REORG_TO_TEAM",
    "REVERT_SERVICE",
    "ROLLBACK_SERVICES",
    "generate_sample_org",
    "main",
]

# Top-level entries of an export directory: the only things `generate_sample_org` will wipe.
_EXPORT_ENTRIES = {"catalog", "github", "gitlab", "jenkins", "pagerduty", "opsgenie", "inputs"}


def _prepare(out_dir: Path) -> None:
    """Empty `out_dir` of a previous export; refuse a directory that holds anything else."""
    if out_dir.exists():
        if not out_dir.is_dir():
            raise ValueError(f"{out_dir}: exists and is not a directory; choose another --out")
        entries = [p for p in out_dir.iterdir() if not p.name.startswith(".")]
        strangers = sorted(p.name for p in entries if p.name not in _EXPORT_ENTRIES)
        if strangers:
            raise ValueError(
                f"{out_dir}: not an export directory (it holds {', '.join(strangers[:5])}); "
                "refusing to wipe it: remove it or choose another --out"
            )
        for entry in entries:
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry)
            else:
                entry.unlink()
    out_dir.mkdir(parents=True, exist_ok=True)


def generate_sample_org(
    out_dir: Path,
    *,
    seed: int = 7,
    end: dt.date = dt.date(2026, 11, 15),
    days: int = 730,
    services: int = 12,
    teams: int = 4,
    org: str = "acme",
    ndjson: bool = False,
    scale: float = 1.0,
    export_at: dt.date | None = None,
) -> dict[str, Any]:
    """Wipe `out_dir` and write the sample org's export there; returns a summary.

    `scale` multiplies the PR, push and issue rates (not the deploy cadence). With `ndjson`,
    per-PR and per-deployment files become one `.ndjson` file per repo and endpoint.
    `export_at` (default `end`) is the export's moment: the org's story runs to `end`, and
    the export shows it as it stood at `export_at` midnight UTC. The same org exported a day
    later changes only the files that gained or changed a record: how a nightly export
    grows (the benchmark's one-day increment, the increments-equal-a-full-build test).
    """
    if days < 28:
        raise ValueError("days must be at least 28")
    if scale <= 0:
        raise ValueError("scale must be positive")
    out_dir = Path(out_dir)
    start = quarter_start(end - dt.timedelta(days=days))
    cut = export_at or end
    if not start < cut <= end:
        raise ValueError(f"export_at must be after {start} and no later than end ({end})")
    model = build_org(seed=seed, org=org, start=start, end=end, services=services, teams=teams)
    _prepare(out_dir)

    files: Counter = Counter()
    records: Counter = Counter()
    files["catalog"] = write_catalog(out_dir / "catalog", model)
    incident_hours: dict[tuple[str, str], float] = {}
    end_ts = epoch(cut)
    with tempfile.TemporaryFile() as scratch:
        spool = IncidentSpool(scratch)
        for index, (repo, repo_services) in enumerate(model.repos()):
            # One repo at a time: simulate, write, forget (only incidents are kept, on disk).
            history = RepoSimulation(model, repo, repo_services, seed, scale).run()
            shapes = RepoShapes(org, repo, index)
            repo_files, repo_records = write_repo(
                history, shapes, out_dir / "github" / org / repo, end_ts, ndjson
            )
            files.update(repo_files)
            records.update(repo_records)
            for incident in history.incidents:
                if incident.created_at < end_ts:
                    team = incident.service.team_at(incident.created_at)
                    spool.add(incident_object(incident, team, org, end_ts))
            incident_hours.update(history.incident_hours)
        records["pagerduty_incidents"] = len(spool)
        files["pagerduty_incidents"] = spool.write(out_dir / "pagerduty")
    input_files, input_rows = write_inputs(
        out_dir / "inputs", model, incident_hours, seed, until=cut
    )
    files["inputs"] = input_files
    records["input_rows"] = input_rows
    return {
        "out_dir": str(out_dir),
        "org": org,
        "seed": seed,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "export_at": cut.isoformat(),
        "days": (end - start).days,
        "services": len(model.services),
        "teams": len(model.teams),
        "repos": len(model.repos()),
        "ndjson": ndjson,
        "files": dict(sorted(files.items())),
        "records": dict(sorted(records.items())),
        "scenario": {
            "improving_team": IMPROVING_TEAM,
            "regressing_team": REGRESSING_TEAM,
            "reorg_service": REORG_SERVICE,
            "reorg": f"{REORG_FROM_TEAM} -> {REORG_TO_TEAM} on {model.reorg_date.isoformat()}",
            "never_deploys_service": NEVER_DEPLOYS_SERVICE,
            "monorepo": f"{org}/{MONOREPO}",
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m ingestion.sample_org",
        description="Write the deterministic sample org's export directory (wipes --out).",
    )
    parser.add_argument("--out", required=True, type=Path, help="export directory to (re)write")
    parser.add_argument(
        "--end",
        type=dt.date.fromisoformat,
        default=dt.date(2026, 11, 15),
        help="the export's date: history ends at its midnight UTC",
    )
    parser.add_argument(
        "--days", type=int, default=730, help="days of history (from a quarter start)"
    )
    parser.add_argument("--services", type=int, default=12)
    parser.add_argument("--teams", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--org", default="acme")
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies PR and issue volume")
    parser.add_argument(
        "--export-at",
        type=dt.date.fromisoformat,
        default=None,
        help="the export's moment (default --end): the same org as it stood that day",
    )
    parser.add_argument(
        "--ndjson",
        action="store_true",
        help="one .ndjson per repo for PR commits/reviews and deployment statuses",
    )
    args = parser.parse_args(argv)
    try:
        summary = generate_sample_org(
            args.out,
            seed=args.seed,
            end=args.end,
            days=args.days,
            services=args.services,
            teams=args.teams,
            org=args.org,
            ndjson=args.ndjson,
            scale=args.scale,
            export_at=args.export_at,
        )
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(summary, indent=2))
    return 0
