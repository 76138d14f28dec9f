"""Words for titles, messages and bodies, so the sample reads like a real org's history."""

from __future__ import annotations

import random
import re

_FEATURE_VERBS = (
    "Add",
    "Support",
    "Introduce",
    "Expose",
    "Enable",
    "Implement",
    "Refactor",
    "Simplify",
    "Speed up",
    "Clean up",
    "Rework",
    "Tune",
    "Migrate",
    "Extract",
)
_FIX_VERBS = ("Fix", "Handle", "Guard against", "Correct", "Avoid")
_FEATURE_OBJECTS = (
    "retries on upstream timeouts",
    "pagination in the list endpoint",
    "idempotency keys",
    "request tracing",
    "cache warm-up on start",
    "batch size limits",
    "structured logging",
    "rate limiting per client",
    "feature flag for the new flow",
    "metrics for queue depth",
    "graceful shutdown",
    "config validation at start",
    "bulk import",
    "webhook signatures",
    "audit events",
    "OpenAPI spec",
    "database migration for the new index",
    "schema validation",
    "circuit breaker around the payment provider",
    "async export job",
    "read replica routing",
    "health check endpoint",
    "connection pooling",
    "dark mode toggle",
    "currency formatting",
    "search filters",
    "saved carts",
    "address autocomplete",
    "promo code stacking rules",
    "partial refunds",
    "3-D Secure challenge flow",
    "price history",
    "stock reservations",
)
_FIX_OBJECTS = (
    "null pointer in the order handler",
    "race in the worker pool",
    "stale cache entries",
    "timezone handling in reports",
    "connection pool exhaustion",
    "slow query on the orders table",
    "flaky integration test",
    "double submit on the checkout button",
    "rounding of tax amounts",
    "memory leak in the image resizer",
    "retry storm on 503s",
    "missing index on created_at",
    "wrong currency on invoices",
    "expired tokens not refreshed",
    "unicode in search queries",
    "off-by-one in pagination",
    "deadlock in inventory sync",
)
_COMMIT_MESSAGES = (
    "Add tests",
    "Fix lint",
    "Update docs",
    "Handle edge case",
    "Rename for clarity",
    "Address review comments",
    "Tidy up",
    "Add metrics",
    "Bump timeout",
    "Remove dead code",
    "Split into smaller functions",
    "Log the request id",
)
_DIRECT_PUSH = (
    "Update README",
    "Bump version",
    "Fix typo in config",
    "Update CODEOWNERS",
    "Regenerate API client",
    "Update CHANGELOG",
    "Tweak alert thresholds",
)
_PROBLEMS = (
    "Elevated 5xx rate",
    "Checkout latency p99 above 2s",
    "Payment form rejects valid cards",
    "Search returns empty results",
    "Orders stuck in pending",
    "Login loop for some users",
    "Memory usage climbing until OOM",
    "Queue backlog growing",
    "Prices shown without tax",
    "Images not loading",
    "Cart totals wrong with promo codes",
    "Timeouts calling the ledger",
)
UNRELATED_CAUSES = (
    "Cloud provider network degradation",
    "Upstream payment provider outage",
    "Certificate about to expire",
    "Disk usage above 90% on the primary database",
    "DNS resolution failures",
    "Third-party CDN errors",
    "Noisy neighbour on shared cluster",
)
MODULES = (
    "checkout",
    "cart",
    "pricing",
    "promotions",
    "account",
    "search",
    "layout",
    "payments",
    "shipping",
    "orders",
    "session",
    "analytics",
)
COMPONENTS = (
    "Button",
    "PriceTag",
    "CartSummary",
    "ProductCard",
    "Header",
    "Footer",
    "CheckoutForm",
    "SearchBox",
    "Banner",
    "Modal",
)
_PACKAGES = {
    "go": (
        "go_modules",
        (
            "golang.org/x/net",
            "github.com/stretchr/testify",
            "google.golang.org/grpc",
            "github.com/redis/go-redis/v9",
        ),
    ),
    "python": ("pip", ("requests", "urllib3", "pydantic", "sqlalchemy", "boto3")),
    "java": (
        "gradle",
        (
            "com.fasterxml.jackson.core:jackson-databind",
            "org.springframework.boot:spring-boot-starter-web",
            "org.postgresql:postgresql",
        ),
    ),
    "kotlin": (
        "gradle",
        ("io.ktor:ktor-server-core", "org.jetbrains.kotlinx:kotlinx-coroutines-core"),
    ),
    "typescript": ("npm_and_yarn", ("react", "next", "lodash", "axios", "@types/node")),
    "ruby": ("bundler", ("rails", "nokogiri", "puma")),
}


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40].rstrip("-")


