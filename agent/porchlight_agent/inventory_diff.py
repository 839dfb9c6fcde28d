"""Which devices a report lists: every device (``header.inventory`` 'full') on the first report after the
agent starts and at least once an hour, otherwise only the devices that appeared or changed since the
previous report ('changes').

A change is a new device or a different address list, host name, vendor, device class or connection. A
device that was merely active again (``last_seen``) or whose class confidence moved did not change: the
cloud gets its new ``last_seen`` with the next full inventory.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

__all__ = ["CHANGE_FIELDS", "FULL", "FULL_EVERY_S", "CHANGES", "InventoryTracker", "changed_devices", "signature"]

FULL: Final = "full"
CHANGES: Final = "changes"
#: The longest time between two full inventories.
FULL_EVERY_S: Final = 3600
#: The device fields whose change puts a device into a 'changes' inventory.
CHANGE_FIELDS: Final = ("ips", "hostname", "vendor", "device_class", "connection")

Signature = tuple[Any, ...]


def signature(device: Mapping[str, Any]) -> Signature:
    """What a device is, for change detection (the address list as a tuple, order as the collector gives)."""
    return tuple(tuple(v) if isinstance(v, list) else v for v in (device.get(f) for f in CHANGE_FIELDS))


def changed_devices(previous: Mapping[str, Signature],
                    devices: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """The devices that are new or changed against ``previous`` (mac -> signature), in input order (pure)."""
    return [d for d in devices if previous.get(d["mac"]) != signature(d)]


class InventoryTracker:
    """Remembers what the previous report said about each device and when the last full inventory was."""

    def __init__(self, full_every_s: int = FULL_EVERY_S) -> None:
        self.full_every_s = full_every_s
        self._known: dict[str, Signature] | None = None
        self._last_full_ts: int | None = None

    def select(self, end_ts: int, devices: Sequence[Mapping[str, Any]]) -> tuple[str, list[Mapping[str, Any]]]:
        """The inventory mode and the devices to send for a report ending at ``end_ts``; ``devices`` is every
        device known at the end of the interval. Call once per report, in report order."""
        last = self._last_full_ts
        # A clock that jumped back (NTP after a boot without time) also starts over with a full inventory.
        if self._known is None or last is None or end_ts - last >= self.full_every_s or end_ts < last:
            mode, rows = FULL, list(devices)
            self._last_full_ts = end_ts
        else:
            mode, rows = CHANGES, changed_devices(self._known, devices)
        self._known = {d["mac"]: signature(d) for d in devices}
        return mode, rows
