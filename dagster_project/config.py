"""The `stature.yml` configuration: a typed model, its defaults, and loading with clear errors.

Every key has a default, so an empty file is a valid config. Secrets never live here: sources
name the environment variables that hold their tokens.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

DEFAULT_CONFIG_PATH = Path("stature.yml")


class ConfigError(Exception):
    """A config that cannot be used; the message names the file, the key and the fix."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OrgConfig(_Strict):
    name: str = "org"
    timezone: str = "UTC"
    fiscal_year_start_month: int = Field(default=1, ge=1, le=12)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r} (e.g. 'Europe/Berlin')") from exc
        return value


# Keys that once existed, and where their setting lives now.
MOVED_KEYS = {
    "sources.github.incident_label": "it had no effect; the label that makes a GitHub issue "
    "an incident is dora.incident_label",
}


class GithubSource(_Strict):
    base_url: str = "https://api.github.com"
    token_env: str = "GITHUB_TOKEN"
    repos: list[str] = []
    per_page: int = Field(default=100, ge=1, le=100)


class GitlabSource(_Strict):
    base_url: str = "https://gitlab.com/api/v4"
    token_env: str = "GITLAB_TOKEN"
    projects: list[str] = []


class JenkinsSource(_Strict):
    base_url: str = ""
    user_env: str = "JENKINS_USER"
    token_env: str = "JENKINS_TOKEN"
    jobs: list[str] = []


class PagerdutySource(_Strict):
    base_url: str = "https://api.pagerduty.com"
    token_env: str = "PAGERDUTY_TOKEN"
    service_ids: list[str] = []


class OpsgenieSource(_Strict):
    base_url: str = "https://api.opsgenie.com"
    token_env: str = "OPSGENIE_TOKEN"


class PathsSource(_Strict):
    paths: list[str] = []


class SourcesConfig(_Strict):
    github: GithubSource | None = None
    gitlab: GitlabSource | None = None
    jenkins: JenkinsSource | None = None
    pagerduty: PagerdutySource | None = None
    opsgenie: OpsgenieSource | None = None
    catalog: PathsSource | None = None
    inputs: PathsSource | None = None


