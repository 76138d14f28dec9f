"""One package per source system: its raw tables, export files, row mapping and API puller.
`_template/` is the one to copy when adding a source (docs/sources.md)."""
