"""The command channel's wire form: commands and acks parse back to what was sent, bad ones are refused."""

from __future__ import annotations

import pytest
from porchlight_wire.commands import COMMANDS, Ack, Command, command_id_of, parse_ack, parse_command
from porchlight_wire.errors import CommandError
from porchlight_wire.home_dictionary import HomeDictionary


def test_every_command_in_the_table_round_trips() -> None:
    examples = {
        "set_intervals": {"sample_interval_s": 30, "report_interval_s": 600, "collectors": {"probes": 300}},
        "diagnose": {},
        "notify": {"title": "t", "message": "m", "url": "https://x", "campaign_id": "c"},
        "update_app_tables": {"version": "v1", "tables": {"ports": {}}},
        "set_dictionary": HomeDictionary(2**31 + 5, 202612041, "gw-1", b'{"header":{}}').command_args(b"base"),
    }
    assert set(examples) == set(COMMANDS)
    for name, args in examples.items():
        command = Command(f"id-{name}", name, args, 1700000000, 1700000600)
        assert parse_command(command.to_json(), now_ts=1700000001) == command


def test_an_ack_round_trips() -> None:
    ack = Ack("c-1", "ok", 1700000003, None, {"seq": 4})
    assert parse_ack(ack.to_json()) == ack


@pytest.mark.parametrize(("payload", "fragment"), [
    (b"x" * (256 * 1024 + 1), "exceeds"),
    (b"[]", "not a JSON object"),
    (b'{"cmd": "diagnose"}', "id missing"),
    (b'{"id": "has space", "cmd": "diagnose"}', "id missing or invalid"),
    (b'{"id": "c", "cmd": "diagnose", "args": []}', "args must be an object"),
    (b'{"id": "c", "cmd": "notify", "args": {"title": 1, "message": "m"}}', "must be str"),
    (b'{"id": "c", "cmd": "set_intervals", "args": {"sample_interval_s": true}}', "must be int"),
    (b'{"id": "c", "cmd": "set_intervals", "args": {}}', "give sample_interval_s"),
    (b'{"id": "c", "cmd": "set_intervals", "args": {"sample_interval_s": 120, "report_interval_s": 60}}',
     "must not be shorter"),
    (b'{"id": "c", "cmd": "set_intervals", "args": {"collectors": {"probes": 1}}}', "out of range"),
    (b'{"id": "c", "cmd": "diagnose", "issued_ts": "now"}', "integers"),
    (b'{"id": "c", "cmd": "diagnose", "expires_ts": 10}', "expired"),
])
def test_bad_commands_are_refused_with_a_reason(payload: bytes, fragment: str) -> None:
    with pytest.raises(CommandError, match=fragment) as info:
        parse_command(payload, now_ts=1700000000)
    assert info.value.reason == "bad_command"


def test_the_id_of_a_bad_command_is_found_when_it_is_there() -> None:
    assert command_id_of(b'{"id": "c-7", "cmd": "reboot"}') == "c-7"
    assert command_id_of(b"garbage") is None
    assert command_id_of(b'{"id": "bad id"}') is None


@pytest.mark.parametrize("payload", [
    b"nope", b'{"status": "ok"}', b'{"id": "c", "status": "maybe", "ts": 1}', b'{"id": "c", "status": "ok"}',
])
def test_bad_acks_are_refused(payload: bytes) -> None:
    with pytest.raises(CommandError):
        parse_ack(payload)
