"""The TimescaleDB store: numbered migrations and one module per table group."""
