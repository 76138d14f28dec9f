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
import multiprocessing
import os
import tempfile
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
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
# Page rendering in parallel (_write_folders): a worker per CPU, up to this many, each with at
# least this many files (below it, forking costs more than it saves).
MAX_RENDER_WORKERS = 8
MIN_FILES_PER_WORKER = 50
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


@dataclass(frozen=True)
class _Folder:
    """One file per id (`ids` in order) under `folder`, named from `stems`, text from
    `render`; with `index`, also folder/index.json (id -> file name)."""

    folder: Path
    ids: list[str]
    stems: dict[str, str]
    suffix: str
    render: Callable[[str], str]
    index: bool = False

    def path(self, entity_id: str) -> Path:
        return self.folder / f"{self.stems[entity_id]}{self.suffix}"

    def paths(self) -> list[Path]:
        return [self.path(entity_id) for entity_id in self.ids]


# The folders a forked worker writes its share of: set before the fork, read in the child
# (a render function is a closure over the site, which a fork shares and pickling would copy).
_FOLDERS: list[_Folder] = []


def _write_share(worker: int, workers: int) -> None:
    """Render and write every `workers`-th file of each folder in _FOLDERS, from `worker`."""
    for job in _FOLDERS:
        for entity_id in job.ids[worker::workers]:
            write_atomic(job.path(entity_id), job.render(entity_id))


def render_workers(files: int) -> int:
    """How many processes render the pages: one per CPU this process may use (at most
    MAX_RENDER_WORKERS), and one for a site too small to gain from it."""
    if files < MIN_FILES_PER_WORKER * 2:
        return 1
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(cpus or 1, MAX_RENDER_WORKERS, files // MIN_FILES_PER_WORKER))


def _write_folders(folders: list[_Folder]) -> None:
    """Write every folder's files, then its index, then remove the files no id maps to any
    more and the temporary files a killed run left. Rendering is pure Python (Jinja2), one
    CPU per process: a site of thousands of pages is rendered by forked workers, each
    writing its share of every folder (the parent waits; a worker's error is raised here)."""
    workers = render_workers(sum(len(job.ids) for job in folders))
    _FOLDERS[:] = folders
    try:
        if workers == 1:
            _write_share(0, 1)
        else:
            # A worker that dies (killed, out of memory) fails the report (BrokenProcessPool)
            # rather than leaving it waiting.
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(workers, mp_context=context) as pool:
                for done in [pool.submit(_write_share, w, workers) for w in range(workers)]:
                    done.result()
    finally:
        _FOLDERS.clear()
    for job in folders:
        keep = {path.name for path in job.paths()}
        if job.index:
            names = {entity_id: job.path(entity_id).name for entity_id in job.ids}
            write_atomic(
                job.folder / INDEX_FILE,
                json.dumps({"schema_version": 1, "files": names}, indent=2, ensure_ascii=False)
                + "\n",
            )
            keep.add(INDEX_FILE)
        if job.folder.is_dir():
            for stale in [*job.folder.glob(f"*{job.suffix}"), *job.folder.glob(".*.tmp")]:
                if stale.name not in keep:
                    stale.unlink(missing_ok=True)


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
    folders: dict[str, _Folder] = {}
    for kind, template, build in ENTITY_PAGES:
        ids = {
            "teams": site.teams,
            "services": site.services,
            "standards": site.rules,
            "initiatives": site.initiatives,
        }[kind]
        compiled = env.get_template(template)
        folders[kind] = _Folder(
            report_dir / kind,
            sorted(ids),
            site.stems[kind],
            ".html",
            lambda entity_id, compiled=compiled, build=build: compiled.render(
                **build(site, entity_id), vocabulary=vocabulary
            ),
        )
    folders["services.json"] = _Folder(
        out_dir / "services",
        sorted(site.services),
        site.stems["services"],
        ".json",
        lambda sid: service_json(service_document(site, sid)),
        index=True,
    )
    folders["teams.md"] = _Folder(
        out_dir / "teams",
        sorted(site.teams),
        site.stems["teams"],
        ".md",
        lambda team_id: team_markdown(site, env, team_id),
        index=True,
    )
    _write_folders(list(folders.values()))
    outputs.pages = {kind: folders[kind].paths() for kind, _, _ in ENTITY_PAGES}
    outputs.services = folders["services.json"].paths()
    outputs.teams = folders["teams.md"].paths()
    return outputs
