"""Who the sample org is: teams, services, repos, developers, and how each team trends."""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from typing import Any

from ingestion.sample_org.timeutil import DAY, epoch

# --- The scenario the demo, the tests and the DORA models rely on --------------------------
IMPROVING_TEAM = "storefront"
REGRESSING_TEAM = "discovery"
STABLE_TEAMS = ("payments", "platform")
REORG_SERVICE = "catalog-service"
REORG_FROM_TEAM = "platform"
REORG_TO_TEAM = "payments"
NEVER_DEPLOYS_SERVICE = "ranking-lab"
DEPRECATED_SERVICE = "legacy-reports"
MONOREPO = "storefront-monorepo"
MONOREPO_SERVICES = ("web-storefront", "cart-service")
NO_ONCALL_SERVICE = "recommendations-api"
ROLLBACK_SERVICES = ("checkout-api", "fraud-scoring")
HOTFIX_SERVICE = "search-api"
REVERT_SERVICE = "web-storefront"
SUNDAY_DEPLOY_SERVICE = "checkout-api"
LATE_DEPLOY_SERVICE = "payments-ledger"  # one production deploy at 23:30 UTC
UNRELATED_INCIDENT_SERVICE = "auth-gateway"
EMPTY_RUN_NAME_SERVICE = "search-api"  # its CodeQL runs have name "" (fall back to the path)
MIN_SERVICES = 12
MIN_TEAMS = 4

TEAM_POOL = (
    ("payments", "Payments", "stable"),
    ("storefront", "Storefront", "improving"),
    ("discovery", "Search & Discovery", "regressing"),
    ("platform", "Platform", "stable"),
    ("identity", "Identity", "stable"),
    ("fulfillment", "Fulfillment", "stable"),
    ("data-platform", "Data Platform", "stable"),
    ("growth", "Growth", "stable"),
    ("messaging", "Messaging", "stable"),
    ("mobile", "Mobile", "stable"),
    ("billing", "Billing", "stable"),
    ("logistics", "Logistics", "stable"),
)
SYSTEM_OF_TEAM = {
    "payments": "commerce",
    "storefront": "commerce",
    "discovery": "search",
    "platform": "core-platform",
}


@dataclass(frozen=True)
class Dev:
    login: str
    id: int
    name: str
    email: str
    type: str = "User"


WEB_FLOW = Dev("web-flow", 19864447, "GitHub", "noreply@github.com")
DEPENDABOT = Dev(
    "dependabot[bot]",
    49699333,
    "dependabot[bot]",
    "49699333+dependabot[bot]@users.noreply.github.com",
    "Bot",
)
DEPLOY_BOT = Dev(
    "acme-deployer[bot]", 98123456, "acme-deployer[bot]", "deployer@acme.example", "Bot"
)


@dataclass
class Team:
    index: int
    id: str
    display_name: str
    trend: str  # improving | regressing | stable
    devs: list[Dev] = field(default_factory=list)
    pd_id: str = ""
    escalation_policy_id: str = ""
    offset: float = 0.0  # a stable team's own level of quality

    def quality(self, f: float) -> float:
        """0 (struggling) .. 1 (elite) at fraction `f` of the history."""
        if self.trend == "improving":
            return 0.12 + 0.83 * f
        if self.trend == "regressing":
            return 0.92 - 0.8 * f
        return 0.55 + self.offset


@dataclass
class Service:
    index: int
    name: str
    team: Team  # owner today (spec.owner)
    tier: str
    lifecycle: str
    repo: str  # repo name inside the org
    deploys_via: str | None  # "deployments" | "actions" | None
    staging: bool
    pagerduty: bool
    pr_rate: float  # merged PRs per week at quality 0.5
    paths: str | None = None  # monorepo path globs
    path_root: str = ""
    runbook: bool = True
    alerts: bool = True
    endpoints: str | None = None
    slo: str | None = None
    codeql: bool = False
    sbom: bool = False
    direct_pushes: bool = False
    ci_on_push: bool = True  # CI also runs on pushes to main (else only on pull requests)
    prod_alias: bool = False  # occasionally deploys to an environment named `prod`
    owner_ref_style: str = "plain"  # "plain" or "group" (`group:default/<team>`)
    owner_history: list[tuple[Team, dt.date]] = field(default_factory=list)
    pd_id: str = ""
    language: str = "python"
    description: str = ""
    deploy_rate_factor: float = 1.0

    def team_at(self, ts: int) -> Team:
        if not self.owner_history:
            return self.team
        owner = self.owner_history[0][0]
        for team, since in self.owner_history:
            if epoch(since) <= ts:
                owner = team
        return owner


