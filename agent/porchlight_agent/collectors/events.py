"""Event records: things that happened between samples (connects, disconnects, WAN down/up)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar


@dataclass(frozen=True, slots=True)
class Event:
    """One event (schema section ``events``); ``kind`` is one of the schema's event kinds."""

    SECTION: ClassVar[str] = "events"

    ts: int
    kind: str
    mac: str | None = None
    detail: str | None = None
