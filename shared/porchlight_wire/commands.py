"""Downstream commands (cloud -> gateway) and their acknowledgements (gateway -> cloud).

A command is one JSON object on ``<root>/<home>/<gateway>/cmd``::

    {"id": "c-1f3a", "cmd": "diagnose", "args": {}, "issued_ts": 1700000000, "expires_ts": 1700000600}

and the gateway answers exactly once per command id on ``.../ack``::

    {"id": "c-1f3a", "status": "ok" | "rejected" | "failed", "reason": "...", "ts": 1700000003, "result": {}}

``rejected`` means the command was malformed, unknown, expired or had bad arguments (``reason`` says
which); ``failed`` means it was valid but could not be carried out. Commands are plain UTF-8 JSON, not
compressed: they are small and rare.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Final

from .errors import CommandError
from .home_dictionary import from_command_args

MAX_COMMAND_BYTES: Final = 256 * 1024
ACK_STATUSES: Final = ("ok", "rejected", "failed")
_ID_PATTERN = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")

#: Interval bounds a gateway accepts, in seconds.
MIN_SAMPLE_INTERVAL_S: Final = 10
MAX_SAMPLE_INTERVAL_S: Final = 3600
MIN_REPORT_INTERVAL_S: Final = 30
MAX_REPORT_INTERVAL_S: Final = 86400


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """A command name, what it does, and its arguments with their types."""

    name: str
    doc: str
    args: dict[str, tuple[str, bool]]  # arg -> (type name, required)


COMMANDS: Final = {
    spec.name: spec
    for spec in (
        CommandSpec("set_intervals", "Change the sampling and/or reporting interval, in seconds; optional "
                    "per-collector sampling intervals.",
                    {"sample_interval_s": ("int", False), "report_interval_s": ("int", False),
                     "collectors": ("object", False)}),
        CommandSpec("diagnose", "Run the probes and a fresh sample now and publish them at once as a "
                    "report of kind 'diagnosis' (what a rep triggers during a call).", {}),
        CommandSpec("notify", "Show the subscriber a notification (e.g. a firmware-fix notice) through the "
                    "gateway's configured local hook.",
                    {"title": ("str", True), "message": ("str", True), "url": ("str", False),
                     "campaign_id": ("str", False)}),
        CommandSpec("update_app_tables", "Replace the application classification tables (prefixes, ports, "
                    "name patterns) with a new version.",
                    {"version": ("str", True), "tables": ("object", True)}),
        CommandSpec("set_dictionary", "Compress reports from now on with this gateway's home dictionary: the "
                    "fleet dictionary base_id followed by reference (a recent report body of this gateway, "
                    "zlib-compressed, base64); crc32 is the CRC-32 of the composed content. The gateway "
                    "keeps it across restarts; 'failed' when it lacks zstandard or the base.",
                    {"dict_id": ("int", True), "base_id": ("int", True), "reference": ("str", True),
                     "crc32": ("int", True)}),
    )
}

_PY_TYPES: Final = {"int": (int,), "str": (str,), "object": (dict,)}


@dataclass(frozen=True, slots=True)
class Command:
    """A validated downstream command."""

    id: str
    cmd: str
    args: dict[str, Any] = field(default_factory=dict)
    issued_ts: int = 0
    expires_ts: int | None = None

    def to_json(self) -> bytes:
        """The command as it travels on the cmd topic."""
        doc: dict[str, Any] = {"id": self.id, "cmd": self.cmd, "args": self.args, "issued_ts": self.issued_ts}
        if self.expires_ts is not None:
            doc["expires_ts"] = self.expires_ts
        return json.dumps(doc, separators=(",", ":")).encode()


@dataclass(frozen=True, slots=True)
class Ack:
    """A gateway's answer to one command."""

    id: str
    status: str
    ts: int
    reason: str | None = None
    result: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> bytes:
        """The acknowledgement as it travels on the ack topic."""
        return json.dumps({"id": self.id, "status": self.status, "ts": self.ts, "reason": self.reason,
                           "result": self.result}, separators=(",", ":")).encode()