def pr_title(rng: random.Random, kind: str) -> str:
    if kind == "fix":
        return f"{rng.choice(_FIX_VERBS)} {rng.choice(_FIX_OBJECTS)}"
    return f"{rng.choice(_FEATURE_VERBS)} {rng.choice(_FEATURE_OBJECTS)}"


def pr_body(rng: random.Random, title: str) -> str:
    ticket = f"ENG-{rng.randint(1000, 9999)}"
    return (
        f"## What\n{title}.\n\n## Why\nSee {ticket}.\n\n## Testing\n"
        f"- [x] unit tests\n- [{'x' if rng.random() < 0.7 else ' '}] tested on staging"
    )


def commit_message(rng: random.Random) -> str:
    return rng.choice(_COMMIT_MESSAGES)


def review_body(rng: random.Random, state: str) -> str:
    if state == "APPROVED":
        return rng.choice(("", "LGTM", "Looks good, thanks!", "Nice cleanup"))
    if state == "CHANGES_REQUESTED":
        return rng.choice(
            (
                "Please add a test for the error path.",
                "This breaks the retry semantics, see inline comment.",
                "Can we keep the old behaviour behind a flag?",
            )
        )
    return rng.choice(("A couple of nits inline.", "Question about the timeout value.", ""))


def dependency_bump(rng: random.Random, language: str, path_root: str) -> tuple[str, str]:
    ecosystem, packages = _PACKAGES.get(language, _PACKAGES["python"])
    package = rng.choice(packages)
    major, minor, patch = rng.randint(1, 9), rng.randint(0, 30), rng.randint(0, 20)
    old, new = f"{major}.{minor}.{patch}", f"{major}.{minor}.{patch + rng.randint(1, 3)}"
    where = f" in /{path_root.split('/')[0]}" if path_root else ""
    title = f"Bump {package} from {old} to {new}{where}"
    return title, f"dependabot/{ecosystem}/{package.replace(':', '-')}-{new}"


def dependency_body(title: str) -> str:
    return (
        f"{title}.\n\nDependabot will resolve any conflicts with this PR as long as you "
        "don't alter it yourself."
    )


def seed_message(rng: random.Random) -> str:
    return rng.choice(
        ("Merge branch 'release/2024.10'", "Bump version to 3.0.0", "Update dependencies")
    )


def direct_push_message(rng: random.Random) -> str:
    return rng.choice(_DIRECT_PUSH)


def release_prep_message(rng: random.Random) -> str:
    return rng.choice(
        ("Bump version for release", "Update CHANGELOG for release", "Prepare release")
    )


def problem(rng: random.Random, service: str) -> str:
    return rng.choice(_PROBLEMS)


def bug_title(rng: random.Random, service: str) -> str:
    return rng.choice(
        (
            "Order confirmation email sent twice",
            "Wrong price shown after currency switch",
            "Search ignores accented characters",
            "Cannot remove last item from cart",
            "Refund stuck in processing",
            "Page crashes on Safari 16",
            "Export misses the last row",
            "Session expires while typing the address",
            "Coupon accepted after expiry",
            "Slow response when listing orders",
            "Typo on the payment error page",
        )
    )
