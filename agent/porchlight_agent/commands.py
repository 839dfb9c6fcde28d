"""Downstream command handling on the gateway: validate, carry out, acknowledge exactly once.

Each payload from the cmd topic is checked with ``porchlight_wire.commands.parse_command``; a malformed,
unknown or expired command is rejected with the reason, a valid one is carried out by the agent (the
``CommandTarget``) and answered ``ok`` or ``failed``. Command ids already handled (QoS 1 redeliveries, a
broker replaying a persistent session) are remembered on disk and never run or acknowledged twice.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from pathlib import Path
from typing import Any, Final, Protocol

from porchlight_wire.commands import Ack, Command, command_id_of, parse_command
from porchlight_wire.errors import CommandError

from .notify import Notification, NotificationHook, NotifyError
from .queue import atomic_write

__all__ = [
    "CommandFailed", "CommandHandler", "CommandLedger", "CommandTarget", "load_app_tables", "store_app_tables",
]

log = logging.getLogger("porchlight.commands")

_LEDGER_SIZE: Final = 256
APP_TABLES_FILE: Final = "app_tables.json"


class CommandFailed(Exception):
    """A valid command could not be carried out; the message is the ack's reason."""


class CommandTarget(Protocol):
    """What the running agent offers to commands."""

    def set_intervals(self, *, sample_s: int | None, report_s: int | None,
                      per_collector: dict[str, int] | None) -> dict[str, Any]:
        """Change the schedule; return the schedule in force."""
        ...

    def diagnose(self, command_id: str) -> dict[str, Any]:
        """Sample everything now and queue a diagnosis report; return its boot_id and seq."""
        ...

    def update_app_tables(self, version: str, tables: dict[str, Any]) -> dict[str, Any]:
        """Hand new classification tables to the collectors that classify; return which took them."""
        ...

    def set_dictionary(self, args: dict[str, Any]) -> dict[str, Any]:
        """Compress with the home dictionary in ``set_dictionary`` arguments from now on; return what is used."""
        ...

    def notified(self, notification: Notification, via: str) -> None:
        """Record that a notification was handed to the local hook (an event in the next report)."""
        ...


class CommandLedger:
    """The ids of the last commands handled, kept on disk so a redelivered command runs only once."""

    def __init__(self, path: Path, keep: int = _LEDGER_SIZE) -> None:
        self.path = path
        self._ids: deque[str] = deque(maxlen=keep)
        try:
            loaded = json.loads(path.read_bytes())
            if isinstance(loaded, list):
                self._ids.extend(i for i in loaded if isinstance(i, str))
        except (OSError, ValueError):
            pass

    def __contains__(self, command_id: object) -> bool:
        return command_id in self._ids

    def record(self, command_id: str) -> None:
        """Remember a command id (persisted before the command runs)."""
        self._ids.append(command_id)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self.path, json.dumps(list(self._ids)).encode())
        except OSError as exc:
            log.warning("event=ledger_write_failed path=%s error=%r", self.path, exc.strerror)


def store_app_tables(data_dir: Path, version: str, tables: dict[str, Any]) -> Path:
    """Persist application tables under the state directory (replaced atomically)."""
    path = data_dir / APP_TABLES_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps({"version": version, "tables": tables}, separators=(",", ":")).encode())
    return path


def load_app_tables(data_dir: Path) -> tuple[str, dict[str, Any]] | None:
    """The application tables stored last, or None."""
    try:
        doc = json.loads((data_dir / APP_TABLES_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    if isinstance(doc, dict) and isinstance(doc.get("version"), str) and isinstance(doc.get("tables"), dict):
        return doc["version"], doc["tables"]
    return None


class CommandHandler:
    """Turns one command payload into at most one acknowledgement."""

    def __init__(self, target: CommandTarget, notifier: NotificationHook, data_dir: Path) -> None:
        self.target = target
        self.notifier = notifier
        self.data_dir = data_dir
        self.ledger = CommandLedger(data_dir / "commands.json")

    def handle(self, payload: bytes, now: int) -> Ack | None:
        """Validate and run a command; the Ack to publish, or None for a command already handled."""
        try:
            command = parse_command(payload, now_ts=now)
        except CommandError as exc:
            cid = command_id_of(payload)
            if cid is not None and cid in self.ledger:
                return None
            if cid is not None:
                self.ledger.record(cid)
            log.warning("event=command_rejected id=%s reason=%r", cid, str(exc))
            return Ack(cid or "", "rejected", now, reason=str(exc))
        if command.id in self.ledger:
            log.info("event=command_duplicate id=%s cmd=%s", command.id, command.cmd)
            return None
        self.ledger.record(command.id)
        try:
            result = self._run(command, now)
        except CommandFailed as exc:
            log.warning("event=command_failed id=%s cmd=%s reason=%r", command.id, command.cmd, str(exc))
            return Ack(command.id, "failed", now, reason=str(exc))
        log.info("event=command_done id=%s cmd=%s", command.id, command.cmd)
        return Ack(command.id, "ok", now, result=result)

    def _run(self, command: Command, now: int) -> dict[str, Any]:
        args = command.args
        if command.cmd == "set_intervals":
            return self.target.set_intervals(sample_s=args.get("sample_interval_s"),
                                             report_s=args.get("report_interval_s"),
                                             per_collector=args.get("collectors"))
        if command.cmd == "diagnose":
            return self.target.diagnose(command.id)
        if command.cmd == "notify":
            notification = Notification(command.id, args["title"], args["message"], args.get("url"),
                                        args.get("campaign_id"), now)
            try:
                via = self.notifier.deliver(notification)
            except NotifyError as exc:
                raise CommandFailed(str(exc)) from None
            self.target.notified(notification, via)
            return {"delivered_via": via}
        if command.cmd == "update_app_tables":
            try:
                store_app_tables(self.data_dir, args["version"], args["tables"])
            except OSError as exc:
                raise CommandFailed(f"cannot store the tables: {exc.strerror}") from None
            return self.target.update_app_tables(args["version"], args["tables"])
        if command.cmd == "set_dictionary":
            return self.target.set_dictionary(args)
        raise CommandFailed(f"command {command.cmd!r} is not supported by this agent")
