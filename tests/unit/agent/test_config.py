"""Agent configuration: flags > environment > UCI > defaults, and loud failures that say what to change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from porchlight_agent.config import ConfigError, load_config, parse_collector_intervals, parse_uci

UCI = """
# /etc/config/porchlight
config agent 'main'
	option home_id 'home-uci'
	option gateway_id "gw-uci"
	option mqtt_host 'mqtt.isp.example'
	option mqtt_port '8883'
	option report_interval_s '600'
	list collector_intervals 'probes=300'
	list collector_intervals 'apps=60'

config probe 'dns'
	option target '9.9.9.9'
"""

MINIMAL = {"home_id": "home-1", "gateway_id": "gw-1"}


def test_uci_file_format_is_parsed_with_options_lists_and_quotes() -> None:
    sections = parse_uci(UCI)
    assert [(s.type, s.name) for s in sections] == [("agent", "main"), ("probe", "dns")]
    agent = sections[0]
    assert agent.options["gateway_id"] == "gw-uci"
    assert agent.lists["collector_intervals"] == ["probes=300", "apps=60"]


def test_uci_options_apply_when_nothing_else_is_set() -> None:
    cfg = load_config({}, {}, uci_text=UCI)
    assert (cfg.home_id, cfg.gateway_id, cfg.mqtt_host, cfg.mqtt_port) == ("home-uci", "gw-uci",
                                                                             "mqtt.isp.example", 8883)
    assert cfg.report_interval_s == 600
    assert dict(cfg.collector_intervals) == {"probes": 300, "apps": 60}


def test_environment_beats_uci_and_flags_beat_environment() -> None:
    env = {"PORCHLIGHT_MQTT_HOST": "env-host", "PORCHLIGHT_MQTT_PORT": "1884", "PORCHLIGHT_HOME_ID": "home-env"}
    cfg = load_config({"mqtt_port": 1885}, env, uci_text=UCI)
    assert (cfg.home_id, cfg.mqtt_host, cfg.mqtt_port) == ("home-env", "env-host", 1885)


def test_defaults_match_the_documented_ones() -> None:
    cfg = load_config(MINIMAL, {}, uci_text="")
    assert (cfg.mqtt_host, cfg.mqtt_port, cfg.topic_root) == ("127.0.0.1", 18830, "porchlight/v1")
    assert (cfg.sample_interval_s, cfg.report_interval_s) == (60, 300)
    assert cfg.mqtt_user == "gw-1"  # the MQTT user defaults to the gateway id
    assert cfg.queue_dir == Path("/tmp/porchlight/queue")
    assert cfg.root == Path("/")
    assert not cfg.use_tls


def test_uci_file_is_read_through_the_root_seam(tmp_path: Path) -> None:
    (tmp_path / "etc" / "config").mkdir(parents=True)
    (tmp_path / "etc" / "config" / "porchlight").write_text(UCI)
    cfg = load_config({"root": str(tmp_path)}, {})
    assert cfg.gateway_id == "gw-uci"


def test_missing_home_id_says_which_flag_variable_or_uci_option_to_set() -> None:
    with pytest.raises(ConfigError) as info:
        load_config({"gateway_id": "gw-1"}, {}, uci_text="")
    message = str(info.value)
    assert "--home-id" in message and "PORCHLIGHT_HOME_ID" in message and "option home_id" in message


@pytest.mark.parametrize(("flags", "fragment"), [
    ({"mqtt_port": "eighty"}, "mqtt_port"),
    ({"mqtt_port": 70000}, "1-65535"),
    ({"gateway_id": "gw/1"}, "gateway_id"),
    ({"topic_root": "porchlight"}, "topic_root"),
    ({"sample_interval_s": 600, "report_interval_s": 300}, "report_interval_s"),
    ({"mqtt_ca_file": "/nonexistent/ca.crt"}, "mqtt_ca_file"),
    ({"collector_intervals": ["probes=soon"]}, "collector_intervals"),
    ({"codec": "brotli"}, "codec"),
    ({"mqtt_tls": "maybe"}, "mqtt_tls"),
])
def test_bad_values_fail_loudly_naming_the_option(flags: dict[str, object], fragment: str) -> None:
    with pytest.raises(ConfigError, match=fragment):
        load_config({**MINIMAL, **flags}, {}, uci_text="")


def test_a_broken_uci_line_is_reported_with_its_line_number() -> None:
    with pytest.raises(ConfigError, match="line 2"):
        parse_uci("config agent 'main'\n\toption home_id 'unterminated\n")


def test_a_ca_file_turns_tls_on(tmp_path: Path) -> None:
    ca = tmp_path / "ca.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n")
    cfg = load_config({**MINIMAL, "mqtt_ca_file": str(ca)}, {}, uci_text="")
    assert cfg.use_tls and cfg.mqtt_ca_file == ca


def test_collector_intervals_accept_space_and_comma_separated_pairs() -> None:
    assert parse_collector_intervals("probes=300, apps=60 wifi=30") == {"probes": 300, "apps": 60, "wifi": 30}


def test_the_password_never_appears_in_the_redacted_form() -> None:
    cfg = load_config({**MINIMAL, "mqtt_password": "s3cret"}, {}, uci_text="")
    assert "s3cret" not in repr(cfg.redacted())


# A gateway's Python as OpenWrt ships it without python3-openssl: ssl.py is there, its _ssl and _hashlib are not.
_WITHOUT_SSL = """
import sys
sys.modules["_ssl"] = sys.modules["_hashlib"] = None
import porchlight_agent.daemon
from porchlight_agent.config import ConfigError, load_config
cfg = load_config({"home_id": "h", "gateway_id": "g"}, {}, uci_text="")
print("plain ok", cfg.use_tls, "ssl" in sys.modules)
try:
    load_config({"home_id": "h", "gateway_id": "g", "mqtt_tls": "1"}, {}, uci_text="")
except ConfigError as exc:
    print("tls refused:", exc)
"""


def test_a_gateway_without_the_ssl_module_runs_plain_mqtt_and_refuses_tls_at_start_up() -> None:
    result = subprocess.run([sys.executable, "-c", _WITHOUT_SSL], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "plain ok False False" in result.stdout  # and nothing imported ssl for a plain connection
    assert "tls refused:" in result.stdout and "python3-openssl" in result.stdout
