"""Turn a report into the bytes of one MQTT message and back, safely.

A message is an 8-byte envelope followed by the body::

    offset 0  2 bytes  magic b"PL"
    offset 2  1 byte   envelope version (1)
    offset 3  1 byte   codec: 0 JSON, 1 zlib, 2 zstd, 3 zstd with a dictionary
    offset 4  4 bytes  dictionary id, big-endian (0 unless codec 3)

The body is compact UTF-8 JSON, compressed as the codec says. zstd frames always declare their content
size, which lets the decoder refuse a decompression bomb before it allocates anything. ``zstandard`` is
optional on both sides: an agent without it sends zlib (codec 1) and a cloud always has it.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from .errors import (
    CodecUnavailableError,
    DecompressError,
    DecompressionBombError,
    EnvelopeError,
    ForeignDictionaryError,
    MalformedJsonError,
    SizeLimitError,
    UnknownDictionaryError,
)
from .home_dictionary import HomeDictionary, is_home_dictionary_id

try:  # zstandard is not in every OpenWrt feed: fall back to zlib where it is missing.
    import zstandard
except ImportError:  # pragma: no cover - exercised on gateways without the module
    zstandard = None  # type: ignore[assignment]

MAGIC: Final = b"PL"
ENVELOPE_VERSION: Final = 1
ENVELOPE = struct.Struct(">2sBBI")
CODEC_JSON: Final = 0
CODEC_ZLIB: Final = 1
CODEC_ZSTD: Final = 2
CODEC_ZSTD_DICT: Final = 3
CODEC_NAMES: Final = {CODEC_JSON: "json", CODEC_ZLIB: "zlib", CODEC_ZSTD: "zstd", CODEC_ZSTD_DICT: "zstd-dict"}

DEFAULT_MAX_MESSAGE_BYTES: Final = 256 * 1024
DEFAULT_MAX_BODY_BYTES: Final = 4 * 1024 * 1024
#: The agent's level: a report of a few KB costs under 1 ms of CPU at 19 (measured in bench/wire_size.py).
DEFAULT_ZSTD_LEVEL: Final = 19
DEFAULT_ZLIB_LEVEL: Final = 9


def zstd_available() -> bool:
    """True when the zstandard module can be used here."""
    return zstandard is not None


def json_bytes(doc: dict[str, Any]) -> bytes:
    """The compact JSON form of a report: the body every codec compresses."""
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode("utf-8")


@dataclass(frozen=True, slots=True)
class Envelope:
    """The parsed 8-byte envelope of a message."""

    codec: int
    dict_id: int

    @property
    def codec_name(self) -> str:
        """Human-readable codec name for logs and metrics."""
        return CODEC_NAMES.get(self.codec, f"codec-{self.codec}")


def parse_envelope(message: bytes) -> tuple[Envelope, bytes]:
    """Split a message into its envelope and body; raise EnvelopeError when it is not ours."""
    if len(message) < ENVELOPE.size:
        raise EnvelopeError(f"message of {len(message)} bytes is shorter than the envelope")
    magic, version, codec, dict_id = ENVELOPE.unpack_from(message)
    if magic != MAGIC:
        raise EnvelopeError("message does not start with the Porchlight magic b'PL'")
    if version != ENVELOPE_VERSION:
        raise EnvelopeError(f"envelope version {version} is not supported (expected {ENVELOPE_VERSION})")
    if codec not in CODEC_NAMES:
        raise EnvelopeError(f"unknown codec {codec}")
    if (codec == CODEC_ZSTD_DICT) != (dict_id != 0):
        raise EnvelopeError("dictionary id must be set exactly when the codec is zstd-dict")
    return Envelope(codec, dict_id), message[ENVELOPE.size:]


class DictionaryStore:
    """The zstd dictionaries one side knows, by id. The cloud keeps every dictionary it ever issued.

    Fleet dictionaries (trained, id in their header) are all kept. Home dictionaries (one per gateway, see
    ``home_dictionary``) are kept up to ``home_capacity``, least recently used first out: the cloud holds
    every one in its database and loads them back on demand.
    """

    def __init__(self, home_capacity: int = 20_000) -> None:
        self._raw: dict[int, bytes] = {}
        self._decompressors: dict[int, Any] = {}
        self._home: OrderedDict[int, HomeDictionary] = OrderedDict()
        self._home_capacity = home_capacity

    @classmethod
    def shipped(cls) -> DictionaryStore:
        """The dictionaries that ship inside this package (porchlight_wire/dictionaries/*.zdict)."""
        store = cls()
        folder = resources.files("porchlight_wire") / "dictionaries"
        for entry in sorted(folder.iterdir(), key=lambda e: e.name):
            if entry.name.endswith(".zdict"):
                store.add(entry.read_bytes())
        return store

    def add(self, data: bytes) -> int:
        """Add a trained dictionary and return its id (the id zstd wrote into it)."""
        dict_id = dictionary_id(data)
        if is_home_dictionary_id(dict_id):
            raise EnvelopeError(f"a trained dictionary may not use the home dictionary id {dict_id}")
        self._raw[dict_id] = data
        self._decompressors.pop(dict_id, None)
        return dict_id

    def add_home(self, home: HomeDictionary) -> int:
        """Keep a gateway's home dictionary; UnknownDictionaryError when its base is not known here."""
        self.raw(home.base_id)
        self._home[home.dict_id] = home
        self._home.move_to_end(home.dict_id)
        self._decompressors.pop(home.dict_id, None)
        while len(self._home) > self._home_capacity:
            evicted, _ = self._home.popitem(last=False)
            self._decompressors.pop(evicted, None)
        return home.dict_id

    def ids(self) -> list[int]:
        """Ids of the fleet dictionaries known here, sorted."""
        return sorted(self._raw)

    def raw(self, dict_id: int) -> bytes:
        """A fleet dictionary's bytes; UnknownDictionaryError when this side does not have it."""
        try:
            return self._raw[dict_id]
        except KeyError:
            raise UnknownDictionaryError(f"dictionary {dict_id} is not known here") from None

    def home(self, dict_id: int) -> HomeDictionary:
        """A home dictionary; UnknownDictionaryError when it is not (or no longer) held here."""
        try:
            home = self._home[dict_id]
        except KeyError:
            raise UnknownDictionaryError(f"home dictionary {dict_id} is not known here") from None
        self._home.move_to_end(dict_id)
        return home

    def content(self, dict_id: int) -> Any:
        """The ``zstandard.ZstdCompressionDict`` of any known dictionary, fleet or home."""
        zstd = _zstd()
        if is_home_dictionary_id(dict_id):
            home = self.home(dict_id)
            return zstd.ZstdCompressionDict(home.content(self.raw(home.base_id)),
                                            dict_type=zstd.DICT_TYPE_RAWCONTENT)
        return zstd.ZstdCompressionDict(self.raw(dict_id))

    def newest(self) -> int | None:
        """The fleet dictionary the agent should compress with: the last one added, None when there is none."""
        return next(reversed(self._raw), None)

    def decompressor(self, dict_id: int) -> Any:
        """A cached zstd decompressor for one dictionary."""
        dctx = self._decompressors.get(dict_id)
        if dctx is None:
            dctx = _zstd().ZstdDecompressor(dict_data=self.content(dict_id))
            self._decompressors[dict_id] = dctx
        elif is_home_dictionary_id(dict_id):
            self._home.move_to_end(dict_id)
        return dctx


def dictionary_id(data: bytes) -> int:
    """The id stored in a zstd dictionary's header (bytes 4-8, little-endian, after the magic)."""
    if len(data) < 8 or data[:4] != b"\x37\xa4\x30\xec":
        raise EnvelopeError("not a zstd dictionary (bad magic)")
    dict_id: int = struct.unpack_from("<I", data, 4)[0]
    if dict_id == 0:
        raise EnvelopeError("a zstd dictionary with id 0 cannot be referenced")
    return dict_id


class Encoder:
    """Compresses report bodies with the best codec this side has.

    Preference: zstd with the given dictionary, plain zstd, then zlib. Encoders are reusable and keep their
    compression context, so encoding a report costs no set-up. ``raw_dict_id`` says that ``dictionary`` is
    raw content (a home dictionary's, ``HomeDictionary.content``) to be named by that id in the envelope.
    """

    def __init__(
        self,
        dictionary: bytes | None = None,
        *,
        zstd_level: int = DEFAULT_ZSTD_LEVEL,
        zlib_level: int = DEFAULT_ZLIB_LEVEL,
        prefer: str = "auto",
        raw_dict_id: int | None = None,
    ) -> None:
        if prefer not in ("auto", "zstd", "zlib", "json"):
            raise ValueError(f"prefer must be auto, zstd, zlib or json, not {prefer!r}")
        self._zlib_level = zlib_level
        self._cctx: Any = None
        self.dict_id = 0
        if prefer == "json":
            self.codec = CODEC_JSON
        elif prefer == "zlib" or zstandard is None:
            if prefer == "zstd":
                raise CodecUnavailableError("zstandard is not installed")
            self.codec = CODEC_ZLIB
        elif dictionary is not None:
            if raw_dict_id is not None:
                if not is_home_dictionary_id(raw_dict_id):
                    raise ValueError(f"raw content dictionaries use home dictionary ids, not {raw_dict_id}")
                self.dict_id = raw_dict_id
                zdict = zstandard.ZstdCompressionDict(dictionary, dict_type=zstandard.DICT_TYPE_RAWCONTENT)
            else:
                self.dict_id = dictionary_id(dictionary)
                zdict = zstandard.ZstdCompressionDict(dictionary)
            self.codec = CODEC_ZSTD_DICT
            self._cctx = zstandard.ZstdCompressor(level=zstd_level, dict_data=zdict, write_content_size=True)
        else:
            self.codec = CODEC_ZSTD
            self._cctx = zstandard.ZstdCompressor(level=zstd_level, write_content_size=True)

    @property
    def codec_name(self) -> str:
        """Human-readable name of the codec in use."""
        return CODEC_NAMES[self.codec]

    def encode(self, doc: dict[str, Any]) -> bytes:
        """Serialize and compress a report into one message."""
        return self.encode_body(json_bytes(doc))

    def encode_body(self, body: bytes) -> bytes:
        """Compress an already serialized JSON body into one message."""
        if self.codec == CODEC_JSON:
            packed = body
        elif self.codec == CODEC_ZLIB:
            packed = zlib.compress(body, self._zlib_level)
        else:
            packed = self._cctx.compress(body)
        return ENVELOPE.pack(MAGIC, ENVELOPE_VERSION, self.codec, self.dict_id) + packed


class Decoder:
    """Opens messages from gateways, refusing oversized messages, bombs and corrupt frames.

    Each failure raises a WireError subclass whose ``reason`` the cloud records in quarantine.
    """

    def __init__(
        self,
        dictionaries: DictionaryStore | None = None,
        *,
        max_message_bytes: int = DEFAULT_MAX_MESSAGE_BYTES,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        self.dictionaries = dictionaries if dictionaries is not None else DictionaryStore.shipped()
        self.max_message_bytes = max_message_bytes
        self.max_body_bytes = max_body_bytes
        self._plain_dctx: Any = zstandard.ZstdDecompressor() if zstandard is not None else None

    def body(self, message: bytes, gateway_id: str | None = None) -> tuple[Envelope, bytes]:
        """Check the size, parse the envelope and decompress; return the envelope and the JSON body.

        ``gateway_id`` is the sender (from the topic the broker's ACL holds it to): a home dictionary
        issued to another gateway is refused with ForeignDictionaryError before anything is decompressed.
        """
        if len(message) > self.max_message_bytes:
            raise SizeLimitError(f"message of {len(message)} bytes exceeds {self.max_message_bytes}")
        envelope, packed = parse_envelope(message)
        if envelope.codec == CODEC_JSON:
            body = packed
            if len(body) > self.max_body_bytes:
                raise DecompressionBombError(f"body of {len(body)} bytes exceeds {self.max_body_bytes}")
        elif envelope.codec == CODEC_ZLIB:
            body = self._inflate(packed)
        elif envelope.codec == CODEC_ZSTD:
            body = self._unzstd(packed, self._plain_dctx_or_fail(), 0)
        else:
            if gateway_id is not None and is_home_dictionary_id(envelope.dict_id):
                owner = self.dictionaries.home(envelope.dict_id).gateway_id
                if owner != gateway_id:
                    raise ForeignDictionaryError(f"home dictionary {envelope.dict_id} was issued to gateway "
                                                 f"{owner!r}, not {gateway_id!r}")
            dctx = self.dictionaries.decompressor(envelope.dict_id)
            body = self._unzstd(packed, dctx, envelope.dict_id)
        return envelope, body

    def decode(self, message: bytes) -> dict[str, Any]:
        """Decompress and parse a message into a JSON object (not yet validated against the schema)."""
        _, body = self.body(message)
        return parse_json(body)

    def _plain_dctx_or_fail(self) -> Any:
        if self._plain_dctx is None:
            raise CodecUnavailableError("zstandard is not installed")
        return self._plain_dctx

    def _inflate(self, packed: bytes) -> bytes:
        inflater = zlib.decompressobj()
        try:
            body = inflater.decompress(packed, self.max_body_bytes + 1)
        except zlib.error as exc:
            raise DecompressError(f"zlib: {exc}") from None
        if len(body) > self.max_body_bytes or inflater.unconsumed_tail:
            raise DecompressionBombError(f"zlib body inflates beyond {self.max_body_bytes} bytes")
        if not inflater.eof:
            raise DecompressError("zlib stream is truncated")
        if inflater.unused_data:
            raise DecompressError("trailing bytes after the zlib stream")
        return body

    def _unzstd(self, packed: bytes, dctx: Any, dict_id: int) -> bytes:
        zstd = _zstd()
        try:
            params = zstd.get_frame_parameters(packed)
        except zstd.ZstdError as exc:
            raise DecompressError(f"zstd frame header: {exc}") from None
        if params.dict_id != dict_id and params.dict_id != 0:
            raise DecompressError(f"frame was compressed with dictionary {params.dict_id}, envelope says {dict_id}")
        size = params.content_size
        if size == zstd.CONTENTSIZE_UNKNOWN or size == zstd.CONTENTSIZE_ERROR:
            raise DecompressError("zstd frame does not declare its content size")
        if size > self.max_body_bytes:
            raise DecompressionBombError(f"zstd frame declares {size} bytes, limit {self.max_body_bytes}")
        try:
            body: bytes = dctx.decompress(packed)
        except zstd.ZstdError as exc:
            raise DecompressError(f"zstd: {exc}") from None
        if len(body) != size:
            raise DecompressError(f"zstd frame gave {len(body)} bytes, declared {size}")
        return body


def parse_json(body: bytes, loads: Callable[[bytes], Any] = json.loads) -> dict[str, Any]:
    """Parse a JSON body; MalformedJsonError unless it is UTF-8 JSON with an object at the top.

    ``loads`` may be a faster parser with the same contract (bytes in; ValueError or UnicodeDecodeError on
    bad input), such as ``orjson.loads`` in the cloud; this package itself needs only the standard library.
    """
    try:
        doc = loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise MalformedJsonError(f"body is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise MalformedJsonError("body is JSON but not an object")
    return doc


def _zstd() -> Any:
    if zstandard is None:
        raise CodecUnavailableError("zstandard is not installed")
    return zstandard