def command_id_of(payload: bytes) -> str | None:
    """Best-effort id of a command that failed to parse, so the rejection can still name it."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError):
        return None
    cid = doc.get("id") if isinstance(doc, dict) else None
    return cid if isinstance(cid, str) and _ID_PATTERN.match(cid) else None


def parse_command(payload: bytes, now_ts: int | None = None) -> Command:
    """Validate a command payload; CommandError with a readable reason when it is not acceptable."""
    if len(payload) > MAX_COMMAND_BYTES:
        raise CommandError(f"command of {len(payload)} bytes exceeds {MAX_COMMAND_BYTES}")
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CommandError(f"command is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise CommandError("command is not a JSON object")
    cid, name, args = doc.get("id"), doc.get("cmd"), doc.get("args", {})
    if not isinstance(cid, str) or not _ID_PATTERN.match(cid):
        raise CommandError("command id missing or invalid")
    spec = COMMANDS.get(name) if isinstance(name, str) else None
    if spec is None:
        raise CommandError(f"unknown command {name!r}")
    if not isinstance(args, dict):
        raise CommandError("args must be an object")
    for arg, (type_name, required) in spec.args.items():
        if arg not in args:
            if required:
                raise CommandError(f"{name}: missing argument {arg!r}")
            continue
        value = args[arg]
        if isinstance(value, bool) or not isinstance(value, _PY_TYPES[type_name]):
            raise CommandError(f"{name}: argument {arg!r} must be {type_name}")
    unknown = sorted(set(args) - set(spec.args))
    if unknown:
        raise CommandError(f"{name}: unknown argument(s) {', '.join(unknown)}")
    issued = doc.get("issued_ts", 0)
    expires = doc.get("expires_ts")
    if not isinstance(issued, int) or (expires is not None and not isinstance(expires, int)):
        raise CommandError("issued_ts and expires_ts must be integers")
    if expires is not None and now_ts is not None and now_ts > expires:
        raise CommandError(f"command expired at {expires}")
    if name == "set_intervals":
        _check_intervals(args)
    elif name == "set_dictionary":
        from_command_args(args, "")
    return Command(cid, spec.name, args, issued, expires)


def _check_intervals(args: dict[str, Any]) -> None:
    sample, report = args.get("sample_interval_s"), args.get("report_interval_s")
    if sample is None and report is None and not args.get("collectors"):
        raise CommandError("set_intervals: give sample_interval_s, report_interval_s or collectors")
    if sample is not None and not MIN_SAMPLE_INTERVAL_S <= sample <= MAX_SAMPLE_INTERVAL_S:
        raise CommandError(f"set_intervals: sample_interval_s must be {MIN_SAMPLE_INTERVAL_S}-"
                           f"{MAX_SAMPLE_INTERVAL_S}")
    if report is not None and not MIN_REPORT_INTERVAL_S <= report <= MAX_REPORT_INTERVAL_S:
        raise CommandError(f"set_intervals: report_interval_s must be {MIN_REPORT_INTERVAL_S}-"
                           f"{MAX_REPORT_INTERVAL_S}")
    if sample is not None and report is not None and report < sample:
        raise CommandError("set_intervals: report_interval_s must not be shorter than sample_interval_s")
    for collector, interval in (args.get("collectors") or {}).items():
        if not isinstance(interval, int) or isinstance(interval, bool) or not (
            MIN_SAMPLE_INTERVAL_S <= interval <= MAX_SAMPLE_INTERVAL_S
        ):
            raise CommandError(f"set_intervals: interval of collector {collector!r} is out of range")


def parse_ack(payload: bytes) -> Ack:
    """Parse an acknowledgement; CommandError when it is malformed."""
    try:
        doc = json.loads(payload)
    except (UnicodeDecodeError, ValueError) as exc:
        raise CommandError(f"ack is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("id"), str):
        raise CommandError("ack is not an object with an id")
    status = doc.get("status")
    if status not in ACK_STATUSES:
        raise CommandError(f"ack status {status!r} is not one of {ACK_STATUSES}")
    ts = doc.get("ts")
    reason = doc.get("reason")
    result = doc.get("result") or {}
    if not isinstance(ts, int) or (reason is not None and not isinstance(reason, str)) or not isinstance(result, dict):
        raise CommandError("ack fields have the wrong types")
    return Ack(doc["id"], status, ts, reason, result)