@dataclass
class Org:
    name: str
    start: dt.date
    end: dt.date
    teams: list[Team]
    services: list[Service]
    reorg_date: dt.date
    start_ts: int = field(init=False)
    end_ts: int = field(init=False)

    def __post_init__(self) -> None:
        self.start_ts = epoch(self.start)
        self.end_ts = epoch(self.end)

    def fraction(self, ts: int) -> float:
        return min(max((ts - self.start_ts) / (self.end_ts - self.start_ts), 0.0), 1.0)

    def at_fraction(self, f: float) -> int:
        day = int((self.end_ts - self.start_ts) / DAY * f)
        return self.start_ts + day * DAY

    def repos(self) -> list[tuple[str, list[Service]]]:
        """Repos in a fixed order, each with the services whose code lives in it."""
        by_repo: dict[str, list[Service]] = {}
        for service in self.services:
            by_repo.setdefault(service.repo, []).append(service)
        return sorted(by_repo.items(), key=lambda item: item[1][0].index)


# The twelve named services of the demo (see the package docstring for the story).
# fmt: off
_NAMED: tuple[tuple[Any, ...], ...] = (
    # name, team, tier, lifecycle, deploys via, staging, pagerduty, PRs/week, language, description
    ("checkout-api", "payments", "tier-1", "production", "deployments", True, True, 1.7, "go",
     "Checkout orchestration API"),
    ("payments-ledger", "payments", "tier-1", "production", "deployments", False, True, 1.3,
     "java", "Double-entry ledger of every payment"),
    ("fraud-scoring", "payments", "tier-2", "production", "actions", True, True, 1.0, "python",
     "Real-time fraud risk scoring"),
    ("web-storefront", "storefront", "tier-1", "production", "actions", True, True, 1.7,
     "typescript", "The customer-facing web shop"),
    ("cart-service", "storefront", "tier-1", "production", "actions", True, True, 1.3, "go",
     "Shopping cart and promotions"),
    ("recommendations-api", "storefront", "tier-2", "production", "actions", False, False, 1.0,
     "python", "Product recommendations for the storefront"),
    ("search-api", "discovery", "tier-1", "production", "deployments", True, True, 1.7, "kotlin",
     "Query API in front of the search cluster"),
    ("search-indexer", "discovery", "tier-2", "production", "deployments", False, True, 1.0,
     "kotlin", "Streams catalog changes into the search index"),
    ("ranking-lab", "discovery", "tier-3", "experimental", None, False, False, 0.6, "python",
     "Experimental learning-to-rank models (not deployed yet)"),
    ("catalog-service", "payments", "tier-2", "production", "actions", False, True, 1.1, "java",
     "Product catalog of record"),
    ("auth-gateway", "platform", "tier-1", "production", "deployments", False, True, 1.1, "go",
     "Authentication and session gateway"),
    ("legacy-reports", "platform", "tier-3", "deprecated", "actions", False, False, 0.5, "ruby",
     "Nightly finance reports (being retired)"),
)
# fmt: on

_DOMAINS = (
    "inventory",
    "shipping",
    "orders",
    "pricing",
    "coupons",
    "loyalty",
    "reviews",
    "wishlist",
    "invoices",
    "tax",
    "refunds",
    "returns",
    "warehouse",
    "routing",
    "tracking",
    "email",
    "sms",
    "push",
    "identity",
    "profile",
    "sessions",
    "consent",
    "audit",
    "ledger",
    "payouts",
    "settlement",
    "risk",
    "kyc",
    "media",
    "images",
    "assets",
    "cms",
    "menus",
    "banners",
    "experiments",
    "flags",
    "metrics",
    "events",
    "analytics",
    "reports",
    "exports",
    "imports",
    "feeds",
    "sitemap",
    "seo",
    "geo",
    "maps",
    "stores",
    "vendors",
    "suppliers",
)
_KINDS = (
    "api",
    "worker",
    "service",
    "gateway",
    "scheduler",
    "indexer",
    "sync",
    "web",
    "consumer",
    "router",
    "cache",
    "admin",
)
_LANGS = ("go", "python", "java", "typescript", "kotlin")

