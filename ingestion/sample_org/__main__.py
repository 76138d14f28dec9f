"""`python -m ingestion.sample_org --out DIR ...`: write the sample org's export directory."""

from ingestion.sample_org import main

raise SystemExit(main())
