"""The cloud's HTTP API."""
