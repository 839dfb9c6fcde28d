"""Porchlight cloud: MQTT ingest into TimescaleDB, analytics that find struggling homes, and the HTTP API."""

__version__ = "0.1.0"