_FIRST = (
    "maria",
    "james",
    "aisha",
    "chen",
    "lucas",
    "priya",
    "omar",
    "sofia",
    "noah",
    "yuki",
    "elena",
    "david",
    "fatima",
    "liam",
    "grace",
    "mateo",
    "hana",
    "samuel",
    "amara",
    "ivan",
    "nora",
    "kofi",
    "lea",
    "arjun",
    "zoe",
    "tomas",
    "ines",
    "ravi",
    "mia",
    "jonas",
    "leila",
    "pablo",
    "anya",
    "kenji",
    "sara",
    "felix",
    "dina",
    "marco",
    "ayla",
    "erik",
)
_LAST = (
    "garcia",
    "smith",
    "khan",
    "wang",
    "silva",
    "patel",
    "haddad",
    "rossi",
    "johnson",
    "tanaka",
    "petrova",
    "cohen",
    "diallo",
    "murphy",
    "kim",
    "lopez",
    "sato",
    "okafor",
    "nguyen",
    "ivanov",
    "berg",
    "mensah",
    "dubois",
    "sharma",
    "muller",
    "novak",
    "costa",
    "iyer",
    "larsen",
    "weber",
    "rahman",
    "ortiz",
    "kowalski",
    "mori",
    "santos",
    "fischer",
    "aziz",
    "bianchi",
    "yilmaz",
    "holm",
)


def _pd_id(rng: random.Random, prefix: str = "P") -> str:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    return prefix + "".join(rng.choice(alphabet) for _ in range(6))


def _extra_service_names(count: int) -> list[str]:
    """Realistic, unique names beyond the twelve named ones (never containing prod/deploy)."""
    names: list[str] = []
    taken = {spec[0] for spec in _NAMED}
    round_ = 0
    while len(names) < count:
        for kind in _KINDS:
            for domain in _DOMAINS:
                name = f"{domain}-{kind}" + (f"-{round_ + 1}" if round_ else "")
                if name not in taken:
                    taken.add(name)
                    names.append(name)
                    if len(names) == count:
                        return names
        round_ += 1
    return names


