"""The ingest-side quarantine reasons that the wire contract does not define, in one place.

Every reason the cloud stores with a quarantined message is either a ``porchlight_wire`` WireError reason
(bad_envelope, oversized, decompression_bomb, truncated_or_corrupt, unknown_dictionary, malformed_json,
unsupported_version, schema_invalid, topic_mismatch, ...) or one of the classes below.
"""

from __future__ import annotations

from porchlight_wire import WireError


class GatewayHomeMismatchError(WireError):
    """A gateway already bound to one home reports another home (a forged or misconfigured home id)."""

    reason = "gateway_home_mismatch"


class StoreRejectedError(WireError):
    """The database refused the report's values (e.g. out of a column's range) after it passed the schema."""

    reason = "store_rejected"


class NotAReportError(WireError):
    """A message arrived on a topic that is not a report topic of our root."""

    reason = "topic_mismatch"


class InternalDecodeError(WireError):
    """Decoding or summarising a schema-valid report failed unexpectedly (a bug): kept, never retried forever."""

    reason = "internal_error"
