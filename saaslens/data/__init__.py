"""The store: tables, engine, migrations, ingestion and the SQL that aggregates."""
