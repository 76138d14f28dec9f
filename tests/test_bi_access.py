"""BI access: what Superset or any SQLAlchemy tool does (duckdb-engine, read-only URL),
against the published copy, including while a writer is publishing (a nightly run while
readers read is tested once, in tests/test_pipeline_e2e.py).

A BI tool lists schemas and views, reads columns, runs queries; each query on a new
connection (NullPool, as the README advises) so it sees the newest complete copy.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from tests.conftest import REPO
from tests.support.report_warehouse import AS_OF, VIEW_NAMES, published_copy


def engine_for(database: Path) -> sa.Engine:
    """The URL the README gives Superset: read-only, one connection per query."""
    return sa.create_engine(f"duckdb:///{database}?access_mode=read_only", poolclass=NullPool)


def test_a_bi_tool_lists_and_queries_the_reporting_views(tmp_path):
    _, _, report = published_copy(tmp_path)
    with duckdb.connect(str(report.database), read_only=True) as direct:
        expected = {
            n: direct.execute(f"select count(*) from {n}").fetchone()[0] for n in VIEW_NAMES
        }
    engine = engine_for(report.database)
    inspector = sa.inspect(engine)
    # only the public schemas: nothing internal to Stature shows in a BI tool
    assert [s for s in inspector.get_schema_names() if s.startswith("stature.")] == [
        "stature.main",
        "stature.marts",
        "stature.reporting",
        "stature.scorecards",
    ]
    # when and by which run the copy was published, beside the views
    assert inspector.get_table_names(schema="reporting") == ["publish_info"]
    assert [f"reporting.{v}" for v in inspector.get_view_names(schema="reporting")] == VIEW_NAMES
    with engine.connect() as con:
        counts = {
            n: con.execute(sa.text(f"select count(*) from {n}")).scalar_one() for n in VIEW_NAMES
        }
        assert counts == expected
        rate = con.execute(
            sa.text(
                "select pass_rate from reporting.scorecard_pass_rates where as_of = :as_of "
                "and scorecard = 'engineering_maturity' and scope = 'org'"
            ),
            {"as_of": AS_OF},
        ).scalar_one()
        assert rate == 0.5
        trend = con.execute(
            sa.text(
                "select period_label, deployments from reporting.dora_trends "
                "where entity_id = 'alpha' and period_grain = 'quarter' order by period_start"
            )
        ).all()
        assert [tuple(r) for r in trend][-2:] == [("2026-Q3", 22), ("2026-Q4", 46)]
    engine.dispose()


def test_a_bi_tool_reads_the_columns_of_a_view(tmp_path):
    _, _, report = published_copy(tmp_path)
    columns = sa.inspect(engine_for(report.database)).get_columns(
        "maturity_distribution", schema="reporting"
    )
    assert [c["name"] for c in columns] == [
        "quarter",
        "quarter_start",
        "as_of",
        "is_closed",
        "entity_type",
        "level",
        "level_name",
        "entities",
        "total_entities",
        "share",
        "quarter_end",
        "period_days",
        "elapsed_days",
    ]


def test_every_list_column_has_a_text_twin_a_bi_tool_can_type(tmp_path):
    """SQLAlchemy cannot type a DuckDB list (`Did not recognize type 'list'`): each list
    column of the reporting views has a `_text` twin that reflects as a string."""
    _, _, report = published_copy(tmp_path)
    inspector = sa.inspect(engine_for(report.database))
    lists = []
    for view in inspector.get_view_names(schema="reporting"):
        with duckdb.connect(str(report.database), read_only=True) as direct:
            types = dict(
                direct.execute(
                    "select column_name, data_type from information_schema.columns "
                    "where table_schema = 'reporting' and table_name = ?",
                    [view],
                ).fetchall()
            )
        for column, kind in types.items():
            if kind.endswith("[]"):
                lists.append(f"{view}.{column}")
                assert f"{column}_text" in types, f"{view}.{column} has no text twin"
    assert sorted(lists) == ["maturity_history.blockers", "service_maturity.blockers"]
    with pytest.warns(sa.exc.SAWarning, match="list"):
        columns = {
            c["name"]: c["type"]
            for c in inspector.get_columns("service_maturity", schema="reporting")
        }
    assert isinstance(columns["blockers_text"], sa.String)
    with engine_for(report.database).connect() as con:
        texts = con.execute(
            sa.text("select service_id, blockers_text from reporting.service_maturity order by 1")
        ).all()
    assert [tuple(r) for r in texts] == [
        ("api", "sec_scan"),
        ("jobs", "perf_budget"),
        ("newsvc", ""),
        ("web", "has_runbook"),
    ]


def test_the_read_only_url_refuses_writes(tmp_path):
    _, _, report = published_copy(tmp_path)
    engine = engine_for(report.database)
    with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
        con.execute(sa.text("create table reporting.scratch as select 1 as x"))
    with duckdb.connect(str(report.database), read_only=True) as direct:
        assert direct.execute(
            "select count(*) from duckdb_tables() where table_name = 'scratch'"
        ).fetchone() == (0,)


# A writer that holds the warehouse, adds a day of check results (the reporting views read
# them live) and publishes, ten times over: publish run_id `writer-<i>` always has 14 * i
# more results.
WRITER = textwrap.dedent(
    """
    import datetime as dt, sys
    import duckdb
    from dagster_project.config import load_config
    from dagster_project.publish import publish

    warehouse, config_path = sys.argv[1], sys.argv[2]
    config = load_config(config_path)
    for i in range(1, 11):
        with duckdb.connect(warehouse) as con:
            con.execute(
                "insert into scorecards.check_results select as_of + ?, * exclude (as_of) "
                "from scorecards.check_results where as_of = '2026-11-15'",
                [i],
            )
        publish(warehouse, config.published_path, run_id=f"writer-{i}")
    """
)


def test_queries_keep_working_while_a_writer_publishes(tmp_path):
    config, _, report = published_copy(tmp_path)
    base = 14 * 8 + 14  # 8 earlier evaluations and 2026-11-15, 14 results each
    writer = subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            str(tmp_path / "warehouse.duckdb"),
            str(tmp_path / "stature.yml"),
        ],
        cwd=REPO,
        stderr=subprocess.PIPE,
        text=True,
    )
    engine = engine_for(report.database)
    seen: dict[str, int] = {}
    errors: list[BaseException] = []
    reads = 0
    while writer.poll() is None or reads == 0:
        try:
            with engine.connect() as con:
                run_id = con.execute(
                    sa.text("select run_id from reporting.publish_info")
                ).scalar_one()
                results = con.execute(
                    sa.text("select count(*) from scorecards.check_results")
                ).scalar_one()
                evaluations = con.execute(
                    sa.text("select count(distinct as_of) from reporting.scorecard_pass_rates")
                ).scalar_one()
            seen[run_id] = results
            reads += 1
            # one consistent copy per connection: results and views agree with its run
            i = 0 if run_id == "run-1" else int(run_id.removeprefix("writer-"))
            assert (results, evaluations) == (base + 14 * i, 9 + i)
        except AssertionError:
            raise
        except BaseException as exc:  # any failure to read is the finding
            errors.append(exc)
        time.sleep(0.02)
    assert writer.wait() == 0, writer.stderr.read()
    assert errors == []
    assert len(seen) >= 3, seen  # the copy was swapped under the reader, several times
    with engine.connect() as con:
        assert con.execute(sa.text("select run_id from reporting.publish_info")).scalar_one() == (
            "writer-10"
        )
    engine.dispose()
    assert config.published_path == report.database.parent


@pytest.mark.slow
def test_a_bi_tool_reads_every_view_of_the_sample_orgs_published_copy(nightly):
    """On the session's nightly run (a second run while readers read is in
    tests/test_pipeline_e2e.py): every view lists, reads and has history."""
    engine = engine_for(nightly.workspace.published / "stature.duckdb")
    with engine.connect() as con:
        views = sa.inspect(con).get_view_names(schema="reporting")
        rows = {
            name: con.execute(sa.text(f"select count(*) from {name}")).scalar_one()
            for name in VIEW_NAMES
        }
        quarters = con.execute(
            sa.text(
                "select count(distinct period_label) from reporting.dora_trends "
                "where period_grain = 'quarter' and entity_type = 'org'"
            )
        ).scalar_one()
        run_id = con.execute(sa.text("select run_id from reporting.publish_info")).scalar_one()
    engine.dispose()
    assert [f"reporting.{v}" for v in views] == VIEW_NAMES
    assert all(rows.values()), rows
    assert quarters >= 8
    assert run_id
