"""Porchlight's wire contract: the report schema, its codec, the topic tree and the command channel.

Standard library only (zstandard is used when installed). The agent and the cloud both import this
package and nothing else of each other.
"""

from .codec import (
    CODEC_JSON,
    CODEC_NAMES,
    CODEC_ZLIB,
    CODEC_ZSTD,
    CODEC_ZSTD_DICT,
    Decoder,
    DictionaryStore,
    Encoder,
    Envelope,
    json_bytes,
    parse_envelope,
    parse_json,
    zstd_available,
)
from .commands import COMMANDS, Ack, Command, command_id_of, parse_ack, parse_command
from .errors import (
    CodecUnavailableError,
    CommandError,
    DecompressError,
    DecompressionBombError,
    EnvelopeError,
    ForeignDictionaryError,
    MalformedJsonError,
    SchemaError,
    SizeLimitError,
    TopicError,
    UnknownDictionaryError,
    UnsupportedVersionError,
    WireError,
)
from .home_dictionary import HOME_DICT_MIN_ID, HomeDictionary, is_home_dictionary_id
from .report import build_report, iter_records, section_length, to_columns
from .schema import HEADER, SCHEMA_MAJOR, SCHEMA_VERSION, SECTIONS, SECTIONS_BY_KEY, Field, Section
from .topics import DEFAULT_ROOT, Topic, parse_topic, subscription, topic_for
from .validate import validate_report

__version__ = "0.1.0"

__all__ = [
    "Ack", "CODEC_JSON", "CODEC_NAMES", "CODEC_ZLIB", "CODEC_ZSTD", "CODEC_ZSTD_DICT", "COMMANDS",
    "CodecUnavailableError", "Command", "CommandError", "DEFAULT_ROOT", "Decoder", "DecompressError",
    "DecompressionBombError", "DictionaryStore", "Encoder", "Envelope", "EnvelopeError", "Field",
    "ForeignDictionaryError", "HEADER", "HOME_DICT_MIN_ID", "HomeDictionary", "MalformedJsonError", "SCHEMA_MAJOR",
    "SCHEMA_VERSION", "SECTIONS", "SECTIONS_BY_KEY", "SchemaError", "Section", "SizeLimitError", "Topic",
    "TopicError", "UnknownDictionaryError", "UnsupportedVersionError", "WireError", "build_report", "command_id_of",
    "is_home_dictionary_id", "iter_records", "json_bytes", "parse_ack", "parse_command", "parse_envelope",
    "parse_json", "parse_topic", "section_length", "subscription", "to_columns", "topic_for", "validate_report",
    "zstd_available",
]
