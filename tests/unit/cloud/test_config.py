"""Settings come from the environment, flags win, and a bad value fails at start-up naming what to change."""

import pytest
from porchlight_cloud.config import ConfigError, Settings, load


def test_defaults_point_at_the_project_local_services():
    s = load({})
    assert s == Settings()
    assert s.db_url.endswith("@127.0.0.1:55432/porchlight") and (s.mqtt_host, s.mqtt_port) == ("127.0.0.1", 18830)
    assert s.topic_root == "porchlight/v1"


def test_flags_override_the_environment():
    s = load({"PORCHLIGHT_MQTT_PORT": "1884", "PORCHLIGHT_MAINTENANCE": "no"}, {"mqtt_port": "1999"})
    assert s.mqtt_port == 1999 and s.maintenance is False


@pytest.mark.parametrize(("env", "named"), [
    ({"PORCHLIGHT_MQTT_PORT": "abc"}, "PORCHLIGHT_MQTT_PORT"),
    ({"PORCHLIGHT_MQTT_PORT": "70000"}, "PORCHLIGHT_MQTT_PORT"),
    ({"PORCHLIGHT_DB_URL": "mysql://x"}, "PORCHLIGHT_DB_URL"),
    ({"PORCHLIGHT_TOPIC_ROOT": "porchlight"}, "PORCHLIGHT_TOPIC_ROOT"),
    ({"PORCHLIGHT_MQTT_CA_FILE": "/nonexistent/ca.crt"}, "PORCHLIGHT_MQTT_CA_FILE"),
    ({"PORCHLIGHT_BATCH_MAX": "2000"}, "PORCHLIGHT_BATCH_MAX"),
    ({"PORCHLIGHT_MQTT_TLS": "maybe"}, "PORCHLIGHT_MQTT_TLS"),
])
def test_a_bad_setting_fails_loudly_naming_the_variable(env, named):
    with pytest.raises(ConfigError, match=named):
        load(env)
