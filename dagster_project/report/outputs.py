"""Write the site and the portal files from the published copy.

    <out>/report/...               the static site (report/site.py lists its pages)
    <out>/services/<name>.json     one document per service; services/index.json maps ids
    <out>/teams/<name>.md          one summary per team; teams/index.json maps ids
                                   (file names from ids: report/filenames.py)

`<out>` is the published folder unless told otherwise. Each file is written beside its final
name and renamed into place, so a browser or a portal never reads half a file; files of
services, teams and standards that no longer exist are removed, and so are temporary files
a killed run left.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from dagster_project.config import StatureConfig
from dagster_project.report import entity_pages, initiative_pages, org_pages
from dagster_project.report.data import load_report_data, published_database
from dagster_project.report.filenames import INDEX_FILE
from dagster_project.report.portal import service_document, service_json, team_markdown
from dagster_project.report.site import ASSETS, Site, environment
from dagster_project.report.tables import site_vocabulary

REPORT_DIR = Path("report")
REPORT_FILE = REPORT_DIR / "index.html"
# (file under report/, template, page builder)
ORG_PAGES: tuple[tuple[str, str, Callable[[Site], dict]], ...] = (
    ("index.html", "org.html", org_pages.org_page),
    ("services.html", "services.html", org_pages.services_page),
    ("standards.html", "standards.html", org_pages.standards_page),
    ("scorecard.html", "scorecard.html", org_pages.scorecard_page),
)
ENTITY_PAGES = (
    ("teams", "team.html", entity_pages.team_page),
    ("services", "service.html", entity_pages.service_page),
    ("standards", "standard.html", entity_pages.standard_page),
    ("initiatives", "initiative.html", initiative_pages.initiative_page),
)


@dataclass
class ReportOutputs:
    report: Path
    pages: dict[str, list[Path]] = field(default_factory=dict)  # teams|services|standards|...
    services: list[Path] = field(default_factory=list)
    teams: list[Path] = field(default_factory=list)
    missing: dict[str, str] = field(default_factory=dict)  # what the published copy lacks

    @property
    def site(self) -> Path:
        return self.report.parent


def write_atomic(path: Path, text: str) -> None:
    """Write `text` beside `path` and rename it into place; leave a file that already holds
    exactly `text` alone. Renaming over an existing file makes ext4 flush the new
    one to disk first: at 2,000 services, 4,000 renames took about 7 s of a 27 s report,
    and the portal files (services/*.json, teams/*.md) and assets often do not change."""
    data = text.encode("utf-8")
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return
    except OSError:  # not there yet (or unreadable: write it anew)
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _replace_folder_files(
    folder: Path,
    ids: Iterable[str],
    stems: dict[str, str],
    suffix: str,
    render: Callable[[str], str],
    *,
    index: bool,
) -> list[Path]:
    """Write one file per id, rendered one at a time (2,000 pages never sit in memory
    together), under its name from `stems`; then (with `index`) the index (id -> file
    name); then remove files no id maps to any more and temporary files a killed run left."""
    written = []
    ids = sorted(ids)
    for entity_id in ids:
        path = folder / f"{stems[entity_id]}{suffix}"
        write_atomic(path, render(entity_id))
        written.append(path)
    keep = {p.name for p in written}
    if index:
        names = {entity_id: f"{stems[entity_id]}{suffix}" for entity_id in ids}
        write_atomic(
            folder / INDEX_FILE,
            json.dumps({"schema_version": 1, "files": names}, indent=2, ensure_ascii=False) + "\n",
        )
        keep.add(INDEX_FILE)
    if folder.is_dir():
        for stale in [*folder.glob(f"*{suffix}"), *folder.glob(".*.tmp")]:
            if stale.name not in keep:
                stale.unlink(missing_ok=True)
    return written


def write_outputs(
    config: StatureConfig,
    *,
    published_dir: Path | None = None,
    out_dir: Path | None = None,
    generated_at: dt.datetime | None = None,
) -> ReportOutputs:
    """Read the published copy and write the site and the portal files."""
    published_dir = Path(published_dir or config.published_path)
    out_dir = Path(out_dir or published_dir)
    data = load_report_data(published_database(published_dir), org_name=config.org.name)
    site = Site.build(data, config, generated_at=generated_at or dt.datetime.now(dt.UTC))
    env = environment()
    vocabulary = site_vocabulary()
    report_dir = out_dir / REPORT_DIR
    outputs = ReportOutputs(report=out_dir / REPORT_FILE, missing=dict(data.missing))
    for leftover in report_dir.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    assets = resources.files("dagster_project.report") / "templates" / "assets"
    for name in ASSETS:
        write_atomic(report_dir / "assets" / name, (assets / name).read_text(encoding="utf-8"))
    for file_name, template, build in ORG_PAGES:
        page = env.get_template(template).render(**build(site), vocabulary=vocabulary)
        write_atomic(report_dir / file_name, page)
    for kind, template, build in ENTITY_PAGES:
        ids = {
            "teams": site.teams,
            "services": site.services,
            "standards": site.rules,
            "initiatives": site.initiatives,
        }[kind]
        compiled = env.get_template(template)
        outputs.pages[kind] = _replace_folder_files(
            report_dir / kind,
            ids,
            site.stems[kind],
            ".html",
            lambda entity_id, compiled=compiled, build=build: compiled.render(
                **build(site, entity_id), vocabulary=vocabulary
            ),
            index=False,
        )
    outputs.services = _replace_folder_files(
        out_dir / "services",
        site.services,
        site.stems["services"],
        ".json",
        lambda sid: service_json(service_document(site, sid)),
        index=True,
    )
    outputs.teams = _replace_folder_files(
        out_dir / "teams",
        site.teams,
        site.stems["teams"],
        ".md",
        lambda team_id: team_markdown(site, env, team_id),
        index=True,
    )
    return outputs
