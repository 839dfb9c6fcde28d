"""Every error the wire contract can raise, in one place.

Each class carries a stable ``reason`` code: the cloud stores it with a quarantined message and counts it,
so the codes are part of the public contract (see SCHEMA.md) and never change meaning.
"""

from __future__ import annotations


class WireError(Exception):
    """Base of every error raised while encoding or decoding a Porchlight message."""

    reason = "wire_error"


class EnvelopeError(WireError):
    """The message does not start with a Porchlight envelope, or names a codec we do not know."""

    reason = "bad_envelope"


class SizeLimitError(WireError):
    """The compressed message is larger than the configured limit."""

    reason = "oversized"


class DecompressionBombError(WireError):
    """The message inflates beyond the configured limit (a zstd or zlib bomb)."""

    reason = "decompression_bomb"


class DecompressError(WireError):
    """The compressed body is corrupt or truncated."""

    reason = "truncated_or_corrupt"


class UnknownDictionaryError(WireError):
    """The message was compressed with a zstd dictionary this side does not have."""

    reason = "unknown_dictionary"


class ForeignDictionaryError(WireError):
    """The message names a home dictionary that was issued to another gateway."""

    reason = "foreign_dictionary"


class CodecUnavailableError(WireError):
    """The message needs a compression module (zstandard) that is not installed here."""

    reason = "codec_unavailable"


class MalformedJsonError(WireError):
    """The body is not valid UTF-8 JSON, or its top level is not an object."""

    reason = "malformed_json"


class UnsupportedVersionError(WireError):
    """The report's schema major version is neither the current nor the previous one."""

    reason = "unsupported_version"


class SchemaError(WireError):
    """The report does not match the schema; ``problems`` lists every violation with its path."""

    reason = "schema_invalid"

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = "; ".join(problems[:5])
        more = f" (+{len(problems) - 5} more)" if len(problems) > 5 else ""
        super().__init__(f"{shown}{more}")


class TopicError(WireError):
    """A topic is not in the Porchlight topic tree, or names another home or gateway than the report."""

    reason = "topic_mismatch"


class CommandError(WireError):
    """A downstream command is malformed, unknown, or has invalid arguments."""

    reason = "bad_command"