class DoraConfig(_Strict):
    """How raw events become DORA facts; passed to dbt as vars."""

    production_environment: str = r"(?i)^prod(uction)?$"
    deploy_workflow: str = r"(?i)deploy"
    production_workflow: str = r"(?i)prod"
    hotfix_label: str = "hotfix"
    hotfix_branch: str = r"^hotfix/"
    revert_title: str = r"^Revert"
    rollback_title: str = r"(?i)^rollback"
    incident_label: str = "incident"
    attribution_window_hours: int = Field(default=24, ge=1)
    history_horizon_days: int = Field(default=90, ge=1)
    benchmark_edition: Literal["2021", "2023", "2024"] = "2023"

    @field_validator(
        "production_environment",
        "deploy_workflow",
        "production_workflow",
        "hotfix_branch",
        "revert_title",
        "rollback_title",
    )
    @classmethod
    def _valid_regex(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        problem = _re2_problem(value)
        if problem:
            raise ValueError(problem)
        return value

    @field_validator("benchmark_edition", mode="before")
    @classmethod
    def _edition_as_text(cls, value: Any) -> Any:
        value = str(value) if isinstance(value, int) else value
        if isinstance(value, str) and value.isdigit() and int(value) >= 2025:
            raise ValueError(
                f"DORA's {value} report publishes no performance clusters (it describes team "
                "archetypes instead), so tiers stop at the 2024 edition: use 2021, 2023 or 2024"
            )
        return value


class RulesConfig(_Strict):
    dir: str = "rules_sql"
    timeout_seconds: float = Field(default=30, gt=0)


class MaturityConfig(_Strict):
    ladder: str = "default"
    ladders: dict[str, list[str]] = {
        "default": ["Ad hoc", "Defined", "Measured", "Embedded", "Systemic"],
        "cmmi": ["Initial", "Managed", "Defined", "Quantitatively managed", "Optimized"],
    }
    warn_blocks: bool = False
    team_level: Literal["median", "min"] = "median"
    # How many ended quarters back a run closes missing snapshots (evaluating the rules as of
    # each quarter's last day when check_results lack it): the demo's 8 quarters of history.
    backfill_quarters: int = Field(default=8, ge=1, le=40)


class StrategyLink(_Strict):
    cause: str
    effect: str


class BalancedScorecardConfig(_Strict):
    perspectives: list[str] = [
        "Business Value",
        "Customer Outcomes",
        "Engineering Excellence",
        "Team Capability",
    ]
    strategy_map: list[StrategyLink] = []
    max_measures: int = 20
    # Objectives of the strategy map that no measure names (`objective:` in a measure's
    # header places it), as {objective: perspective}.
    objectives: dict[str, str] = {}
    # A change from the previous quarter within this share of the measure's yellow band
    # (yellow_band x |target|) is a flat trend.
    trend_flat_band: float = Field(default=0.1, ge=0, le=1)


class ScheduleConfig(_Strict):
    nightly_cron: str = "0 2 * * *"


class OperationsConfig(_Strict):
    """What the Dagster deployment watches and how it recovers (docs/operations.md)."""

    # Dagster's instance (run history, the UI's partitions) when $DAGSTER_HOME is unset.
    dagster_home: str = "data/dagster_home"
    # A rule's `not_reported_share` check fails above this share of its applicable entities.
    not_reported_max_share: float = Field(default=0.5, ge=0, le=1)
    # The published copy's freshness check fails when it is older than this.
    published_max_age_hours: float = Field(default=26, gt=0)
    # The environment variable holding a webhook URL the run-failure alert is POSTed to.
    alert_webhook_env: str = "STATURE_ALERT_WEBHOOK_URL"
    # The environment variable holding a webhook URL the change notices are POSTed to.
    notices_webhook_env: str = "STATURE_NOTICES_WEBHOOK_URL"
    # Retries of an ingestion step whose source failed (API mode), and the first wait.
    ingest_retries: int = Field(default=2, ge=0, le=10)
    ingest_retry_delay_seconds: float = Field(default=30, ge=0)
    # Within one attempt, each API request is tried this many times on a 5xx, a timeout or
    # a broken page, waiting api_backoff_seconds and twice as long each time (capped at 60 s).
    api_request_attempts: int = Field(default=6, ge=1, le=20)
    api_backoff_seconds: float = Field(default=1.0, ge=0)


class SparkConfig(_Strict):
    """How the Spark engine reaches Spark (docs/engines.md). `session` starts a local Spark
    inside the dbt process (pyspark, Java 17); `thrift` and `http` reach a cluster's Thrift
    server or a Databricks SQL endpoint, with the token read from the variable `token_env`
    names."""

    method: Literal["session", "thrift", "http"] = "session"
    host: str = "localhost"
    port: int = Field(default=443, ge=1, le=65535)
    cluster: str = ""  # http: the Databricks cluster or SQL warehouse id
    token_env: str = "SPARK_TOKEN"
    # The folder where the raw tables go as Parquet for Spark and the marts come back: a path
    # this machine and the cluster both see. Default: the warehouse file's path + `.lake`.
    lake: str | None = None
    # Extra Spark settings (`spark.driver.memory: 4g`), on top of Stature's own.
    settings: dict[str, str] = {}


ENGINES = ("duckdb", "spark")


class StatureConfig(_Strict):
    org: OrgConfig = OrgConfig()
    # What builds the dbt models: `duckdb` (the warehouse file itself) or `spark` (dbt-spark;
    # the raw tables and the marts pass through `spark.lake`). Everything else is the same.
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: SparkConfig = SparkConfig()
    warehouse: str = "data/warehouse.duckdb"
    published_dir: str = "data/published"
    # The first date a run can be graded as of (`--as-of`): the daily partitions of the rules
    # and maturity assets start here.
    history_start: dt.date = dt.date(2015, 1, 1)
    export_dir: str | None = None
    sources: SourcesConfig = SourcesConfig()
    dora: DoraConfig = DoraConfig()
    rules: RulesConfig = RulesConfig()
    maturity: MaturityConfig = MaturityConfig()
    balanced_scorecard: BalancedScorecardConfig = BalancedScorecardConfig()
    schedule: ScheduleConfig = ScheduleConfig()
    operations: OperationsConfig = OperationsConfig()

    # Where the file was read from; relative paths in the config resolve against its folder.
    base_dir: Path = Field(default=Path("."), exclude=True)

    def resolve(self, path: str | Path) -> Path:
        path = Path(path)
        return path if path.is_absolute() else (self.base_dir / path).resolve()

    @property
    def warehouse_path(self) -> Path:
        return self.resolve(os.environ.get("STATURE_WAREHOUSE") or self.warehouse)

    @property
    def lake_path(self) -> Path:
        """The Spark engine's lake folder: `spark.lake`, else next to the warehouse file."""
        if self.spark.lake:
            return self.resolve(self.spark.lake)
        warehouse = self.warehouse_path
        return warehouse.with_name(warehouse.name + ".lake")

    @property
    def published_path(self) -> Path:
        return self.resolve(self.published_dir)

    @property
    def dagster_home_path(self) -> Path:
        """Dagster's home: $DAGSTER_HOME, else operations.dagster_home (data/dagster_home)."""
        return self.resolve(os.environ.get("DAGSTER_HOME") or self.operations.dagster_home)

    @property
    def rules_path(self) -> Path:
        return self.resolve(self.rules.dir)

    @property
    def ladder_names(self) -> list[str]:
        return self.maturity.ladders[self.maturity.ladder]

    def dbt_vars(self) -> dict[str, Any]:
        """The config as dbt vars: models read nothing else about the org."""
        d = self.dora
        return {
            "stature_timezone": self.org.timezone,
            "fiscal_year_start_month": self.org.fiscal_year_start_month,
            "production_environment_pattern": d.production_environment,
            "deploy_workflow_pattern": d.deploy_workflow,
            "production_workflow_pattern": d.production_workflow,
            "hotfix_label": d.hotfix_label,
            "hotfix_branch_pattern": d.hotfix_branch,
            "revert_title_pattern": d.revert_title,
            "rollback_title_pattern": d.rollback_title,
            "incident_label": d.incident_label,
            "attribution_window_hours": d.attribution_window_hours,
            "history_horizon_days": d.history_horizon_days,
            "benchmark_edition": d.benchmark_edition,
        }


def _line_of(text: str, key_path: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a dotted key in the YAML text (for error messages)."""
    try:
        node = yaml.compose(text)
    except yaml.YAMLError:
        return None
    for key in key_path:
        if isinstance(node, yaml.MappingNode):
            match = [v for k, v in node.value if k.value == str(key)]
            if not match:
                return None
            key_node = next(k for k, v in node.value if k.value == str(key))
            node = match[0]
            line = key_node.start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None
    return line if key_path else None


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, refusing a key given twice in one mapping (PyYAML keeps the last
    silently: a second `dora:` block would drop the first without a word)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue  # `<<: *defaults`: explicit keys beside it override, as YAML says
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKey(
                    f"key '{key}' is given twice, at lines {seen[key]} and {line}: keep one"
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


@functools.cache
def _re2_problem(pattern: str) -> str | None:
    """Why the warehouse's engine cannot run `pattern`, or None. The models match with DuckDB
    (RE2: no look-around or back-references), so a pattern it cannot run would fail the build.
    Cached: the config is read again by every step of a run, and a connection per pattern
    costs more than the rest of the read."""
    import duckdb

    with duckdb.connect() as con:
        try:
            con.execute("select regexp_matches('', ?)", [pattern]).fetchall()
        except duckdb.Error as exc:
            first = str(exc).splitlines()[0]
            return (
                f"the warehouse's regular expressions (RE2) cannot run it: {first} "
                "(no look-around or back-references)"
            )
    return None


class DuplicateKey(yaml.YAMLError):
    pass


def load_yaml(text: str):
    """Parse YAML like yaml.safe_load, but a key given twice in a mapping is an error."""
    return yaml.load(text, Loader=_UniqueKeyLoader)


def load_config(path: str | Path | None = None) -> StatureConfig:
    """Read the config from `path`, `$STATURE_CONFIG` or ./stature.yml (absent file = defaults)."""
    explicit = path is not None or "STATURE_CONFIG" in os.environ
    path = Path(path or os.environ.get("STATURE_CONFIG") or DEFAULT_CONFIG_PATH)
    # $STATURE_ENGINE wins over the file's `engine`, as $STATURE_WAREHOUSE over `warehouse`.
    engine = os.environ.get("STATURE_ENGINE")
    if engine and engine not in ENGINES:
        raise ConfigError(f"STATURE_ENGINE={engine!r}: the engine is one of {', '.join(ENGINES)}")
    overrides = {"engine": engine} if engine else {}
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: config file not found (pass --config FILE)")
        return StatureConfig(**overrides, base_dir=Path.cwd())
    text = path.read_text(encoding="utf-8")
    try:
        raw = load_yaml(text) or {}
    except DuplicateKey as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys, not {type(raw).__name__}")
    try:
        config = StatureConfig(**(raw | overrides), base_dir=path.resolve().parent)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            line = _line_of(text, loc)
            where = f"{path}:{line}" if line else str(path)
            key = ".".join(str(p) for p in loc)
            hint = ""
            if err["type"] == "extra_forbidden":
                hint = MOVED_KEYS.get(key, "remove it or check its spelling")
            problems.append(f"{where}: key '{key}': {err['msg']}" + (f" ({hint})" if hint else ""))
        raise ConfigError("invalid config:\n  " + "\n  ".join(problems)) from exc
    if config.maturity.ladder not in config.maturity.ladders:
        raise ConfigError(
            f"{path}: key 'maturity.ladder': unknown ladder {config.maturity.ladder!r}; "
            f"choose one of {sorted(config.maturity.ladders)}"
        )
    return config
