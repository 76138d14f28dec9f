"""A dbt command run inside the Stature run's own process (dbt's `dbtRunner`), its results
turned into the same Dagster events dagster-dbt makes of a dbt subprocess's log.

Why: every dbt subprocess starts Python, imports dbt and reads the project's parse state
before its first node, 3 to 6 s each time; the nightly's two dbt steps paid that twice. In
the run's process dbt is imported once (dagster-dbt imports most of it anyway) and a step
costs about a second beyond its nodes. A killed run takes its dbt with it: there is no child
to outlive it.

The step yields each model's and test's events when dbt has finished (dbt's own log, in the
step's target folder and the run's log, shows its progress as it goes). dbt-duckdb keeps its
DuckDB connection in a process-wide environment between commands; it is closed when the
command ends, so the run's next step (and the next run) can open the warehouse.
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from dagster_dbt import DagsterDbtTranslator, DbtProject
from dagster_dbt.asset_utils import get_updated_cli_invocation_params_for_context
from dagster_dbt.core.dbt_cli_event import DbtCoreCliEventMessage
from dbt.adapters.duckdb.connections import DuckDBConnectionManager
from dbt_common.events.functions import msg_to_dict

RESULT_EVENTS = frozenset({"LogSeedResult", "LogModelResult", "LogSnapshotResult", "LogTestResult"})
PARTIAL_PARSE = "partial_parse.msgpack"


class InProcessBuild:
    """One dbt command for an asset step (`dbt build ...`), selected as dagster-dbt selects
    it for the step's assets, writing its artifacts and log under `target_path`.

    The attributes the nightly reads after it are those of dagster-dbt's DbtCliInvocation:
    `manifest`, `target_path`, `get_artifact(name)` and `get_error()`."""

    def __init__(
        self,
        args: Sequence[str],
        *,
        context: Any,
        translator: DagsterDbtTranslator,
        project: DbtProject,
        target_path: Path,
        profiles_dir: Path,
    ) -> None:
        params = get_updated_cli_invocation_params_for_context(
            context=context,
            manifest={},  # taken from the step's own assets definition
            dagster_dbt_translator=translator,
        )
        self.context = context
        self.manifest = params.manifest
        self.translator = params.dagster_dbt_translator
        self.project = params.dbt_project or project
        self.target_path = target_path
        # A large subset makes dagster-dbt write a selector into a temporary copy of the
        # project: dbt then runs in that copy.
        project_dir = Path(self.project.project_dir)
        self.args = [
            *args,
            *(["--indirect-selection", params.indirect_selection] if params.indirect_selection else []),
            "--project-dir", str(project_dir),
            "--profiles-dir", str(profiles_dir),
            "--target-path", str(target_path),
            "--log-path", str(target_path),
            "--no-send-anonymous-usage-stats",
            "--no-use-colors",  # its output goes to the run's log file
            # dbt.log at info: a line per node, not the SQL of every statement (a second of the
            # models step at 200 services); DBT_LOG_LEVEL_FILE=debug brings the statements back
            *([] if "DBT_LOG_LEVEL_FILE" in os.environ else ["--log-level-file", "info"]),
            # no manifest.json (about a second at each step); run_results.json is written below
            "--no-write-json",
            *params.selection_args,
        ]  # fmt: skip
        self._seed_parse_state(project_dir)
        self.exception: BaseException | None = None

    def _seed_parse_state(self, project_dir: Path) -> None:
        """Start from the project's last parse state, so dbt parses only what changed."""
        shared = project_dir / "target" / PARTIAL_PARSE
        self.target_path.mkdir(parents=True, exist_ok=True)
        if shared.exists():
            shutil.copyfile(shared, self.target_path / PARTIAL_PARSE)

    def stream(self) -> Iterator[Any]:
        """Run dbt to the end, then yield Dagster's events for each node it built or tested.
        (Yielding while dbt runs would hand each event to Dagster on this process's one
        interpreter lock, which slowed dbt's own threads by half.)"""
        from dbt.cli.main import dbtRunner
        from dbt.contracts.results import RunExecutionResult

        results: list[Any] = []  # appended from dbt's threads

        def on_event(message) -> None:
            if message.info.name in RESULT_EVENTS:
                results.append(message)

        try:
            outcome = dbtRunner(callbacks=[on_event]).invoke(self.args)
            self.exception = outcome.exception
            if isinstance(outcome.result, RunExecutionResult):  # the build ran, nodes failed or not
                outcome.result.write(str(self.target_path / "run_results.json"))
        finally:
            close_duckdb_environment()
        for message in results:
            yield from self._dagster_events(message)

    def _dagster_events(self, message) -> Iterator[Any]:
        event = DbtCoreCliEventMessage(raw_event=msg_to_dict(message), event_history_metadata={})
        yield from event.to_default_asset_events(
            manifest=self.manifest,
            dagster_dbt_translator=self.translator,
            context=self.context,
            target_path=self.target_path,
            project=self.project,
        )

    def get_artifact(self, name: str) -> dict[str, Any]:
        return json.loads((self.target_path / name).read_text())

    def get_error(self) -> str | None:
        if self.exception is None:
            return None
        return f"{type(self.exception).__name__}: {self.exception}"


def close_duckdb_environment() -> None:
    """Close the DuckDB connection dbt-duckdb keeps for the process after a command (its
    class-level environment), releasing the warehouse file."""
    environment = DuckDBConnectionManager._ENV
    if environment is not None:
        environment.close()
    DuckDBConnectionManager.close_all_connections()


def unique_target_path(dbt_dir: Path, context: Any) -> Path:
    """target/<step>-<run>-<random>: the step's own folder, named as dagster-dbt names its
    subprocesses' folders, so the pruning of old folders treats both alike."""
    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    return dbt_dir / "target" / name
