"""Ingest: MQTT reports -> decode -> summarise -> batched, exactly-once writes to TimescaleDB."""
