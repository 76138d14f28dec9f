"""Ingestion: one module per source system, the export reader, the dlt loader, the API puller
and the sample-org generator."""

import os

# dlt reports usage to an outside server by default; Stature runs offline and never phones home.
os.environ.setdefault("RUNTIME__DLTHUB_TELEMETRY", "false")