def build_org(
    *, seed: int, org: str, start: dt.date, end: dt.date, services: int, teams: int
) -> Org:
    if services < MIN_SERVICES:
        raise ValueError(f"services must be at least {MIN_SERVICES} (the scenario needs them)")
    if teams < MIN_TEAMS:
        raise ValueError(f"teams must be at least {MIN_TEAMS} (the scenario needs them)")
    rng = random.Random(f"{seed}:org:{org}")

    team_list: list[Team] = []
    for index in range(teams):
        if index < len(TEAM_POOL):
            team_id, display, trend = TEAM_POOL[index]
        else:
            team_id, display, trend = f"team-{index + 1:03d}", f"Team {index + 1}", "stable"
        team = Team(index, team_id, display, trend)
        team.offset = (
            0.05
            if team_id == "payments"
            else (-0.05 if team_id == "platform" else rng.uniform(-0.15, 0.2))
        )
        team.pd_id = _pd_id(rng)
        team.escalation_policy_id = _pd_id(rng)
        team_list.append(team)
    teams_by_id = {t.id: t for t in team_list}

    service_list: list[Service] = []
    reorg_date = start + (end - start) / 2
    reorg_date -= dt.timedelta(days=reorg_date.weekday())  # a Monday
    for index, spec in enumerate(_NAMED):
        name, team_id, tier, lifecycle, via, staging, pd, rate, lang, description = spec
        service = Service(
            index=index,
            name=name,
            team=teams_by_id[team_id],
            tier=tier,
            lifecycle=lifecycle,
            repo=MONOREPO if name in MONOREPO_SERVICES else name,
            deploys_via=via,
            staging=staging,
            pagerduty=pd,
            pr_rate=rate,
            language=lang,
            description=description,
        )
        service_list.append(service)
    named = {s.name: s for s in service_list}
    # Catalog facts, chosen so the standards have passes, warnings and failures to show.
    web, cart = named["web-storefront"], named["cart-service"]
    web.paths, web.path_root = "apps/web/**,packages/ui/**", "apps/web/src"
    cart.paths, cart.path_root = "services/cart/**", "services/cart"
    endpoints = {
        "checkout-api": "https://api.acme.example/checkout",
        "payments-ledger": "https://ledger.internal.acme.example",
        "web-storefront": "https://www.acme.example,https://m.acme.example",
        "cart-service": "https://api.acme.example/cart",
        "search-api": "https://api.acme.example/search",
        "catalog-service": "https://catalog.internal.acme.example",
        "auth-gateway": "https://auth.acme.example,http://auth-legacy.acme.example",
        "legacy-reports": "http://reports.acme.example",
    }
    slos = {
        "checkout-api": "99.95",
        "payments-ledger": "99.99",
        "web-storefront": "99.9",
        "cart-service": "99.9",
        "search-api": "99.9",
        "auth-gateway": "99.95",
        "fraud-scoring": "99.5",
        "catalog-service": "99.5",
        "search-indexer": "99.0",
    }
    no_runbook = {
        "fraud-scoring",
        "recommendations-api",
        "search-indexer",
        "ranking-lab",
        "legacy-reports",
    }
    no_alerts = {"recommendations-api", "ranking-lab", "legacy-reports", "search-indexer"}
    codeql = {
        "checkout-api",
        "auth-gateway",
        "search-api",
        "web-storefront",
        "cart-service",
    }
    sbom = {"checkout-api", "payments-ledger", "catalog-service"}
    for service in service_list:
        service.endpoints = endpoints.get(service.name)
        service.slo = slos.get(service.name)
        service.runbook = service.name not in no_runbook
        service.alerts = service.name not in no_alerts
        service.codeql = service.name in codeql
        service.sbom = service.name in sbom
        service.owner_ref_style = "group" if service.index % 2 == 0 else "plain"
        service.ci_on_push = service.index % 3 != 1
    named["auth-gateway"].direct_pushes = True
    named["legacy-reports"].direct_pushes = True
    named["payments-ledger"].direct_pushes = True
    named["payments-ledger"].prod_alias = True
    named["search-indexer"].prod_alias = True
    named["legacy-reports"].deploy_rate_factor = 0.15
    reorged = named[REORG_SERVICE]
    reorged.owner_history = [
        (teams_by_id[REORG_FROM_TEAM], start - dt.timedelta(days=400)),
        (teams_by_id[REORG_TO_TEAM], reorg_date),
    ]

    tiers = ("tier-1", "tier-2", "tier-2", "tier-3")
    for offset, name in enumerate(_extra_service_names(services - len(_NAMED))):
        index = len(_NAMED) + offset
        team = team_list[index % teams]
        tier = tiers[offset % len(tiers)]
        service_list.append(
            Service(
                index=index,
                name=name,
                team=team,
                tier=tier,
                lifecycle="production",
                repo=name,
                deploys_via="deployments" if offset % 2 == 0 else "actions",
                staging=offset % 3 != 2,
                pagerduty=offset % 5 != 4,
                pr_rate={"tier-1": 1.6, "tier-2": 1.0, "tier-3": 0.5}[tier],
                runbook=offset % 4 != 3,
                alerts=offset % 3 != 1,
                endpoints=f"https://{name}.acme.example" if offset % 2 == 0 else None,
                slo="99.9" if tier == "tier-1" else ("99.5" if offset % 2 else None),
                codeql=offset % 3 == 0,
                sbom=offset % 4 == 0,
                direct_pushes=offset % 7 == 0,
                owner_ref_style="group" if offset % 2 else "plain",
                language=_LANGS[offset % len(_LANGS)],
                description=f"{name.replace('-', ' ').capitalize()} for the {team.display_name} team",
            )
        )
    for service in service_list:
        service.pd_id = _pd_id(rng) if service.pagerduty else ""

    # Developers: a pool per team, sized to the number of services it owns.
    dev_index = 0
    for team in team_list:
        owned = sum(1 for s in service_list if s.team is team)
        for _ in range(max(6, 2 * owned + 2)):
            first = _FIRST[dev_index % len(_FIRST)]
            last = _LAST[(dev_index * 7 + dev_index // len(_FIRST)) % len(_LAST)]
            suffix = "" if dev_index < len(_FIRST) * len(_LAST) else str(dev_index)
            login = f"{first}-{last}{suffix}"
            team.devs.append(
                Dev(
                    login,
                    5_100_000 + dev_index * 37,
                    f"{first.title()} {last.title()}",
                    f"{first}.{last}{suffix}@acme.example",
                )
            )
            dev_index += 1
    return Org(org, start, end, team_list, service_list, reorg_date)
