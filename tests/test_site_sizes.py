"""The site's page sizes as `stature bench` reports them: pages, bytes and the largest page
of each kind (org, team, service, standard), and whether every page is within the budget;
on a hand-made folder whose figures are worked out by hand, then on a site written from the
hand-made published copy."""

from __future__ import annotations

import datetime as dt

import pytest

from dagster_project.bench import EngineFigures, RunFigures, SizeFigures, site_rows, table
from dagster_project.report.outputs import ORG_PAGES, write_outputs
from dagster_project.report.sizes import PAGE_BUDGET_BYTES, KindSizes, site_sizes
from tests.support.report_warehouse import published_copy


def _size(**runs: RunFigures) -> SizeFigures:
    """A 12-service, 40-day size whose DuckDB runs are `full` and `increment`."""
    return SizeFigures(12, 40, runs=[EngineFigures("duckdb", **runs)])


def _write(root, files: dict[str, int]) -> None:
    for name, size in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * size)


def test_pages_bytes_and_the_largest_page_of_each_kind(tmp_path):
    _write(
        tmp_path,
        {
            "index.html": 100,
            "services.html": 250,
            "assets/site.css": 30,
            "assets/site.js": 10,
            "teams/b.html": 300,
            "teams/a.html": 300,  # as large as b: the first name is named
            "services/x.html": 70,
            "services/notes.json": 5_000,  # not a page
        },
    )
    (tmp_path / "standards").mkdir()
    sizes = site_sizes(tmp_path)
    assert sizes.kinds == {
        "org": KindSizes(pages=2, total_bytes=350, largest_bytes=250, largest="services.html"),
        "team": KindSizes(pages=2, total_bytes=600, largest_bytes=300, largest="teams/a.html"),
        "service": KindSizes(pages=1, total_bytes=70, largest_bytes=70, largest="services/x.html"),
        "standard": KindSizes(),
    }
    assert (sizes.pages, sizes.asset_bytes, sizes.total_bytes) == (5, 40, 350 + 600 + 70 + 40)
    assert sizes.largest.largest == "teams/a.html"
    assert sizes.within_budget

    run = RunFigures(site=sizes)
    rows = {row[0]: row[1:] for row in site_rows([_size(full=run, increment=run)])}
    assert rows == {
        "site: pages, size": ["5 pages, 0.0 MB"] * 2,
        "largest org page": ["services.html 0 KB (of 2 pages, 0 KB in all)"] * 2,
        "largest team page": ["teams/a.html 0 KB (of 2 pages, 1 KB in all)"] * 2,
        "largest service page": ["services/x.html 0 KB (of 1 pages, 0 KB in all)"] * 2,
        "largest standard page": ["none"] * 2,
        "every page under 1 MB": ["yes"] * 2,
    }


def test_a_page_at_the_budget_is_over_it(tmp_path):
    _write(tmp_path, {"index.html": 10, "standards/big.html": PAGE_BUDGET_BYTES})
    sizes = site_sizes(tmp_path)
    assert not sizes.within_budget
    rows = {r[0]: r[1:] for r in site_rows([_size(full=RunFigures(site=sizes))])}
    assert rows["every page under 1 MB"] == [
        "**no**: standards/big.html 1,000 KB (of 1 pages, 1,000 KB in all)",
        "no site",  # the increment left none
    ]


def test_a_folder_without_a_site_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"index\.html is missing"):
        site_sizes(tmp_path)


def test_the_figures_of_a_written_site_and_the_bench_table_rows(tmp_path):
    config, _, _ = published_copy(tmp_path)
    outputs = write_outputs(config, generated_at=dt.datetime(2026, 11, 16, 3, tzinfo=dt.UTC))
    sizes = site_sizes(outputs.site)
    pages = {
        "org": [outputs.site / name for name, _, _ in ORG_PAGES],
        "team": outputs.pages["teams"],
        "service": outputs.pages["services"],
        "standard": outputs.pages["standards"],
    }
    for kind, written in pages.items():
        largest = max(written, key=lambda p: (p.stat().st_size, -written.index(p)))
        assert sizes.kinds[kind] == KindSizes(
            pages=len(written),
            total_bytes=sum(p.stat().st_size for p in written),
            largest_bytes=largest.stat().st_size,
            largest=largest.relative_to(outputs.site).as_posix(),
        ), kind
    assert sizes.pages == 4 + 2 + 4 + len(outputs.pages["standards"])
    assert sizes.asset_bytes == sum(p.stat().st_size for p in (outputs.site / "assets").iterdir())
    assert sizes.within_budget

    # the bench's table carries the rows, for each run
    text = table([_size(full=RunFigures(site=sizes), increment=RunFigures())])
    lines = [line for line in text.splitlines() if line.startswith("| largest standard page |")]
    assert lines == [
        f"| largest standard page | {sizes.kinds['standard'].largest} "
        f"{sizes.kinds['standard'].largest_bytes / 1000:,.0f} KB "
        f"(of {len(outputs.pages['standards'])} pages, "
        f"{sizes.kinds['standard'].total_bytes / 1000:,.0f} KB in all) | no site |"
    ]
