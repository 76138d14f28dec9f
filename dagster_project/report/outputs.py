"""Write the report and the portal files from the published copy.

    <out>/report/index.html        the static report (one self-contained file)
    <out>/services/<name>.json     one document per service; services/index.json maps ids
    <out>/teams/<name>.md          one summary per team; teams/index.json maps ids
                                   (file names from ids: report/filenames.py)

`<out>` is the published folder unless told otherwise. Each file is written beside its final
name and renamed into place, so a browser or a portal never reads half a file; files of
services and teams that no longer exist are removed, and so are temporary files a killed run
left.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.config import StatureConfig
from dagster_project.report.data import load_report_data, published_database
from dagster_project.report.filenames import INDEX_FILE, file_stems
from dagster_project.report.html import render_report
from dagster_project.report.portal import service_documents, service_json, team_markdown

REPORT_FILE = Path("report") / "index.html"


@dataclass
class ReportOutputs:
    report: Path
    services: list[Path] = field(default_factory=list)
    teams: list[Path] = field(default_factory=list)
    sections: dict[str, str] = field(default_factory=dict)  # section id -> ok | empty | missing
    missing: dict[str, str] = field(default_factory=dict)  # what the published copy lacks

    @property
    def unavailable(self) -> list[str]:
        return [s for s, state in self.sections.items() if state == "missing"]


def write_atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _replace_folder_files(folder: Path, texts: dict[str, str], suffix: str) -> list[Path]:
    """Write one file per id (`texts`: id -> content) under names from file_stems, then the
    index (id -> file name), then remove files no id maps to any more and temporary files
    a killed run left."""
    stems = file_stems(texts)
    written = []
    for entity_id in sorted(texts):
        path = folder / f"{stems[entity_id]}{suffix}"
        write_atomic(path, texts[entity_id])
        written.append(path)
    index = {entity_id: f"{stems[entity_id]}{suffix}" for entity_id in sorted(texts)}
    write_atomic(
        folder / INDEX_FILE,
        json.dumps({"schema_version": 1, "files": index}, indent=2, ensure_ascii=False) + "\n",
    )
    keep = {p.name for p in written} | {INDEX_FILE}
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
    """Read the published copy and write the report and the portal files."""
    published_dir = Path(published_dir or config.published_path)
    out_dir = Path(out_dir or published_dir)
    data = load_report_data(published_database(published_dir), org_name=config.org.name)
    page, sections = render_report(
        data,
        published_dir=published_dir,
        strategy_links=[
            (link.cause, link.effect) for link in config.balanced_scorecard.strategy_map
        ],
        perspectives=config.balanced_scorecard.perspectives,
        generated_at=generated_at,
    )
    outputs = ReportOutputs(
        report=out_dir / REPORT_FILE,
        sections={s.id: s.state for s in sections},
        missing=dict(data.missing),
    )
    for leftover in outputs.report.parent.glob(".*.tmp"):
        leftover.unlink(missing_ok=True)
    write_atomic(outputs.report, page)
    documents = service_documents(data)
    outputs.services = _replace_folder_files(
        out_dir / "services",
        {sid: service_json(doc) for sid, doc in documents.items()},
        ".json",
    )
    team_ids = sorted(
        {t["team_id"] for t in data.teams}
        | {d["team_id"] for d in documents.values() if d["team_id"]}
    )
    outputs.teams = _replace_folder_files(
        out_dir / "teams",
        {t: team_markdown(data, t, documents) for t in team_ids},
        ".md",
    )
    return outputs
