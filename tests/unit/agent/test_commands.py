"""Downstream commands on the gateway: each validated, carried out and acknowledged exactly once."""

from __future__ import annotations

import json
import stat
from pathlib import Path
from typing import Any

import pytest
from porchlight_agent.commands import CommandHandler, load_app_tables
from porchlight_agent.notify import Notification, NotificationHook
from porchlight_wire.commands import Command, parse_ack

NOW = 1_700_000_000


class FakeAgent:
    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []

    def set_intervals(self, *, sample_s: int | None, report_s: int | None,
                      per_collector: dict[str, int] | None) -> dict[str, Any]:
        self.calls.append(("set_intervals", (sample_s, report_s, per_collector)))
        return {"sample_interval_s": sample_s or 60, "report_interval_s": report_s or 300}

    def diagnose(self, command_id: str) -> dict[str, Any]:
        self.calls.append(("diagnose", command_id))
        return {"boot_id": "b", "seq": 12}

    def update_app_tables(self, version: str, tables: dict[str, Any]) -> dict[str, Any]:
        self.calls.append(("update_app_tables", version))
        return {"version": version, "applied_to": ["apps"]}

    def notified(self, notification: Notification, via: str) -> None:
        self.calls.append(("notified", via))


@pytest.fixture
def agent() -> FakeAgent:
    return FakeAgent()


@pytest.fixture
def handler(agent: FakeAgent, tmp_path: Path) -> CommandHandler:
    return CommandHandler(agent, NotificationHook(None, tmp_path / "notification.json"), tmp_path / "data")


def cmd(name: str, args: dict[str, Any] | None = None, cid: str = "c-1", **extra: Any) -> bytes:
    return Command(cid, name, args or {}, NOW - 5, extra.get("expires_ts")).to_json()


def test_set_intervals_changes_the_schedule_and_acks_ok(handler: CommandHandler, agent: FakeAgent) -> None:
    ack = handler.handle(cmd("set_intervals", {"report_interval_s": 600}), NOW)
    assert ack is not None and ack.status == "ok" and ack.id == "c-1"
    assert ack.result == {"sample_interval_s": 60, "report_interval_s": 600}
    assert agent.calls == [("set_intervals", (None, 600, None))]
    assert parse_ack(ack.to_json()) == ack


def test_diagnose_answers_with_the_diagnosis_reports_id(handler: CommandHandler, agent: FakeAgent) -> None:
    ack = handler.handle(cmd("diagnose", cid="c-diag"), NOW)
    assert ack is not None and ack.result == {"boot_id": "b", "seq": 12}
    assert agent.calls == [("diagnose", "c-diag")]


def test_a_redelivered_command_runs_and_acks_only_once(handler: CommandHandler, agent: FakeAgent) -> None:
    assert handler.handle(cmd("diagnose"), NOW) is not None
    assert handler.handle(cmd("diagnose"), NOW + 1) is None
    assert len(agent.calls) == 1


def test_handled_ids_are_remembered_across_agent_restarts(agent: FakeAgent, tmp_path: Path) -> None:
    hook = NotificationHook(None, tmp_path / "n.json")
    CommandHandler(agent, hook, tmp_path / "data").handle(cmd("diagnose"), NOW)
    assert CommandHandler(agent, hook, tmp_path / "data").handle(cmd("diagnose"), NOW) is None


@pytest.mark.parametrize(("payload", "reason"), [
    (b"not json", "not valid JSON"),
    (b'{"id": "c-9", "cmd": "reboot", "args": {}}', "unknown command 'reboot'"),
    (b'{"id": "c-9", "cmd": "set_intervals", "args": {"report_interval_s": 5}}', "report_interval_s must be"),
    (b'{"id": "c-9", "cmd": "notify", "args": {"title": "t"}}', "missing argument 'message'"),
    (b'{"id": "c-9", "cmd": "diagnose", "args": {"now": 1}}', "unknown argument"),
])
def test_malformed_or_unknown_commands_are_rejected_with_a_reason(
    handler: CommandHandler, agent: FakeAgent, payload: bytes, reason: str
) -> None:
    ack = handler.handle(payload, NOW)
    assert ack is not None and ack.status == "rejected"
    assert reason in (ack.reason or "")
    assert agent.calls == []


def test_a_rejected_command_names_its_id_when_it_has_one(handler: CommandHandler) -> None:
    ack = handler.handle(b'{"id": "c-9", "cmd": "reboot"}', NOW)
    assert ack is not None and ack.id == "c-9"
    assert handler.handle(b'{"id": "c-9", "cmd": "reboot"}', NOW) is None  # and only once


def test_an_expired_command_is_rejected(handler: CommandHandler, agent: FakeAgent) -> None:
    ack = handler.handle(cmd("diagnose", expires_ts=NOW - 1), NOW)
    assert ack is not None and ack.status == "rejected" and "expired" in (ack.reason or "")
    assert agent.calls == []


def test_notify_without_a_hook_drops_the_notification_file(handler: CommandHandler, agent: FakeAgent,
                                                            tmp_path: Path) -> None:
    args = {"title": "Wi-Fi fix", "message": "A firmware update improves your Wi-Fi.", "url": "https://isp/fix",
            "campaign_id": "camp-7"}
    ack = handler.handle(cmd("notify", args, cid="c-n"), NOW)
    assert ack is not None and ack.status == "ok" and ack.result == {"delivered_via": "file"}
    dropped = json.loads((tmp_path / "notification.json").read_text())
    assert dropped["title"] == "Wi-Fi fix" and dropped["url"] == "https://isp/fix"
    assert dropped["campaign_id"] == "camp-7" and dropped["command_id"] == "c-n"
    assert agent.calls == [("notified", "file")]


def test_notify_runs_the_hook_with_the_notification_on_stdin(agent: FakeAgent, tmp_path: Path) -> None:
    seen = tmp_path / "seen.json"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ncat > {seen}\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    handler = CommandHandler(agent, NotificationHook(str(hook), tmp_path / "unused.json"), tmp_path / "data")
    ack = handler.handle(cmd("notify", {"title": "T", "message": "M"}), NOW)
    assert ack is not None and ack.status == "ok" and ack.result == {"delivered_via": "hook"}
    assert json.loads(seen.read_text())["message"] == "M"


def test_a_failing_hook_acks_failed_with_its_reason(agent: FakeAgent, tmp_path: Path) -> None:
    hook = tmp_path / "hook.sh"
    hook.write_text("#!/bin/sh\necho 'no display attached' >&2\nexit 3\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    handler = CommandHandler(agent, NotificationHook(str(hook), tmp_path / "n.json"), tmp_path / "data")
    ack = handler.handle(cmd("notify", {"title": "T", "message": "M"}), NOW)
    assert ack is not None and ack.status == "failed"
    assert "exited 3" in (ack.reason or "") and "no display attached" in (ack.reason or "")


def test_update_app_tables_persists_them_and_hands_them_to_the_collectors(
    handler: CommandHandler, agent: FakeAgent, tmp_path: Path
) -> None:
    tables = {"ports": {"443/udp": "quic"}, "names": {"*.nflxvideo.net": "netflix"}}
    ack = handler.handle(cmd("update_app_tables", {"version": "2024-06-01", "tables": tables}), NOW)
    assert ack is not None and ack.status == "ok" and ack.result["applied_to"] == ["apps"]
    assert load_app_tables(tmp_path / "data") == ("2024-06-01", tables)
