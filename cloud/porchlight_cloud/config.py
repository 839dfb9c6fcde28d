"""The cloud's settings: one table of options, read from the environment and overridden by command-line flags.

Every option has an environment variable, a flag and a default that points at the project-local services
started by ``scripts/services up``. Bad values fail loudly at start-up with a message that names the
variable or flag to change (ConfigError); nothing is checked lazily at run time.
"""

from __future__ import annotations

import argparse
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from porchlight_wire import TopicError
from porchlight_wire.topics import check_root


class ConfigError(Exception):
    """A setting is missing or invalid; the message says which variable or flag to change."""


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything the cloud processes need to know, validated."""

    db_url: str = "postgresql://porchlight@127.0.0.1:55432/porchlight"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 18830
    mqtt_user: str = "porchlight-cloud"
    mqtt_password: str = "porchlight-cloud-dev"
    mqtt_tls: bool = False
    mqtt_ca_file: str = ""
    topic_root: str = "porchlight/v1"
    share_group: str = "porchlight-ingest"
    client_id: str = ""
    session_expiry_s: int = 3600
    receive_maximum: int = 1000
    batch_max: int = 500
    batch_wait_ms: int = 200
    max_message_bytes: int = 256 * 1024
    max_body_bytes: int = 4 * 1024 * 1024
    metrics_flush_s: float = 5.0
    maintenance: bool = True
    rollup_interval_s: float = 60.0
    rollup_grace_s: float = 300.0
    retention_interval_s: float = 3600.0
    retention_raw_days: int = 14
    retention_hourly_days: int = 90
    retention_daily_days: int = 730
    retention_quarantine_days: int = 30
    api_host: str = "127.0.0.1"
    api_port: int = 8080
    log_level: str = "INFO"

    def worker_id(self) -> str:
        """The stable MQTT client id of this ingest worker (also its row in ingest_workers)."""
        return self.client_id or f"porchlight-ingest-{socket.gethostname()}"


@dataclass(frozen=True, slots=True)
class _Option:
    name: str
    env: str
    help: str
    check: Callable[[Any], str | None] | None = None


def _positive(value: Any) -> str | None:
    return None if value > 0 else "must be greater than 0"


def _port(value: Any) -> str | None:
    return None if 0 < value < 65536 else "must be a port number 1-65535"


def _db_url(value: Any) -> str | None:
    ok = isinstance(value, str) and value.startswith(("postgresql://", "postgres://"))
    return None if ok else "must be a postgresql:// URL"


def _root(value: Any) -> str | None:
    try:
        check_root(value)
    except TopicError as exc:
        return str(exc)
    return None


def _log_level(value: Any) -> str | None:
    return None if value in ("DEBUG", "INFO", "WARNING", "ERROR") else "must be DEBUG, INFO, WARNING or ERROR"


OPTIONS: tuple[_Option, ...] = (
    _Option("db_url", "PORCHLIGHT_DB_URL", "TimescaleDB connection URL", _db_url),
    _Option("mqtt_host", "PORCHLIGHT_MQTT_HOST", "MQTT broker host"),
    _Option("mqtt_port", "PORCHLIGHT_MQTT_PORT", "MQTT broker port", _port),
    _Option("mqtt_user", "PORCHLIGHT_MQTT_USER", "MQTT user name of the cloud"),
    _Option("mqtt_password", "PORCHLIGHT_MQTT_PASSWORD", "MQTT password of the cloud"),
    _Option("mqtt_tls", "PORCHLIGHT_MQTT_TLS", "connect to the broker with TLS"),
    _Option("mqtt_ca_file", "PORCHLIGHT_MQTT_CA_FILE", "CA certificate that signed the broker's certificate"),
    _Option("topic_root", "PORCHLIGHT_TOPIC_ROOT", "topic root, name/v1", _root),
    _Option("share_group", "PORCHLIGHT_SHARE_GROUP", "MQTT v5 shared-subscription group of the ingest workers"),
    _Option("client_id", "PORCHLIGHT_INGEST_CLIENT_ID", "stable MQTT client id of this worker (default from host)"),
    _Option("session_expiry_s", "PORCHLIGHT_SESSION_EXPIRY_S", "how long the broker keeps a gone worker's queue",
            _positive),
    _Option("receive_maximum", "PORCHLIGHT_RECEIVE_MAXIMUM", "unacknowledged messages the broker may send us",
            _positive),
    _Option("batch_max", "PORCHLIGHT_BATCH_MAX", "messages per database transaction", _positive),
    _Option("batch_wait_ms", "PORCHLIGHT_BATCH_WAIT_MS", "longest wait for a batch to fill", _positive),
    _Option("max_message_bytes", "PORCHLIGHT_MAX_MESSAGE_BYTES", "largest accepted compressed message", _positive),
    _Option("max_body_bytes", "PORCHLIGHT_MAX_BODY_BYTES", "largest accepted decompressed body", _positive),
    _Option("metrics_flush_s", "PORCHLIGHT_METRICS_FLUSH_S", "how often a worker saves its counters", _positive),
    _Option("maintenance", "PORCHLIGHT_MAINTENANCE", "run the rollup and retention jobs in this process"),
    _Option("rollup_interval_s", "PORCHLIGHT_ROLLUP_INTERVAL_S", "how often the rollup job runs", _positive),
    _Option("rollup_grace_s", "PORCHLIGHT_ROLLUP_GRACE_S",
            "seconds after an hour (day) ends before it is rolled up, for stragglers"),
    _Option("retention_interval_s", "PORCHLIGHT_RETENTION_INTERVAL_S", "how often retention runs", _positive),
    _Option("retention_raw_days", "PORCHLIGHT_RETENTION_RAW_DAYS", "days of raw samples kept", _positive),
    _Option("retention_hourly_days", "PORCHLIGHT_RETENTION_HOURLY_DAYS", "days of hourly rollups kept", _positive),
    _Option("retention_daily_days", "PORCHLIGHT_RETENTION_DAILY_DAYS", "days of daily rollups kept", _positive),
    _Option("retention_quarantine_days", "PORCHLIGHT_RETENTION_QUARANTINE_DAYS", "days of quarantine kept",
            _positive),
    _Option("api_host", "PORCHLIGHT_API_HOST", "address the API listens on"),
    _Option("api_port", "PORCHLIGHT_API_PORT", "port the API listens on", _port),
    _Option("log_level", "PORCHLIGHT_LOG_LEVEL", "DEBUG, INFO, WARNING or ERROR", _log_level),
)
_TYPES: dict[str, type] = {f.name: type(getattr(Settings(), f.name)) for f in fields(Settings)}


def _convert(name: str, raw: str, source: str) -> Any:
    kind = _TYPES[name]
    if kind is bool:
        lowered = raw.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off"):
            return False
        raise ConfigError(f"{source} must be true or false, got {raw!r}")
    try:
        return kind(raw)
    except ValueError:
        raise ConfigError(f"{source} must be {'an integer' if kind is int else 'a number'}, got {raw!r}") from None


def add_arguments(parser: argparse.ArgumentParser, names: tuple[str, ...],
                  aliases: Mapping[str, str] | None = None) -> None:
    """Add a flag for each named option (e.g. --db-url, plus any alias such as --port); flags override the env."""
    by_name = {o.name: o for o in OPTIONS}
    for name in names:
        option = by_name[name]
        flags = ["--" + name.replace("_", "-")]
        if aliases and name in aliases:
            flags.insert(0, aliases[name])
        if _TYPES[name] is bool:
            parser.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction, default=None,
                                help=f"{option.help} (env {option.env})")
        else:
            parser.add_argument(*flags, dest=name, default=None, metavar=name.split("_")[-1].upper(),
                                help=f"{option.help} (env {option.env})")


def load(environ: Mapping[str, str] | None = None, flags: Mapping[str, Any] | None = None) -> Settings:
    """Settings from the environment, then flags; ConfigError naming the culprit on any bad value."""
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for option in OPTIONS:
        raw = environ.get(option.env)
        source = option.env
        flag = (flags or {}).get(option.name)
        if flag is not None:
            raw, source = flag, "--" + option.name.replace("_", "-")
        if raw is None:
            continue
        values[option.name] = raw if isinstance(raw, bool) else _convert(option.name, str(raw), source)
    settings = replace(Settings(), **values)
    check(settings)
    return settings


def check(settings: Settings) -> None:
    """Raise ConfigError for the first invalid setting."""
    for option in OPTIONS:
        if option.check is None:
            continue
        problem = option.check(getattr(settings, option.name))
        if problem:
            raise ConfigError(f"{option.env} (--{option.name.replace('_', '-')}) {problem}")
    if settings.mqtt_ca_file and not Path(settings.mqtt_ca_file).is_file():
        raise ConfigError(f"PORCHLIGHT_MQTT_CA_FILE {settings.mqtt_ca_file!r} is not a readable file")
    if settings.batch_max > settings.receive_maximum:
        raise ConfigError("PORCHLIGHT_BATCH_MAX must not exceed PORCHLIGHT_RECEIVE_MAXIMUM: the broker sends "
                          "at most receive_maximum unacknowledged messages, so a larger batch never fills")
    if settings.receive_maximum > 65535:
        raise ConfigError("PORCHLIGHT_RECEIVE_MAXIMUM must be at most 65535 (MQTT v5 limit)")
