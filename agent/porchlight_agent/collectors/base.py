"""What every collector is: a name, a source seam, and one ``collect()`` that returns wire records."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields, is_dataclass
from typing import Any, ClassVar, Protocol


class WireRecord(Protocol):
    """A typed record bound for one section of the report (see porchlight_wire.schema).

    Implementations are frozen, slotted dataclasses whose field names are the schema's field names; the
    class attribute ``SECTION`` names the section (``"stations"``, ``"radios"``, ...).
    """

    SECTION: ClassVar[str]


class Collector(Protocol):
    """One source of measurements. ``collect`` never raises for a bad reading of one item: it skips the
    item and counts it; it raises ``CollectorError`` only when the whole source is unusable."""

    name: str

    def collect(self, ts: int) -> Iterable[WireRecord]:
        """Read the source once and return records stamped with ``ts`` where the section has a ``ts``."""
        ...


class CollectorError(Exception):
    """A collector could not read its source at all (missing tool, permission, unparseable output)."""


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def record_to_wire(record: Any) -> Mapping[str, Any]:
    """The dict form of a record, keyed by schema field names (cached field lists, no deep copy)."""
    cls = type(record)
    names = _FIELD_NAMES.get(cls)
    if names is None:
        if not is_dataclass(cls):
            raise TypeError(f"{cls.__name__} is not a dataclass record")
        names = tuple(f.name for f in fields(cls))
        _FIELD_NAMES[cls] = names
    return {name: getattr(record, name) for name in names}
