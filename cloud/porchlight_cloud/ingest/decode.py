"""Open one MQTT message into a validated report, or raise the WireError that says why not.

Pure apart from the Decoder's dictionary store: size limits, envelope, decompression with bomb limits,
JSON, schema validation, and the check that the topic names the same home and gateway as the header.
JSON is parsed with orjson when it is installed (a cloud dependency; ~4x faster than the standard library
on report bodies, and as strict: NaN and Infinity, which agents never send, are malformed JSON there too).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from porchlight_wire import Decoder, TopicError, parse_json, parse_topic, validate_report

from .errors import NotAReportError

try:
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - orjson is a dependency; the standard library still works
    _fast_loads = None

LOADS: Final[Callable[[bytes], Any]] = _fast_loads or json.loads


@dataclass(frozen=True, slots=True)
class Incoming:
    """A message as it came off the broker, before decoding."""

    topic: str
    payload: bytes
    received_at: float          # Unix epoch seconds
    mid: int = 0
    qos: int = 1
    generation: int = 0         # MQTT connection it arrived on: acks are only valid on that connection


@dataclass(frozen=True, slots=True)
class Report:
    """A decoded, validated report and where it came from."""

    incoming: Incoming
    doc: dict[str, Any]
    codec: str

    @property
    def header(self) -> dict[str, Any]:
        """The report's header object."""
        header: dict[str, Any] = self.doc["header"]
        return header


def decode(incoming: Incoming, decoder: Decoder, root: str | None = None) -> Report:
    """Decode and validate one message; raise a WireError subclass (its ``reason`` is the quarantine code)."""
    topic = parse_topic(incoming.topic)
    if topic.kind != "report" or (root is not None and topic.root != root):
        raise NotAReportError(f"topic {incoming.topic!r} is not a report topic under {root}")
    envelope, body = decoder.body(incoming.payload, topic.gateway_id)
    doc = validate_report(parse_json(body, LOADS))
    header = doc["header"]
    if header["home_id"] != topic.home_id or header["gateway_id"] != topic.gateway_id:
        raise TopicError(
            f"topic names home {topic.home_id!r} gateway {topic.gateway_id!r}, header says home "
            f"{header['home_id']!r} gateway {header['gateway_id']!r}"
        )
    return Report(incoming, doc, envelope.codec_name)
