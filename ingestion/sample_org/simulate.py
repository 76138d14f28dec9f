"""One repository's history, simulated event by event in time order.

Pull requests, merges (squash / merge commit / rebase), direct pushes, staging and production
deploys, failed and retried deploys, rollbacks, hotfix and revert PRs, incidents and issues are
events on one clock; each reads the state the earlier ones left (the main head, the last
production deploy), so the commit graph, the deployments and the incidents agree with each
other. The result is plain records; `export.py` renders and writes them.
"""

from __future__ import annotations

import heapq
import random
from dataclasses import dataclass, field
from typing import Any

from ingestion.sample_org import vocab
from ingestion.sample_org.github import sha_of
from ingestion.sample_org.org import (
    DEPENDABOT,
    DEPLOY_BOT,
    EMPTY_RUN_NAME_SERVICE,
    HOTFIX_SERVICE,
    LATE_DEPLOY_SERVICE,
    MONOREPO,
    NO_ONCALL_SERVICE,
    REVERT_SERVICE,
    ROLLBACK_SERVICES,
    SUNDAY_DEPLOY_SERVICE,
    UNRELATED_INCIDENT_SERVICE,
    WEB_FLOW,
    Dev,
    Org,
    Service,
)
from ingestion.sample_org.timeutil import (
    DAY,
    HOUR,
    MINUTE,
    Diffusion,
    Spread,
    is_business_day,
    iso,
    next_business_morning,
    to_business_hours,
    weekday,
)

FileChange = tuple[str, int, int]


@dataclass(slots=True)
class Commit:
    sha: str
    parents: tuple[str, ...]
    author: Dev
    authored: int
    committer: Dev
    committed: int
    message: str
    tree: str
    files: tuple[FileChange, ...] | None = None
    author_unlinked: bool = False
    seq: int = 0


@dataclass(slots=True)
class PullRequest:
    service: Service
    kind: str  # feature | fix | deps | hotfix | revert
    title: str
    body: str
    branch: str
    author: Dev
    first_commit_at: int
    opened_at: int
    commit_plan: list[tuple[int, str]]  # (authored, message)
    outcome: str  # merge | close | open
    method: str  # squash | merge | rebase
    merge_at: int | None
    close_at: int | None
    labels: list[str]
    draft: bool
    reviews: list[tuple[Dev, str, int, str]]  # (reviewer, state, submitted_at, body)
    files: tuple[FileChange, ...] | None = None
    number: int = 0
    commits: list[Commit] = field(default_factory=list)
    branch_base: str = ""
    merged_at: int | None = None
    closed_at: int | None = None
    merge_commit_sha: str | None = None
    test_merge_sha: str | None = None
    base_at_merge: str | None = None
    merged_by: Dev | None = None
    reverts: PullRequest | None = None

    def visible_commits(self, end: int) -> list[Commit]:
        return [c for c in self.commits if c.committed < end]

    def head_sha(self, end: int) -> str:
        visible = self.visible_commits(end)
        return visible[-1].sha if visible else self.branch_base

    def head_at(self, ts: int) -> str:
        head = self.branch_base
        for c in self.commits:
            if c.committed <= ts:
                head = c.sha
        return head

    def base_sha_at(self, end: int) -> str:
        if self.merged_at is not None and self.merged_at < end and self.base_at_merge:
            return self.base_at_merge
        return self.branch_base

    def updated_at(self, end: int) -> int:
        times = [self.opened_at]
        times += [c.committed for c in self.commits if c.committed < end]
        times += [r[2] for r in self.reviews if r[2] < end]
        for t in (self.merged_at, self.closed_at):
            if t is not None and t < end:
                times.append(t)
        return max(times)


@dataclass(slots=True)
class Deployment:
    service: Service
    environment: str
    sha: str
    ref: str
    description: str | None
    creator: Dev
    created_at: int
    statuses: list[tuple[str, int]]
    production: bool
    payload: dict[str, Any]
    environment_url: str
    legacy_statuses: bool  # statuses recorded before the API returned `environment`
    target_run: int | None = None


@dataclass(slots=True)
class Run:
    workflow: str  # workflow key (file)
    name: str
    path: str
    event: str
    head_branch: str
    head_sha: str
    head_commit: Commit
    display_title: str
    created_at: int
    run_started_at: int
    updated_at: int
    conclusion: str
    actor: Dev
    run_attempt: int = 1
    triggering_actor: Dev | None = None
    pull: PullRequest | None = None  # the PR a `pull_request` run ran for


@dataclass(slots=True)
class Issue:
    number: int
    title: str
    body: str
    labels: list[str]
    author: Dev
    created_at: int
    closed_at: int | None
    state_reason: str | None = None
    assignee: Dev | None = None
    comments: int = 0
    pull: PullRequest | None = None
    last_activity: int = 0

    def updated_at(self, end: int) -> int:
        return min(max(self.created_at, self.last_activity), end - 1)


@dataclass(slots=True)
class Incident:
    """An incident before rendering (PagerDuty or a GitHub issue, by the service)."""

    service: Service
    created_at: int
    acknowledged_at: int
    resolved_at: int
    title: str
    description: str
    urgency: str
    priority: str | None
    responder: Dev
    omit_resolved_at: bool
    incident_key: str


@dataclass
class Workflow:
    key: str
    name: str
    path: str


@dataclass
class RepoHistory:
    """Everything that happened in one repo, ready to render."""

    name: str
    services: list[Service]
    main: list[Commit]
    pulls: list[PullRequest]
    issues: list[Issue]
    deployments: list[Deployment]
    runs: list[Run]
    workflows: dict[str, Workflow]
    incidents: list[Incident]  # PagerDuty ones; GitHub incidents are issues
    incident_hours: dict[tuple[str, str], float]  # (service, YYYY-MM) -> hours of impact
    monorepo: bool


