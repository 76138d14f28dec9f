"""How big the written site is, page kind by page kind: what `stature bench` reports against
the size budget a page must stay under (README, "The site")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Every page of the site stays under this at 2,000 services.
PAGE_BUDGET_BYTES = 1_000_000
# The org's pages sit at the site's top level; the others in a folder per kind.
PAGE_KINDS = {"org": None, "team": "teams", "service": "services", "standard": "standards"}


@dataclass(frozen=True)
class KindSizes:
    """The pages of one kind: how many, their bytes in all, and the largest of them."""

    pages: int = 0
    total_bytes: int = 0
    largest_bytes: int = 0
    largest: str = ""  # path under the site, e.g. "standards/has_runbook.html"


@dataclass(frozen=True)
class SiteSizes:
    kinds: dict[str, KindSizes]
    asset_bytes: int = 0  # the stylesheet and script every page shares

    @property
    def pages(self) -> int:
        return sum(k.pages for k in self.kinds.values())

    @property
    def total_bytes(self) -> int:
        return sum(k.total_bytes for k in self.kinds.values()) + self.asset_bytes

    @property
    def largest(self) -> KindSizes:
        return max(self.kinds.values(), key=lambda k: k.largest_bytes)

    @property
    def within_budget(self) -> bool:
        return self.largest.largest_bytes < PAGE_BUDGET_BYTES


def _kind_sizes(site: Path, pages: list[Path]) -> KindSizes:
    if not pages:
        return KindSizes()
    sizes = {p.relative_to(site).as_posix(): p.stat().st_size for p in pages}
    largest = max(sorted(sizes), key=sizes.__getitem__)  # ties: the first name
    return KindSizes(len(sizes), sum(sizes.values()), sizes[largest], largest)


def site_sizes(site: Path) -> SiteSizes:
    """The sizes of the site written under `site` (the published folder's `report/`)."""
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"{site}: no site here (index.html is missing)")
    kinds = {
        kind: _kind_sizes(site, sorted((site / folder if folder else site).glob("*.html")))
        for kind, folder in PAGE_KINDS.items()
    }
    assets = site / "assets"
    asset_bytes = sum(p.stat().st_size for p in assets.rglob("*") if p.is_file())
    return SiteSizes(kinds, asset_bytes)


def kilobytes(size: int) -> str:
    return f"{size / 1000:,.0f} KB"
