"""The agent's configuration: one table of options, read from flags, environment, UCI and defaults.

Precedence is flags > environment (``PORCHLIGHT_<OPTION>``) > UCI (``/etc/config/porchlight``, section
``config agent 'main'``, read through the source seam's root, no ``uci`` binary needed) > defaults.
``load_config`` fails loudly with a ``ConfigError`` that names the option and says what to change.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Final

from porchlight_wire.codec import DEFAULT_ZSTD_LEVEL
from porchlight_wire.errors import TopicError
from porchlight_wire.topics import DEFAULT_ROOT, check_root

__all__ = [
    "OPTIONS", "AgentConfig", "ConfigError", "Option", "UciSection", "load_config", "parse_collector_intervals",
    "parse_uci",
]

UCI_PATH: Final = "/etc/config/porchlight"
_ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_COLLECTOR_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


class ConfigError(Exception):
    """The configuration is unusable; the message names the option and what to change."""


@dataclass(frozen=True, slots=True)
class Option:
    """One configuration option: its name (UCI option, ``--flag-name``, ``PORCHLIGHT_NAME``), type and default."""

    name: str
    type: str  # "str", "int", "float", "bool", "path", "intervals"
    default: Any
    doc: str

    @property
    def env(self) -> str:
        """The environment variable that sets this option."""
        return "PORCHLIGHT_" + self.name.upper()

    @property
    def flag(self) -> str:
        """The command-line flag that sets this option."""
        return "--" + self.name.replace("_", "-")


OPTIONS: Final = (
    Option("home_id", "str", None, "Subscriber home id assigned by the ISP ([A-Za-z0-9._-], 1-64); required."),
    Option("gateway_id", "str", None, "This gateway's id, also its MQTT user name; required."),
    Option("mqtt_host", "str", "127.0.0.1", "MQTT broker host."),
    Option("mqtt_port", "int", 18830, "MQTT broker port (8883 is usual for TLS)."),
    Option("mqtt_user", "str", None, "MQTT user name; defaults to the gateway id."),
    Option("mqtt_password", "str", None, "MQTT password (never logged)."),
    Option("mqtt_ca_file", "path", None, "CA certificate file; setting it turns TLS on."),
    Option("mqtt_cert_file", "path", None, "Client certificate for TLS client authentication."),
    Option("mqtt_key_file", "path", None, "Private key of the client certificate."),
    Option("mqtt_tls", "bool", False, "Use TLS with the system CAs when no CA file is given."),
    Option("mqtt_protocol", "str", "3.1.1", "MQTT protocol version: 3.1.1 or 5."),
    Option("mqtt_keepalive_s", "int", 60, "MQTT keep-alive interval."),
    Option("topic_root", "str", DEFAULT_ROOT, "Topic tree root, '<name>/v1'."),
    Option("root", "path", Path("/"), "File-system root the collectors read the gateway from (tests use fixtures)."),
    Option("queue_dir", "path", Path("/tmp/porchlight/queue"),
           "Store-and-forward queue; tmpfs by default, e.g. /overlay/porchlight/queue to survive reboots."),
    Option("data_dir", "path", Path("/tmp/porchlight/data"),
           "Agent state: handled command ids, application tables."),
    Option("queue_max_bytes", "int", 4 * 1024 * 1024, "Largest total size of queued reports."),
    Option("queue_max_count", "int", 5000, "Most reports kept in the queue."),
    Option("queue_max_age_s", "int", 7 * 86400, "Oldest report kept in the queue."),
    Option("sample_interval_s", "int", 60, "Sampling interval."),
    Option("report_interval_s", "int", 300, "Reporting interval."),
    Option("collector_intervals", "intervals", {},
           "Per-collector sampling intervals, 'probes=300 apps=60' (a UCI list or space/comma separated)."),
    Option("collectors", "str", None, "Collectors to run, space/comma separated; default: all available."),
    Option("drain_rate", "float", 20.0, "Most queued reports published per second after a reconnect."),
    Option("max_inflight", "int", 10, "Most reports published and not yet acknowledged by the broker."),
    Option("backoff_min_s", "float", 1.0, "Reconnect back-off base."),
    Option("backoff_max_s", "float", 300.0, "Reconnect back-off cap."),
    Option("connect_spread_s", "float", 30.0,
           "The first connect after start waits a random 0..N s, so a fleet does not reconnect at once."),
    Option("connect_timeout_s", "float", 10.0, "TCP/TLS connect timeout; `once` also waits this long for acks."),
    Option("zstd_level", "int", DEFAULT_ZSTD_LEVEL, "zstd compression level (19: ~1 ms per report here)."),
    Option("counter_digits", "int", 0,
           "Significant digits kept in traffic counters (3 saves ~5% on the wire); 0 keeps them exact."),
    Option("codec", "str", "auto", "auto (zstd+dictionary, zstd, zlib), zstd, zlib or json."),
    Option("notify_hook", "str", None,
           "Executable run with each notification as JSON on stdin; default: write notify_file."),
    Option("notify_file", "path", Path("/tmp/porchlight/notification.json"), "Where notifications are dropped."),
    Option("model", "str", None, "Gateway model; default: /tmp/sysinfo/model, device tree or DMI."),
    Option("firmware", "str", None, "Firmware version; default: /etc/openwrt_release, os-release or kernel."),
    Option("wan", "str", None, "WAN interface; default: the default route's."),
    Option("mac_hash_key", "str", None, "Secret per-home key: when set, MACs are reported as keyed hashes."),
    Option("dnsmasq_log", "str", None, "dnsmasq log (log-queries, log-dhcp) for flow names and DHCP classes."),
    Option("log_level", "str", "info", "debug, info, warning or error."),
    # Test-only: simulated time runs this many times faster than real time.
    Option("clock_speed", "float", 1.0, "Test only: run the agent's clock N times faster than real time."),
    # Test-only: pause forever half-way through the Nth queue write (to SIGKILL the agent there).
    Option("test_pause_in_write", "int", 0, "Test only: pause half-way through the Nth queue write."),
)
OPTIONS_BY_NAME: Final = {o.name: o for o in OPTIONS}


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """The agent's validated configuration."""

    home_id: str
    gateway_id: str
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 18830
    mqtt_user: str = ""
    mqtt_password: str | None = None
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    mqtt_tls: bool = False
    mqtt_protocol: str = "3.1.1"
    mqtt_keepalive_s: int = 60
    topic_root: str = DEFAULT_ROOT
    root: Path = Path("/")
    queue_dir: Path = Path("/tmp/porchlight/queue")
    data_dir: Path = Path("/tmp/porchlight/data")
    queue_max_bytes: int = 4 * 1024 * 1024
    queue_max_count: int = 5000
    queue_max_age_s: int = 7 * 86400
    sample_interval_s: int = 60
    report_interval_s: int = 300
    collector_intervals: Mapping[str, int] = field(default_factory=dict)
    collectors: tuple[str, ...] | None = None
    drain_rate: float = 20.0
    max_inflight: int = 10
    backoff_min_s: float = 1.0
    backoff_max_s: float = 300.0
    connect_spread_s: float = 30.0
    connect_timeout_s: float = 10.0
    zstd_level: int = DEFAULT_ZSTD_LEVEL
    counter_digits: int = 0
    codec: str = "auto"
    notify_hook: str | None = None
    notify_file: Path = Path("/tmp/porchlight/notification.json")
    model: str | None = None
    firmware: str | None = None
    wan: str | None = None
    mac_hash_key: str | None = None
    dnsmasq_log: str | None = None
    log_level: str = "info"
    clock_speed: float = 1.0
    test_pause_in_write: int = 0

    @property
    def use_tls(self) -> bool:
        """Whether the broker connection uses TLS."""
        return self.mqtt_tls or self.mqtt_ca_file is not None or self.mqtt_cert_file is not None

    def redacted(self) -> dict[str, Any]:
        """The configuration for a start-up log line: no password."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        out["mqtt_password"] = "***" if self.mqtt_password else None
        out["mac_hash_key"] = "***" if self.mac_hash_key else None
        return out


# ---- UCI ------------------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class UciSection:
    """One ``config <type> '<name>'`` block: its options (``option``) and lists (``list``)."""

    type: str
    name: str | None
    options: dict[str, str]
    lists: dict[str, list[str]]


def parse_uci(text: str) -> list[UciSection]:
    """Parse the UCI file format (``config``/``option``/``list`` lines, shell quoting, ``#`` comments).

    Raises ConfigError naming the line for a line it cannot read.
    """
    sections: list[UciSection] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        try:
            words = shlex.split(raw, comments=True)
        except ValueError as exc:
            raise ConfigError(f"UCI line {number}: {exc}: {raw.strip()!r}") from None
        if not words:
            continue
        keyword = words[0]
        if keyword == "package":
            continue
        if keyword == "config":
            if len(words) not in (2, 3):
                raise ConfigError(f"UCI line {number}: expected \"config <type> ['<name>']\": {raw.strip()!r}")
            sections.append(UciSection(words[1], words[2] if len(words) == 3 else None, {}, {}))
            continue
        if keyword in ("option", "list"):
            if len(words) != 3:
                raise ConfigError(f"UCI line {number}: expected \"{keyword} <name> '<value>'\": {raw.strip()!r}")
            if not sections:
                raise ConfigError(f"UCI line {number}: {keyword} outside a config section")
            section = sections[-1]
            if keyword == "option":
                section.options[words[1]] = words[2]
            else:
                section.lists.setdefault(words[1], []).append(words[2])
            continue
        raise ConfigError(f"UCI line {number}: unknown keyword {keyword!r}")
    return sections


def uci_values(sections: list[UciSection]) -> dict[str, str | list[str]]:
    """The agent's options from the ``config agent 'main'`` section (or the first ``agent`` section)."""
    agents = [s for s in sections if s.type == "agent"]
    chosen = next((s for s in agents if s.name == "main"), agents[0] if agents else None)
    if chosen is None:
        return {}
    values: dict[str, str | list[str]] = dict(chosen.options)
    values.update(chosen.lists)
    return values


# ---- conversion -----------------------------------------------------------------------------------------

def parse_collector_intervals(value: str | list[str] | Mapping[str, int]) -> dict[str, int]:
    """``'probes=300 apps=60'`` (or a list of ``name=seconds``) -> ``{'probes': 300, 'apps': 60}``."""
    if isinstance(value, Mapping):
        return dict(value)
    items = value if isinstance(value, list) else [value]
    out: dict[str, int] = {}
    for item in items:
        for word in re.split(r"[\s,]+", item.strip()):
            if not word:
                continue
            name, sep, seconds = word.partition("=")
            if not sep or not _COLLECTOR_PATTERN.match(name) or not seconds.isdigit() or int(seconds) < 1:
                raise ValueError(f"{word!r} is not <collector>=<seconds>")
            out[name] = int(seconds)
    return out


def _bool(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"{value!r} is not a boolean (use 1/0, true/false, yes/no, on/off)")


_CONVERTERS: Final[dict[str, Callable[[Any], Any]]] = {
    "str": lambda v: v if isinstance(v, str) else " ".join(v),
    "int": lambda v: int(v),
    "float": lambda v: float(v),
    "bool": lambda v: v if isinstance(v, bool) else _bool(v),
    "path": lambda v: Path(v),
    "intervals": parse_collector_intervals,
}


def _convert(option: Option, value: Any, origin: str) -> Any:
    if isinstance(value, list) and option.type != "intervals":
        value = value[-1]
    try:
        return _CONVERTERS[option.type](value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{option.name} from {origin}: {exc}; set {option.env} or {option.flag} "
                          f"to a valid {option.type}") from None


def load_config(
    flags: Mapping[str, Any] | None = None,
    env: Mapping[str, str] | None = None,
    *,
    uci_text: str | None = None,
) -> AgentConfig:
    """Merge flags > env > UCI > defaults and validate. ``flags`` maps option names to values (None = unset).

    When ``uci_text`` is None the UCI file is read from ``<root>/etc/config/porchlight`` if it exists (the
    root comes from flags or environment first).
    """
    flags = {k: v for k, v in (flags or {}).items() if v is not None}
    env = env or {}
    unknown = sorted(set(flags) - set(OPTIONS_BY_NAME))
    if unknown:
        raise ConfigError(f"unknown option(s): {', '.join(unknown)}")
    if uci_text is None:
        root_value = flags.get("root") or env.get(OPTIONS_BY_NAME["root"].env) or "/"
        uci_file = Path(root_value) / UCI_PATH.lstrip("/")
        try:
            uci_text = uci_file.read_text(encoding="utf-8")
        except FileNotFoundError:
            uci_text = ""
        except OSError as exc:
            raise ConfigError(f"cannot read {uci_file}: {exc.strerror}; fix its permissions") from None
    uci = uci_values(parse_uci(uci_text))

    values: dict[str, Any] = {}
    for option in OPTIONS:
        if option.name in flags:
            values[option.name] = _convert(option, flags[option.name], f"flag {option.flag}")
        elif option.env in env:
            values[option.name] = _convert(option, env[option.env], f"environment {option.env}")
        elif option.name in uci:
            values[option.name] = _convert(option, uci[option.name], f"UCI option {option.name}")
        else:
            values[option.name] = option.default
    return _validated(values)


def tls_available() -> bool:
    """Whether this Python can speak TLS. On OpenWrt ssl.py is in python3-light but its _ssl extension comes with
    the optional python3-openssl, so only importing it tells (called only when TLS is configured)."""
    try:
        import ssl  # noqa: F401
    except ImportError:
        return False
    return True


def _validated(v: dict[str, Any]) -> AgentConfig:
    def need(cond: bool, message: str) -> None:
        if not cond:
            raise ConfigError(message)

    for name in ("home_id", "gateway_id"):
        option = OPTIONS_BY_NAME[name]
        need(v[name] is not None, f"{name} is not set: pass {option.flag}, set {option.env} or add "
                                  f"\"option {name} '...'\" to {UCI_PATH}")
        need(bool(_ID_PATTERN.match(v[name])), f"{name} {v[name]!r} must match [A-Za-z0-9._-]{{1,64}}")
    need(1 <= v["mqtt_port"] <= 65535, f"mqtt_port {v['mqtt_port']} must be 1-65535")
    need(v["mqtt_protocol"] in ("3.1.1", "5"), f"mqtt_protocol {v['mqtt_protocol']!r} must be 3.1.1 or 5")
    need(5 <= v["mqtt_keepalive_s"] <= 3600, "mqtt_keepalive_s must be 5-3600")
    try:
        check_root(v["topic_root"])
    except TopicError as exc:
        raise ConfigError(f"topic_root: {exc}") from None
    for name in ("mqtt_ca_file", "mqtt_cert_file", "mqtt_key_file"):
        path = v[name]
        need(path is None or path.is_file(), f"{name} {path} does not exist or is not a file")
    need((v["mqtt_cert_file"] is None) == (v["mqtt_key_file"] is None),
         "mqtt_cert_file and mqtt_key_file must be set together")
    need(v["sample_interval_s"] >= 1, "sample_interval_s must be at least 1")
    need(v["report_interval_s"] >= v["sample_interval_s"],
         "report_interval_s must not be shorter than sample_interval_s")
    for name in ("queue_max_bytes", "queue_max_count", "queue_max_age_s", "max_inflight"):
        need(v[name] >= 1, f"{name} must be at least 1")
    need(v["drain_rate"] > 0, "drain_rate must be positive")
    need(0 < v["backoff_min_s"] <= v["backoff_max_s"], "backoff_min_s must be positive and <= backoff_max_s")
    need(v["connect_spread_s"] >= 0, "connect_spread_s must not be negative")
    need(v["connect_timeout_s"] > 0, "connect_timeout_s must be positive")
    need(1 <= v["zstd_level"] <= 22, "zstd_level must be 1-22")
    need(0 <= v["counter_digits"] <= 12, "counter_digits must be 0 (exact) to 12")
    need(v["codec"] in ("auto", "zstd", "zlib", "json"), "codec must be auto, zstd, zlib or json")
    need(v["log_level"] in ("debug", "info", "warning", "error"), "log_level must be debug, info, warning or error")
    need(v["clock_speed"] > 0, "clock_speed must be positive")
    collectors = v["collectors"]
    if collectors is not None:
        names = tuple(w for w in re.split(r"[\s,]+", collectors) if w)
        need(all(_COLLECTOR_PATTERN.match(n) for n in names), f"collectors {collectors!r}: bad collector name")
        v["collectors"] = names
    if v["mqtt_user"] is None:
        v["mqtt_user"] = v["gateway_id"]
    config = AgentConfig(**v)
    need(not config.use_tls or tls_available(),
         "TLS is configured (mqtt_ca_file, mqtt_cert_file or mqtt_tls) but this Python has no ssl module: "
         "install python3-openssl, or use the plain listener")
    return config
