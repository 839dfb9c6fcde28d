"""Why a finding was raised: a sentence a rep can read to a customer, with the numbers behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Number = float | int | str


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: a stable code for machines, a plain-words sentence for people, and its evidence."""

    code: str
    text: str
    numbers: Mapping[str, Number] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The reason as a JSON-ready dict (stored in the findings table)."""
        return {"code": self.code, "text": self.text, "numbers": dict(self.numbers)}


def reasons_json(reasons: Sequence[Reason]) -> list[dict[str, Any]]:
    """Several reasons as JSON-ready dicts, in order."""
    return [r.as_json() for r in reasons]


def reason_from_json(doc: Mapping[str, Any]) -> Reason:
    """Read a reason back from its stored JSON form."""
    return Reason(str(doc["code"]), str(doc["text"]), dict(doc.get("numbers") or {}))


def human_bytes(n: float) -> str:
    """Bytes in the units a customer knows (kB, MB, GB), decimal as ISPs bill them."""
    for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if abs(n) >= size:
            return f"{n / size:.1f} {unit}"
    return f"{int(n)} bytes"


def device_label(name: str | None, device_class: str | None, mac: str) -> str:
    """How a rep should name a device: its host name, else its kind, with the MAC to look it up."""
    kind = device_class if device_class and device_class != "unknown" else "device"
    if name:
        return f"{kind} '{name}' ({mac})"
    return f"{kind} {mac}"
