# Stature: the two README commands (`make demo`, `make test`) and the tasks around them.
# Everything bootstraps from the lock file: Python 3.11 and make are all a machine needs.

PYTHON      ?= python3.11
UV_VERSION  := 0.13.8
TOOLS       := .tools
UV          := $(TOOLS)/bin/uv
VENV        := .venv
BIN         := $(VENV)/bin
DBT_DIR     := dbt_project
MANIFEST    := $(DBT_DIR)/target/manifest.json
SAMPLE_ORG  := data/sample_org
DEMO_AS_OF  := 2026-11-15
export DAGSTER_HOME := $(CURDIR)/data/dagster_home
export UV_PYTHON    := $(PYTHON)

.PHONY: setup setup-spark java demo demo-spark test test-slow test-spark lint fmt manifest sample-org bench dev clean chromium check-superset

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# A .venv set up for Spark (make setup-spark) keeps its Spark packages when the lock changes.
$(BIN)/stature: $(UV) pyproject.toml uv.lock
	$(UV) sync --frozen --quiet --compile-bytecode $(if $(wildcard $(VENV)/.spark),--extra spark)
	@touch $@

setup: $(BIN)/stature ## create .venv from uv.lock

# The Spark engine's packages (pyspark, dbt-spark: the lock file's `spark` extra) in the same
# .venv, and a Java 17 runtime for the local Spark session.
$(VENV)/.spark: $(BIN)/stature
	$(UV) sync --frozen --quiet --compile-bytecode --extra spark
	@touch $@

setup-spark: $(VENV)/.spark java ## .venv with the Spark engine's packages, and Java 17

java: ## a Java 17 runtime for Spark (Debian's package; needs root) if the machine has none
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends openjdk-17-jre-headless; }

$(MANIFEST): $(BIN)/stature $(shell find $(DBT_DIR)/models $(DBT_DIR)/macros $(DBT_DIR)/seeds $(DBT_DIR)/tests -type f 2>/dev/null) $(DBT_DIR)/dbt_project.yml
	cd $(DBT_DIR) && ../$(BIN)/dbt parse --quiet --profiles-dir . --project-dir .
	@touch $@

manifest: $(MANIFEST) ## the dbt manifest dagster-dbt reads at import

sample-org: setup ## write the seeded sample org's export into data/sample_org
	$(BIN)/stature sample-org --out $(SAMPLE_ORG) --end $(DEMO_AS_OF)

demo: setup manifest sample-org ## the nightly job end to end on the sample org, then a summary
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/stature run --config stature.yml --export-dir $(SAMPLE_ORG) --as-of $(DEMO_AS_OF)

# The same nightly with `engine: spark` (STATURE_ENGINE wins over stature.yml's key), into its
# own warehouse; it publishes to the same published_dir, which readers cannot tell apart.
demo-spark: setup-spark manifest sample-org ## the nightly on the sample org, built by a local Spark
	@mkdir -p $(DAGSTER_HOME) data/spark
	STATURE_ENGINE=spark STATURE_WAREHOUSE=$(CURDIR)/data/spark/warehouse.duckdb \
		$(BIN)/stature run --config stature.yml --export-dir $(SAMPLE_ORG) --as-of $(DEMO_AS_OF)

test: setup manifest ## the test suite, without the slow end-to-end runs (under 10 minutes)
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/pytest -m "not slow and not superset and not spark"

test-slow: setup manifest ## the slow end-to-end runs: crashes by kill -9, scale, parity (CI runs them too)
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/pytest -m "slow and not spark"

test-spark: setup-spark manifest ## the engine-parity tests: every model on Spark and on DuckDB, row for row
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/pytest -m spark

lint: setup ## ruff, the import contracts between layers, sqlfluff
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	cd $(DBT_DIR) && ../$(BIN)/sqlfluff lint models

fmt: setup
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: setup manifest ## performance figures (not tests): see tests/benchmarks
	$(BIN)/python -m tests.benchmarks.run_all

check-superset: setup manifest ## import the starter dashboard into a real Superset (own virtualenv) and run its charts
	@test -f data/published/stature.duckdb || $(MAKE) demo
	$(BIN)/python bi/superset/check_import.py --published data/published/stature.duckdb

dev: setup manifest ## the Dagster UI on the same Definitions
	@mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -m dagster_project.definitions

chromium: ## headless Chromium for the report's browser test (Debian's package; needs root)
	@command -v chromium >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }

clean:
	rm -rf $(VENV) $(TOOLS) data/*.duckdb data/*.duckdb.wal data/*.duckdb.lock data/published data/dlt data/sample_org data/dagster_home $(DBT_DIR)/target