class RepoSimulation:
    def __init__(self, org: Org, repo: str, services: list[Service], seed: int, scale: float):
        self.org = org
        self.repo = repo
        self.full = f"{org.name}/{repo}"
        self.services = services
        self.scale = scale
        self.rng = random.Random(f"{seed}:repo:{repo}")
        self.start = org.start_ts
        self.end = org.end_ts
        self.monorepo = repo == MONOREPO or len(services) > 1
        self._heap: list[tuple[int, int, str, Any]] = []
        self._seq = 0
        self._sha_counter = 0
        self._main_seq = 0
        self.by_sha: dict[str, Commit] = {}
        self.now = self.start
        self.number = 0
        self.main: list[Commit] = []
        self.pulls: list[PullRequest] = []
        self.issues: list[Issue] = []
        self.deployments: list[Deployment] = []
        self.runs: list[Run] = []
        self.incidents: list[Incident] = []
        self.incident_hours: dict[tuple[str, str], float] = {}
        self.last_prod: dict[str, tuple[str, int]] = {}
        self.prod_shas: dict[str, list[str]] = {s.name: [] for s in services}
        self.merged_since: dict[str, list[PullRequest]] = {s.name: [] for s in services}
        self.last_staging: dict[str, Deployment] = {}
        self.workflows = self._workflows()
        rng = self.rng
        # One evenly spread sequence per service and duration, so trends are not noise.
        self.spread = {
            (s.name, kind): Spread(rng.random())
            for s in services
            for kind in ("coding", "pickup", "review", "restore", "detect", "deploy")
        }
        self.bad = {s.name: Diffusion(rng.random()) for s in services}
        self.job_fail = {s.name: Diffusion(rng.random()) for s in services}
        self.prod_alias = {s.name: Diffusion(rng.random()) for s in services}
        weights = [(0.7, 0.2, 0.1), (0.3, 0.55, 0.15), (0.45, 0.15, 0.4)][services[0].index % 3]
        self.method_weights = weights
        self.legacy_cutoff = self.start + int((self.end - self.start) * 0.25)

    # --- the event loop -------------------------------------------------------------------
    def push(self, at: int, kind: str, data: Any) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (at, self._seq, kind, data))

    def run(self) -> RepoHistory:
        self._seed_history()
        for service in self.services:
            self._plan_service(service)
        self._plan_scenario()
        handlers = {
            "branch": self._on_branch,
            "open": self._on_open,
            "merge": self._on_merge,
            "close": self._on_close,
            "push": self._on_direct_push,
            "deploy": self._on_deploy,
            "rollback": self._on_rollback,
            "incident": self._on_incident,
            "unrelated": self._on_unrelated_incident,
            "open_incident": self._on_open_incident,
            "bug": self._on_bug,
            "scan": self._on_scan,
        }
        horizon = self.end - 10 * MINUTE  # nothing starts in the export's last minutes
        while self._heap:
            at, _, kind, data = heapq.heappop(self._heap)
            if at >= horizon:
                break
            self.now = at
            handlers[kind](at, data)
        return RepoHistory(
            name=self.repo,
            services=self.services,
            main=self.main,
            pulls=self.pulls,
            issues=self.issues,
            deployments=self.deployments,
            runs=self.runs,
            workflows=self.workflows,
            incidents=self.incidents,
            incident_hours=self.incident_hours,
            monorepo=self.monorepo,
        )

    # --- helpers --------------------------------------------------------------------------
    def q(self, service: Service, at: int) -> float:
        return service.team_at(at).quality(self.org.fraction(at))

    def lognormal(self, service: Service, kind: str, median: float, sigma: float) -> float:
        return median * 2.718281828459045 ** (sigma * self.spread[(service.name, kind)].z())

    def dev(self, service: Service, at: int, avoid: Dev | None = None) -> Dev:
        devs = service.team_at(at).devs
        core = [devs[(service.index * 3 + k) % len(devs)] for k in range(4)]
        choices = [d for d in core if d != avoid] or core
        return self.rng.choice(choices)

    def head(self) -> Commit:
        return self.main[-1]

    def new_sha(self, *parts: object) -> str:
        self._sha_counter += 1
        return sha_of(self.full, self._sha_counter, *parts)

    def commit(
        self,
        parents: tuple[str, ...],
        author: Dev,
        authored: int,
        committer: Dev,
        committed: int,
        message: str,
        files: tuple[FileChange, ...] | None,
    ) -> Commit:
        sha = self.new_sha(authored)
        return Commit(
            sha=sha,
            parents=parents,
            author=author,
            authored=authored,
            committer=committer,
            committed=committed,
            message=message,
            tree=sha_of("tree", sha),
            files=files if self.monorepo else None,
            author_unlinked=author.type == "User" and self.rng.random() < 0.02,
        )

    def add_main(self, commit: Commit) -> None:
        self._main_seq += 1
        commit.seq = self._main_seq
        self.main.append(commit)
        self.by_sha[commit.sha] = commit

    def files_for(self, service: Service, kind: str) -> tuple[FileChange, ...] | None:
        if not self.monorepo:
            return None
        rng = self.rng
        if kind == "deps":
            return (("package.json", 1, 1), ("pnpm-lock.yaml", 40, 38))
        if kind == "docs":
            return (("README.md", rng.randint(1, 12), rng.randint(0, 5)),)
        module = rng.choice(vocab.MODULES)
        if service.path_root.startswith("apps/web"):
            paths = [f"{service.path_root}/{module}/{rng.choice(vocab.COMPONENTS)}.tsx"]
            if rng.random() < 0.3:
                paths.append(f"packages/ui/src/{rng.choice(vocab.COMPONENTS)}.tsx")
        else:
            paths = [f"{service.path_root}/internal/{module}/{module}.go"]
            if rng.random() < 0.5:
                paths.append(f"{service.path_root}/internal/{module}/{module}_test.go")
        return tuple((p, rng.randint(2, 120), rng.randint(0, 60)) for p in paths)

    def area_labels(self, service: Service) -> list[str]:
        if not self.monorepo:
            return []
        return ["area/web" if service.path_root.startswith("apps/web") else "area/cart"]

    def _workflows(self) -> dict[str, Workflow]:
        flows = {"ci": Workflow("ci", "CI", ".github/workflows/ci.yml")}
        if any(s.codeql for s in self.services):
            if any(s.name == EMPTY_RUN_NAME_SERVICE for s in self.services):
                flows["codeql"] = Workflow("codeql", "", ".github/workflows/codeql-analysis.yml")
            else:
                flows["codeql"] = Workflow("codeql", "CodeQL", ".github/workflows/codeql.yml")
        if any(s.sbom for s in self.services):
            flows["sbom"] = Workflow("sbom", "Dependency scan (SBOM)", ".github/workflows/sbom.yml")
        for s in self.services:
            if s.deploys_via != "actions":
                continue
            if self.monorepo:
                flows[f"deploy-prod:{s.name}"] = Workflow(
                    f"deploy-prod:{s.name}",
                    f"Deploy {s.name} to production",
                    f".github/workflows/deploy-{s.name}.yml",
                )
                flows[f"deploy-staging:{s.name}"] = Workflow(
                    f"deploy-staging:{s.name}",
                    f"Deploy {s.name} to staging",
                    f".github/workflows/deploy-{s.name}-staging.yml",
                )
            else:
                flows[f"deploy-prod:{s.name}"] = Workflow(
                    f"deploy-prod:{s.name}", "Deploy to production", ".github/workflows/deploy.yml"
                )
                flows[f"deploy-staging:{s.name}"] = Workflow(
                    f"deploy-staging:{s.name}",
                    "Deploy to staging",
                    ".github/workflows/deploy-staging.yml",
                )
        return flows

    # --- planning -------------------------------------------------------------------------
    def _seed_history(self) -> None:
        """The oldest listed commit; its parent lies beyond the history horizon."""
        service = self.services[0]
        at = self.start + 6 * HOUR
        author = self.dev(service, at)
        beyond = sha_of(self.full, "before-horizon")
        seed = self.commit(
            (beyond,),
            author,
            at,
            author,
            at,
            vocab.seed_message(self.rng),
            self.files_for(service, "docs"),
        )
        self.add_main(seed)

    def _plan_service(self, s: Service) -> None:
        rng = self.rng
        start, end = self.start, self.end
        pr_acc, deploy_acc, push_acc, bug_acc = (
            rng.random(),
            rng.random(),
            rng.random(),
            rng.random(),
        )
        day = start
        while day < end:
            business = is_business_day(day)
            q = self.q(s, day)
            pr_rate = s.pr_rate * self.scale * (0.36 + 0.88 * q)  # per week
            pr_acc += (pr_rate / 5 if business else pr_rate * 0.02) * rng.uniform(0.6, 1.4)
            while pr_acc >= 1:
                pr_acc -= 1
                opened = day + int(rng.uniform(8.5, 18.0) * HOUR)
                self._plan_pr(s, opened)
            if business and s.deploys_via:
                deploy_acc += (0.6 + 5.5 * q) * s.deploy_rate_factor / 5
                slots = []
                while deploy_acc >= 1:
                    deploy_acc -= 1
                    slots.append(day + int(rng.uniform(10.0, 17.5) * HOUR))
                for at in sorted(slots):
                    self.push(at, "deploy", (s, {}))
            if business and s.direct_pushes:
                push_acc += 0.12 * self.scale
                if push_acc >= 1:
                    push_acc -= 1
                    self.push(day + int(rng.uniform(8, 19) * HOUR), "push", s)
            bug_acc += 0.06 * self.scale
            if bug_acc >= 1:
                bug_acc -= 1
                self.push(day + int(rng.uniform(0, 24) * HOUR), "bug", s)
            if s.deploys_via and rng.random() < 0.25 / 30:
                self.push(day + int(rng.uniform(0, 24) * HOUR), "unrelated", (s, 0, False))
            if weekday(day) == 0 and s is self.services[0]:
                self.push(day + 3 * HOUR + 17 * MINUTE, "scan", "codeql")
            if weekday(day) == 1 and s is self.services[0]:
                self.push(day + 4 * HOUR + 5 * MINUTE, "scan", "sbom")
            day += DAY

    def _plan_pr(self, s: Service, opened: int) -> None:
        rng = self.rng
        q = self.q(s, opened)
        roll = rng.random()
        kind = "deps" if roll < 0.08 else ("fix" if roll < 0.22 else "feature")
        labels: list[str] = []
        if kind == "deps":
            author = DEPENDABOT
            title, branch = vocab.dependency_bump(rng, s.language, s.path_root)
            body = vocab.dependency_body(title)
            plan = [(opened - 40, title)]
            labels.append("dependencies")
        else:
            author = self.dev(s, opened)
            title = vocab.pr_title(rng, kind)
            branch = f"{'fix' if kind == 'fix' else 'feature'}/{vocab.slug(title)}-{rng.randint(10, 999)}"
            body = vocab.pr_body(rng, title)
            coding = min(max(self.lognormal(s, "coding", 2 + 40 * (1 - q), 0.9), 0.2), 400)
            first = opened - int(coding * HOUR)
            n_commits = 1 + min(4, int(rng.expovariate(0.9)))
            times = sorted(rng.randint(first, opened - 60) for _ in range(n_commits - 1))
            plan = [(first, title)] + [(t, vocab.commit_message(rng)) for t in times]
            if kind == "fix" and rng.random() < 0.45:
                labels.append("bug")
            elif kind == "feature" and rng.random() < 0.15:
                labels.append("enhancement")
        labels += self.area_labels(s)
        roll = rng.random()
        outcome = "merge" if roll < 0.88 else ("close" if roll < 0.96 else "open")
        method = rng.choices(("squash", "merge", "rebase"), self.method_weights)[0]
        if kind == "deps":
            method = "squash" if method == "merge" else method
        pickup = min(max(self.lognormal(s, "pickup", 0.7 + 14 * (1 - q), 1.0), 0.05), 200)
        review = min(max(self.lognormal(s, "review", 0.4 + 10 * (1 - q), 1.0), 0.05), 200)
        n_reviews = rng.choices(
            (0, 1, 2, 3), (0.5, 0.4, 0.1, 0.0) if kind == "deps" else (0.1, 0.55, 0.25, 0.1)
        )[0]
        merge_at = close_at = None
        first_review = opened + int(pickup * HOUR)
        if outcome == "merge":
            merge_at = first_review + int(review * HOUR)
            if rng.random() < 0.85:
                merge_at = to_business_hours(merge_at, rng.random())
        elif outcome == "close":
            close_at = opened + int(min(max(rng.lognormvariate(3.5, 1.0), 0.5), 900) * HOUR)
        last = merge_at or close_at or (opened + 30 * DAY)
        reviews: list[tuple[Dev, str, int, str]] = []
        if n_reviews and first_review < last - 120:
            later = sorted(rng.randint(first_review + 60, last - 60) for _ in range(n_reviews - 1))
            times = [first_review, *later]
            for i, at in enumerate(times):
                final = i == len(times) - 1
                if final and outcome == "merge":
                    state = "APPROVED"
                elif final and outcome == "close":
                    state = rng.choice(("CHANGES_REQUESTED", "COMMENTED"))
                else:
                    state = rng.choices(("CHANGES_REQUESTED", "COMMENTED", "APPROVED"), (4, 5, 1))[
                        0
                    ]
                reviewer = self.dev(s, at, avoid=author)
                reviews.append((reviewer, state, at, vocab.review_body(rng, state)))
            if outcome == "merge" and len(times) > 1 and rng.random() < 0.6:
                plan.append((rng.randint(times[0] + 30, times[-1] - 30), "Address review comments"))
        draft = outcome == "open" and rng.random() < 0.5
        pr = PullRequest(
            service=s,
            kind=kind,
            title=title,
            body=body,
            branch=branch,
            author=author,
            first_commit_at=plan[0][0],
            opened_at=opened,
            commit_plan=plan,
            outcome=outcome,
            method=method,
            merge_at=merge_at,
            close_at=close_at,
            labels=labels,
            draft=draft,
            reviews=reviews,
            files=self.files_for(s, "deps" if kind == "deps" else "code"),
        )
        self.push(max(pr.first_commit_at, self.start + 7 * HOUR), "branch", pr)

    def _plan_scenario(self) -> None:
        """The features the demo and tests rely on, placed at fixed points of the history."""
        org = self.org
        names = {s.name: s for s in self.services}

        def business_day_at(f: float, hour: float) -> int:
            day = org.at_fraction(f)
            while not is_business_day(day):
                day += DAY
            return day + int(hour * HOUR)

        if SUNDAY_DEPLOY_SERVICE in names:
            s = names[SUNDAY_DEPLOY_SERVICE]
            self.push(
                business_day_at(0.35, 11.2),
                "deploy",
                (s, {"force": True, "job_fail": True, "bad": "none"}),
            )
            sunday = org.at_fraction(0.40)
            while weekday(sunday) != 6:
                sunday += DAY
            self._plan_hotfix(
                s,
                sunday + 12 * HOUR + 10 * MINUTE,
                "Payment form rejects valid cards",
                skip_staging=True,
                fast=True,
            )
        for f, name in ((0.55, ROLLBACK_SERVICES[0]), (0.30, ROLLBACK_SERVICES[1])):
            if name in names:
                self.push(
                    business_day_at(f, 11.0),
                    "deploy",
                    (
                        names[name],
                        {
                            "force": True,
                            "job_fail": False,
                            "bad": "rollback",
                            "with_incident": True,
                            "name_sha": True,
                        },
                    ),
                )
        if "fraud-scoring" in names:
            self.push(
                business_day_at(0.60, 14.0),
                "deploy",
                (
                    names["fraud-scoring"],
                    {"force": True, "job_fail": True, "rerun": False, "bad": "none"},
                ),
            )
        if "cart-service" in names:
            self.push(
                business_day_at(0.50, 15.0),
                "deploy",
                (
                    names["cart-service"],
                    {"force": True, "job_fail": True, "rerun": True, "bad": "none"},
                ),
            )
        if HOTFIX_SERVICE in names:
            self.push(
                business_day_at(0.45, 10.5),
                "deploy",
                (
                    names[HOTFIX_SERVICE],
                    {
                        "force": True,
                        "job_fail": False,
                        "bad": "incident",
                        "recovery_kind": "hotfix",
                        "name_sha": True,
                    },
                ),
            )
        if REVERT_SERVICE in names:
            self.push(
                business_day_at(0.65, 11.5),
                "deploy",
                (names[REVERT_SERVICE], {"force": True, "job_fail": False, "bad": "revert"}),
            )
        if NO_ONCALL_SERVICE in names:
            self.push(
                business_day_at(0.40, 13.0),
                "deploy",
                (
                    names[NO_ONCALL_SERVICE],
                    {
                        "force": True,
                        "job_fail": False,
                        "bad": "incident",
                        "recovery_kind": "none",
                        "name_sha": True,
                    },
                ),
            )
        if LATE_DEPLOY_SERVICE in names:
            day = business_day_at(0.70, 0)
            while weekday(day) != 3:  # a Thursday night
                day += DAY
            finish = day + 23 * HOUR + 30 * MINUTE
            self.push(
                finish - 14 * MINUTE,
                "deploy",
                (
                    names[LATE_DEPLOY_SERVICE],
                    {
                        "force": True,
                        "job_fail": False,
                        "bad": "none",
                        "finish_at": finish,
                        "skip_staging": True,
                    },
                ),
            )
        if UNRELATED_INCIDENT_SERVICE in names:
            sunday = org.at_fraction(0.50)
            while weekday(sunday) != 6:
                sunday += DAY
            self.push(
                sunday + 3 * HOUR + 40 * MINUTE,
                "unrelated",
                (names[UNRELATED_INCIDENT_SERVICE], 0, True),
            )
        # Still open when the export was taken: one acknowledged, one not even acknowledged.
        if UNRELATED_INCIDENT_SERVICE in names:
            self.push(self.end - 3 * HOUR, "open_incident", (names[UNRELATED_INCIDENT_SERVICE], 25))
        if HOTFIX_SERVICE in names:
            self.push(self.end - 15 * MINUTE, "open_incident", (names[HOTFIX_SERVICE], 40))

    # --- pull requests --------------------------------------------------------------------
    def _on_branch(self, at: int, pr: PullRequest) -> None:
        base = self.head()
        pr.branch_base = base.sha
        parent = base.sha
        floor = ready = base.committed
        for planned, message in sorted(pr.commit_plan):
            authored = max(planned, floor + 1)
            floor = authored
            if planned <= pr.opened_at:
                ready = authored  # pushed before the PR was opened (later ones answer reviews)
            c = self.commit((parent,), pr.author, authored, pr.author, authored, message, pr.files)
            pr.commits.append(c)
            parent = c.sha
        self.push(max(pr.opened_at, ready + 1), "open", pr)

    def _on_open(self, at: int, pr: PullRequest) -> None:
        self.number += 1
        pr.number = self.number
        pr.opened_at = at
        self.pulls.append(pr)
        if self.rng.random() < 0.92:  # GitHub's test merge (absent when it conflicts)
            pr.test_merge_sha = sha_of(self.full, "refs/pull", pr.number, "merge")
        head = [c for c in pr.commits if c.committed <= at] or pr.commits[:1]
        self._ci(
            at + self.rng.randint(5, 40),
            "pull_request",
            pr.branch,
            head[-1],
            pr.title,
            pr.author,
            pr,
        )
        if pr.outcome == "merge" and pr.merge_at is not None:
            self.push(max(pr.merge_at, pr.commits[-1].committed + 60, at + 60), "merge", pr)
        elif pr.outcome == "close" and pr.close_at is not None:
            self.push(max(pr.close_at, at + 60), "close", pr)

    def _on_merge(self, at: int, pr: PullRequest) -> None:
        head = self.head()
        at = max(at, head.committed + 1)
        merger = pr.author if pr.author.type == "User" else self.dev(pr.service, at)
        pr.merged_by = merger
        pr.base_at_merge = head.sha
        commits = pr.commits
        files = _union_files(commits)
        if pr.method == "squash":
            body = ""
            if len(commits) > 1:
                body = "\n\n" + "\n\n".join(f"* {c.message}" for c in commits)
            message = f"{pr.title} (#{pr.number}){body}"
            new = self.commit((head.sha,), pr.author, at, WEB_FLOW, at, message, files)
            self.add_main(new)
        elif pr.method == "merge":
            for c in commits:
                self.add_main(c)
            message = (
                f"Merge pull request #{pr.number} from {self.org.name}/{pr.branch}\n\n{pr.title}"
            )
            new = self.commit((head.sha, commits[-1].sha), merger, at, WEB_FLOW, at, message, files)
            self.add_main(new)
        else:  # rebase: the PR's commits replayed on main, committed by GitHub
            parent = head.sha
            new = head
            for i, c in enumerate(commits):
                new = self.commit(
                    (parent,), c.author, c.authored, WEB_FLOW, at + i, c.message, c.files
                )
                self.add_main(new)
                parent = new.sha
        pr.merge_commit_sha = new.sha
        pr.merged_at = at
        for name in self.merged_since:
            self.merged_since[name].append(pr)
        self._ci(
            at + self.rng.randint(3, 30),
            "push",
            "main",
            new,
            new.message.split("\n")[0],
            merger,
            None,
        )

    def _on_close(self, at: int, pr: PullRequest) -> None:
        pr.closed_at = at

    def _on_direct_push(self, at: int, s: Service) -> None:
        self._direct_commit(at, s, vocab.direct_push_message(self.rng))

    def _direct_commit(self, at: int, s: Service, message: str) -> Commit:
        head = self.head()
        at = max(at, head.committed + 1)
        author = self.dev(s, at)
        c = self.commit((head.sha,), author, at, author, at, message, self.files_for(s, "docs"))
        self.add_main(c)
        self._ci(
            at + self.rng.randint(3, 30), "push", "main", c, message.split("\n")[0], author, None
        )
        return c

    def _plan_hotfix(
        self,
        s: Service,
        opened: int,
        problem: str,
        *,
        skip_staging: bool,
        fast: bool = False,
        label_bug: bool = False,
    ) -> int:
        """A hotfix PR (label `hotfix`, branch `hotfix/...`), merged and deployed quickly.

        Returns the planned deploy time, so an incident can be resolved after it."""
        rng = self.rng
        author = self.dev(s, opened)
        title = f"Hotfix: {problem[0].lower()}{problem[1:]}"
        first = max(opened - rng.randint(8, 40) * MINUTE, self.now + 1)
        opened = max(opened, first + 60)
        approve = opened + rng.randint(5, 25) * MINUTE
        merge_at = approve + rng.randint(3, 20) * MINUTE
        reviewer = self.dev(s, approve, avoid=author)
        labels = ["hotfix"] + (["bug"] if label_bug else []) + self.area_labels(s)
        pr = PullRequest(
            service=s,
            kind="hotfix",
            title=title,
            body=f"Fixes the production problem: {problem}.\n\nRoll forward; tested on staging.",
            branch=f"hotfix/{vocab.slug(problem)}",
            author=author,
            first_commit_at=first,
            opened_at=opened,
            commit_plan=[(first, f"Fix {problem[0].lower()}{problem[1:]}")],
            outcome="merge",
            method="squash",
            merge_at=merge_at,
            close_at=None,
            labels=labels,
            draft=False,
            reviews=[(reviewer, "APPROVED", approve, "LGTM, ship it")],
            files=self.files_for(s, "code"),
        )
        self.push(first, "branch", pr)
        deploy_at = merge_at + rng.randint(4 if fast else 6, 20) * MINUTE
        self.push(
            deploy_at,
            "deploy",
            (s, {"recovery": "hotfix", "job_fail": False, "skip_staging": skip_staging}),
        )
        return deploy_at

    def _plan_revert(self, s: Service, opened: int, original: PullRequest) -> int:
        rng = self.rng
        author = self.dev(s, opened)
        title = f'Revert "{original.title}"'
        first = max(opened - rng.randint(2, 10) * MINUTE, self.now + 1)
        opened = max(opened, first + 60)
        approve = opened + rng.randint(5, 30) * MINUTE
        merge_at = approve + rng.randint(2, 15) * MINUTE
        message = f"{title}\n\nThis reverts commit {original.merge_commit_sha}."
        pr = PullRequest(
            service=s,
            kind="revert",
            title=title,
            body=f"Reverts {self.full}#{original.number}",
            branch=f"revert-{original.number}-{original.branch}",
            author=author,
            first_commit_at=first,
            opened_at=opened,
            commit_plan=[(first, message)],
            outcome="merge",
            method="squash",
            merge_at=merge_at,
            close_at=None,
            labels=self.area_labels(s),
            draft=False,
            reviews=[(self.dev(s, approve, avoid=author), "APPROVED", approve, "")],
            files=original.files,
            reverts=original,
        )
        self.push(first, "branch", pr)
        deploy_at = merge_at + rng.randint(5, 25) * MINUTE
        self.push(deploy_at, "deploy", (s, {"recovery": "revert", "job_fail": False}))
        return deploy_at

    def _plan_fix(self, s: Service, after: int, problem: str) -> None:
        """The fix-forward after a rollback: an ordinary PR labelled `bug` the next morning."""
        rng = self.rng
        opened = next_business_morning(after, rng.uniform(9, 11))
        author = self.dev(s, opened)
        first = opened - rng.randint(1, 4) * HOUR
        approve = opened + rng.randint(20, 120) * MINUTE
        merge_at = approve + rng.randint(10, 60) * MINUTE
        pr = PullRequest(
            service=s,
            kind="fix",
            title=f"Fix {problem[0].lower()}{problem[1:]}",
            body=f"Root cause of the rollback: {problem}. Adds a regression test.",
            branch=f"fix/{vocab.slug(problem)}",
            author=author,
            first_commit_at=first,
            opened_at=opened,
            commit_plan=[
                (first, f"Fix {problem[0].lower()}{problem[1:]}"),
                (first + 1800, "Add regression test"),
            ],
            outcome="merge",
            method="squash",
            merge_at=merge_at,
            close_at=None,
            labels=["bug", *self.area_labels(s)],
            draft=False,
            reviews=[(self.dev(s, approve, avoid=author), "APPROVED", approve, "")],
            files=self.files_for(s, "code"),
        )
        self.push(max(first, self.now + 1), "branch", pr)

    # --- CI -------------------------------------------------------------------------------
    def _ci(
        self,
        at: int,
        event: str,
        branch: str,
        head: Commit,
        title: str,
        actor: Dev,
        pr: PullRequest | None,
    ) -> None:
        if event == "push" and not self.services[0].ci_on_push:
            return
        rng = self.rng
        duration = rng.randint(4 * MINUTE, 14 * MINUTE)
        roll = rng.random()
        conclusion = "success" if roll < 0.9 else ("failure" if roll < 0.98 else "cancelled")
        flow = self.workflows["ci"]
        self.runs.append(
            Run(
                workflow="ci",
                name=flow.name,
                path=flow.path,
                event=event,
                head_branch=branch,
                head_sha=head.sha,
                head_commit=head,
                display_title=title,
                created_at=at,
                run_started_at=at + rng.randint(1, 8),
                updated_at=at + duration,
                conclusion=conclusion,
                actor=actor,
                pull=pr,
            )
        )

    def _on_scan(self, at: int, key: str) -> None:
        flow = self.workflows.get(key)
        if flow is None:
            return
        head = self.head()
        duration = self.rng.randint(3 * MINUTE, 25 * MINUTE)
        conclusion = "success" if self.rng.random() < 0.93 else "failure"
        self.runs.append(
            Run(
                workflow=key,
                name=flow.name,
                path=flow.path,
                event="schedule",
                head_branch="main",
                head_sha=head.sha,
                head_commit=head,
                display_title=flow.name or "CodeQL",
                created_at=at,
                run_started_at=at + self.rng.randint(1, 30),
                updated_at=at + duration,
                conclusion=conclusion,
                actor=self.services[0].team_at(at).devs[0],
            )
        )

    # --- deployments ----------------------------------------------------------------------
    def _prod_env(self, s: Service) -> str:
        if s.prod_alias and self.prod_alias[s.name].fire(0.12):
            return "prod"
        return "production"

    def _emit(
        self,
        s: Service,
        environment: str,
        sha: str,
        at: int,
        outcome: str,
        *,
        finish_at: int | None = None,
        description: str | None = None,
        ref: str = "main",
        creator: Dev | None = None,
        event: str = "push",
        title: str | None = None,
        retry_at: int | None = None,
    ) -> int:
        """One deploy attempt by the service's mechanism; returns when it finished.

        With `retry_at`, an Actions run fails and is re-run (attempt 2), which the runs list
        shows as a single successful run whose `run_started_at` is the re-run's start."""
        rng = self.rng
        duration = rng.randint(3 * MINUTE, 12 * MINUTE)
        production = environment != "staging"
        if finish_at is not None:
            at = finish_at - duration
        done = at + duration
        if s.deploys_via == "deployments":
            creator = creator or DEPLOY_BOT
            statuses = [("pending", at), ("in_progress", at + rng.randint(15, 90)), (outcome, done)]
            url = ""
            if s.endpoints and production:
                url = s.endpoints.split(",")[0]
            elif not production:
                url = f"https://{s.name}.staging.acme.example"
            d = Deployment(
                service=s,
                environment=environment,
                sha=sha,
                ref=ref,
                description=description,
                creator=creator,
                created_at=at,
                statuses=statuses,
                production=production,
                payload={}
                if rng.random() < 0.7
                else {"version": f"{sha[:7]}", "strategy": "rolling"},
                environment_url=url,
                legacy_statuses=at < self.legacy_cutoff,
            )
            self.deployments.append(d)
            if environment == "staging" and outcome == "success":
                previous = self.last_staging.get(s.name)
                if previous is not None:
                    previous.statuses.append(("inactive", done))
                self.last_staging[s.name] = d
            return done
        key = f"deploy-{'prod' if production else 'staging'}:{s.name}"
        flow = self.workflows[key]
        head = self.by_sha.get(sha) or self.head()
        actor = creator or self.dev(s, at)
        started = at + rng.randint(2, 12)
        attempt = 1
        if retry_at is not None:
            started, attempt = retry_at, 2
            done = retry_at + duration
        self.runs.append(
            Run(
                workflow=key,
                name=flow.name,
                path=flow.path,
                event=event,
                head_branch=ref if ref != sha else "main",
                head_sha=sha,
                head_commit=head,
                display_title=title
                or (flow.name if event == "workflow_dispatch" else head.message.split("\n")[0]),
                created_at=at,
                run_started_at=started,
                updated_at=done,
                conclusion=outcome,
                actor=actor,
                run_attempt=attempt,
            )
        )
        return done

    def _on_deploy(self, at: int, data: tuple[Service, dict[str, Any]]) -> None:
        s, opts = data
        rng = self.rng
        last = self.last_prod.get(s.name)
        if last is not None and last[0] == self.head().sha:
            if not opts.get("force"):
                return
            self._direct_commit(at - 45 * MINUTE, s, vocab.release_prep_message(rng))
        head = self.head()
        sha = head.sha
        # Staging gets the same sha first; production starts after staging finished.
        if s.staging and not opts.get("skip_staging"):
            staged = max(head.committed + 2 * MINUTE, at - rng.randint(15, 90) * MINUTE)
            staged_done = self._emit(s, "staging", sha, staged, "success")
            at = max(at, staged_done + rng.randint(2, 10) * MINUTE)
        q = self.q(s, at)
        job_fail = opts.get("job_fail")
        if job_fail is None:
            job_fail = self.job_fail[s.name].fire(0.03 + 0.07 * (1 - q))
        environment = self._prod_env(s)
        event = "workflow_dispatch" if rng.random() < 0.4 else "push"
        finish_at = opts.get("finish_at")
        if job_fail:
            if s.deploys_via == "actions" and (
                opts.get("rerun") or (opts.get("rerun") is None and rng.random() < 0.4)
            ):
                retry = at + rng.randint(15, 40) * MINUTE
                deployed_at = self._emit(
                    s, environment, sha, at, "success", event=event, retry_at=retry
                )
            else:
                failed = self._emit(s, environment, sha, at, "failure", event=event)
                superseded = opts.get("job_fail") is None and rng.random() < 0.25
                if s.deploys_via == "actions" and superseded:
                    self.runs[-1].conclusion = "cancelled"
                retry = failed + rng.randint(10, 40) * MINUTE
                deployed_at = self._emit(
                    s, environment, sha, retry, "success", event="workflow_dispatch"
                )
        else:
            deployed_at = self._emit(
                s, environment, sha, at, "success", event=event, finish_at=finish_at
            )
        previous = self.last_prod.get(s.name)
        self.last_prod[s.name] = (sha, deployed_at)
        self.prod_shas[s.name].append(sha)
        contents = self.merged_since[s.name]
        self.merged_since[s.name] = []
        if opts.get("recovery"):
            return
        bad = opts.get("bad")
        if bad is None:
            bad = "none"
            if self.bad[s.name].fire(0.32 - 0.3 * q):
                bad = rng.choices(
                    ("incident", "rollback", "hotfix", "revert"), (0.55, 0.15, 0.15, 0.15)
                )[0]
        if bad != "none":
            self._consequence(s, bad, sha, deployed_at, previous, contents, opts)

    def _consequence(
        self,
        s: Service,
        kind: str,
        sha: str,
        deployed_at: int,
        previous: tuple[str, int] | None,
        contents: list[PullRequest],
        opts: dict[str, Any],
    ) -> None:
        rng = self.rng
        q = self.q(s, deployed_at)
        problem = vocab.problem(rng, s.name)
        own = [p for p in contents if p.service is s and p.kind in ("feature", "fix")]
        if kind == "revert" and not own:  # a regression from an earlier deploy, found now
            own = [
                p
                for p in self.pulls[-40:]
                if p.service is s and p.merged_at and p.kind in ("feature", "fix")
            ]
        if kind == "rollback" and (previous is None or previous[0] == sha):
            kind = "hotfix"
        if kind == "revert" and not own:
            kind = "hotfix"
        restore = min(max(self.lognormal(s, "restore", 0.6 + 12 * (1 - q), 0.8), 0.5), 30.0)
        detect = min(max(self.lognormal(s, "detect", 0.6, 1.1), 0.05), 6.0)
        if kind == "incident":
            created = deployed_at + int(detect * HOUR)
            resolved = created + int(restore * HOUR)
            recovery = (
                opts.get("recovery_kind")
                or rng.choices(("hotfix", "rollback", "none"), (0.4, 0.15, 0.45))[0]
            )
            if recovery == "rollback" and previous is None:
                recovery = "hotfix"
            if recovery == "hotfix":
                done = self._plan_hotfix(
                    s,
                    created + rng.randint(15, 45) * MINUTE,
                    problem,
                    skip_staging=rng.random() < 0.6,
                )
                resolved = max(resolved, done + rng.randint(15, 40) * MINUTE)
            elif recovery == "rollback" and previous is not None:
                back = created + rng.randint(10, 40) * MINUTE
                self.push(back, "rollback", (s, previous[0], sha, problem))
                resolved = max(resolved, back + rng.randint(20, 45) * MINUTE)
            self.push(
                created,
                "incident",
                (s, sha, created, resolved, problem, opts.get("name_sha") or rng.random() < 0.4),
            )
        elif kind == "rollback" and previous is not None:
            back = deployed_at + rng.randint(20, 100) * MINUTE
            self.push(back, "rollback", (s, previous[0], sha, problem))
            if opts.get("with_incident") or rng.random() < 0.5:
                created = deployed_at + rng.randint(3, 15) * MINUTE
                self.push(
                    created,
                    "incident",
                    (
                        s,
                        sha,
                        created,
                        back + rng.randint(20, 45) * MINUTE,
                        problem,
                        opts.get("name_sha") or rng.random() < 0.4,
                    ),
                )
        elif kind == "hotfix":
            self._plan_hotfix(
                s,
                deployed_at + rng.randint(60, 300) * MINUTE,
                problem,
                skip_staging=rng.random() < 0.5,
                label_bug=rng.random() < 0.5,
            )
        elif kind == "revert":
            original = own[-1]
            done = self._plan_revert(s, deployed_at + rng.randint(30, 200) * MINUTE, original)
            if rng.random() < 0.3:
                created = deployed_at + rng.randint(10, 25) * MINUTE
                self.push(
                    created, "incident", (s, sha, created, done + 20 * MINUTE, problem, False)
                )

    def _on_rollback(self, at: int, data: tuple[Service, str, str, str]) -> None:
        s, target, bad_sha, problem = data
        last = self.last_prod.get(s.name)
        if last is None or last[0] != bad_sha:
            return  # someone already shipped past it
        oncall = self.dev(s, at)
        short = target[:7]
        deployed_at = self._emit(
            s,
            self._prod_env(s),
            target,
            at,
            "success",
            description=f"Rollback to {short} (bad deploy {bad_sha[:7]})",
            ref=target if s.deploys_via == "deployments" else f"release-{short}",
            creator=oncall,
            event="workflow_dispatch",
            title=f"Rollback production to {short}",
        )
        self.last_prod[s.name] = (target, deployed_at)
        self.prod_shas[s.name].append(target)
        self._plan_fix(s, deployed_at, problem)

    # --- incidents and issues -------------------------------------------------------------
    def _on_incident(self, at: int, data: tuple) -> None:
        s, sha, created, resolved, problem, names_sha = data
        if names_sha:
            title = f"Errors after deploy {sha[:7]} on {s.name}"
            description = (
                f"Error rate on {s.name} above 5% since deploy {sha[:7]} to production. {problem}."
            )
        else:
            title = f"{problem} on {s.name}"
            description = f"{problem}. Alert fired from the {s.name} SLO burn-rate monitor."
        self._record_incident(s, created, resolved, title, description)

    def _on_unrelated_incident(self, at: int, data: tuple[Service, int, bool]) -> None:
        s, tries, required = data
        last = self.last_prod.get(s.name)
        if last is not None and at - last[1] < 26 * HOUR:
            if tries < (30 if required else 8):
                self.push(at + DAY, "unrelated", (s, tries + 1, required))
            return
        rng = self.rng
        cause = rng.choice(vocab.UNRELATED_CAUSES)
        restore = min(max(self.lognormal(s, "restore", 2.0, 0.8), 0.5), 30.0)
        self._record_incident(
            s,
            at,
            at + int(restore * HOUR),
            f"{cause} ({s.name})",
            f"{cause}. Not related to a change; no deploy in the last day.",
        )

    def _on_open_incident(self, at: int, data: tuple[Service, int]) -> None:
        s, ack_minutes = data
        self._record_incident(
            s,
            at,
            at + 20 * HOUR,
            f"Elevated error rate on {s.name}",
            f"Error budget burn rate above 10x on {s.name}; investigating.",
            ack_after=ack_minutes * MINUTE,
        )

    def _record_incident(
        self,
        s: Service,
        created: int,
        resolved: int,
        title: str,
        description: str,
        ack_after: int | None = None,
    ) -> None:
        rng = self.rng
        resolved = max(resolved, created + 30 * MINUTE)  # nobody resolves within half an hour
        hours = (resolved - created) / HOUR
        month = _month(created)
        self.incident_hours[(s.name, month)] = self.incident_hours.get((s.name, month), 0.0) + hours
        responder = self.dev(s, created)
        acknowledged = created + (ack_after or rng.randint(1, 20) * MINUTE)
        if s.pagerduty:
            urgency = "high" if s.tier != "tier-3" and rng.random() < 0.8 else "low"
            priority = (
                None
                if rng.random() < 0.3
                else ("P1" if hours > 8 else ("P2" if hours > 3 else rng.choice(("P3", "P4"))))
            )
            self.incidents.append(
                Incident(
                    service=s,
                    created_at=created,
                    acknowledged_at=acknowledged,
                    resolved_at=resolved,
                    title=title,
                    description=description,
                    urgency=urgency,
                    priority=priority,
                    responder=responder,
                    omit_resolved_at=rng.random() < 0.2,
                    incident_key=sha_of(self.full, "incident", created),
                )
            )
            return
        self.number += 1
        severity = "sev1" if hours > 8 else "sev2"
        body = (
            f"## Impact\n{description}\n\n## Timeline\n- {_hhmm(created)} UTC alert fired\n"
            f"- {_hhmm(acknowledged)} UTC acknowledged by @{responder.login}\n\n"
            "## Follow-ups\n- [ ] postmortem"
        )
        self.issues.append(
            Issue(
                number=self.number,
                title=f"Incident: {title}",
                body=body,
                labels=["incident", severity],
                author=responder,
                created_at=created,
                closed_at=resolved,
                state_reason="completed",
                assignee=responder,
                comments=rng.randint(2, 12),
                last_activity=resolved,
            )
        )

    def _on_bug(self, at: int, s: Service) -> None:
        rng = self.rng
        self.number += 1
        customer = rng.random() < 0.35
        labels = ["bug"] + (["customer-reported"] if customer else [])
        author = self.dev(s, at)
        roll = rng.random()
        closed_at = None
        reason = None
        if roll < 0.85:
            closed_at = at + int(min(max(rng.lognormvariate(4.2, 1.0), 0.5), 1500) * HOUR)
            reason = "not_planned" if roll < 0.1 else "completed"
        title = vocab.bug_title(rng, s.name)
        self.issues.append(
            Issue(
                number=self.number,
                title=title,
                body=("Reported by a customer through support.\n\n" if customer else "")
                + f"Steps to reproduce:\n1. ...\n\nExpected: works.\nActual: {title.lower()}.",
                labels=labels,
                author=author,
                created_at=at,
                closed_at=closed_at,
                state_reason=reason,
                assignee=self.dev(s, at) if rng.random() < 0.6 else None,
                comments=rng.randint(0, 8),
                last_activity=closed_at or at + rng.randint(0, 72) * HOUR,
            )
        )


def _union_files(commits: list[Commit]) -> tuple[FileChange, ...] | None:
    merged: dict[str, tuple[int, int]] = {}
    for c in commits:
        for path, adds, dels in c.files or ():
            a, d = merged.get(path, (0, 0))
            merged[path] = (a + adds, d + dels)
    return tuple((p, a, d) for p, (a, d) in sorted(merged.items())) or None


def _month(ts: int) -> str:
    return iso(ts)[:7]


def _hhmm(ts: int) -> str:
    return iso(ts)[:16].replace("T", " ")
