"""The wire codec: every codec round-trips through the cloud's Decoder, and hostile messages are refused."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any

import pytest
import zstandard
from porchlight_wire import codec
from porchlight_wire.codec import (
    CODEC_JSON,
    CODEC_ZLIB,
    CODEC_ZSTD,
    CODEC_ZSTD_DICT,
    ENVELOPE,
    MAGIC,
    Decoder,
    DictionaryStore,
    Encoder,
    dictionary_id,
    parse_envelope,
)
from porchlight_wire.errors import (
    DecompressError,
    DecompressionBombError,
    EnvelopeError,
    MalformedJsonError,
    SizeLimitError,
    UnknownDictionaryError,
)


def report(seq: int = 0, stations: int = 6) -> dict[str, Any]:
    macs = [f"aa:bb:cc:00:00:{i:02x}" for i in range(stations)]
    return {
        "schema": "1.0",
        "header": {"home_id": "home-1", "gateway_id": "gw-1", "model": "m", "firmware": "f",
                   "agent_version": "0.1.0", "boot_id": "0123456789abcdef", "seq": seq, "start_ts": 1700000100,
                   "end_ts": 1700000400, "sample_interval_s": 60},
        "stations": {"ts": [1700000160 + 60 * (i % 5) for i in range(stations)], "mac": macs,
                     "radio": ["phy0-ap0"] * stations, "signal_dbm": [-50 - i - seq % 7 for i in range(stations)]},
    }


@pytest.fixture(scope="module")
def trained() -> bytes:
    samples = [json.dumps(report(seq, 4 + seq % 9), separators=(",", ":")).encode() for seq in range(400)]
    return zstandard.train_dictionary(4096, samples, dict_id=424242).as_bytes()


def envelope(codec_id: int, body: bytes, dict_id: int = 0) -> bytes:
    return ENVELOPE.pack(MAGIC, 1, codec_id, dict_id) + body


@pytest.mark.parametrize("prefer", ["json", "zlib", "zstd"])
def test_every_codec_round_trips(prefer: str) -> None:
    message = Encoder(prefer=prefer).encode(report())
    assert Decoder(DictionaryStore()).decode(message) == report()


def test_the_envelope_names_the_codec_and_dictionary() -> None:
    env, _ = parse_envelope(Encoder(prefer="zlib").encode(report()))
    assert (env.codec, env.dict_id, env.codec_name) == (CODEC_ZLIB, 0, "zlib")


def test_an_agent_without_zstandard_falls_back_to_zlib_and_the_cloud_decodes_it(
    monkeypatch: pytest.MonkeyPatch, trained: bytes
) -> None:
    monkeypatch.setattr(codec, "zstandard", None)
    encoder = Encoder(trained)  # a dictionary is useless without zstandard: zlib it is
    assert encoder.codec == CODEC_ZLIB and encoder.dict_id == 0
    message = encoder.encode(report())
    monkeypatch.undo()
    assert Decoder(DictionaryStore()).decode(message) == report()


def test_dictionary_round_trip(trained: bytes) -> None:
    encoder = Encoder(trained)
    assert (encoder.codec, encoder.dict_id) == (CODEC_ZSTD_DICT, 424242)
    store = DictionaryStore()
    assert store.add(trained) == 424242
    message = encoder.encode(report(3))
    assert Decoder(store).decode(message) == report(3)
    plain = Encoder(prefer="zstd").encode(report(3))
    assert len(message) < len(plain)  # the point of the dictionary


def test_a_message_compressed_with_an_unknown_dictionary_is_refused(trained: bytes) -> None:
    message = Encoder(trained).encode(report())
    with pytest.raises(UnknownDictionaryError) as info:
        Decoder(DictionaryStore()).decode(message)
    assert info.value.reason == "unknown_dictionary"


def test_a_frame_whose_dictionary_differs_from_the_envelope_is_corrupt(trained: bytes) -> None:
    store = DictionaryStore()
    store.add(trained)
    frame = Encoder(trained).encode(report())[ENVELOPE.size:]
    other = zstandard.train_dictionary(4096, [json.dumps(report(s)).encode() for s in range(300)],
                                       dict_id=7).as_bytes()
    store.add(other)
    with pytest.raises(DecompressError, match="dictionary"):
        Decoder(store).decode(envelope(CODEC_ZSTD_DICT, frame, 7))


def test_a_zstd_bomb_is_refused_before_it_is_inflated() -> None:
    bomb = zstandard.ZstdCompressor(level=3, write_content_size=True).compress(b"\0" * (64 * 1024 * 1024))
    message = envelope(CODEC_ZSTD, bomb)
    assert len(message) < 64 * 1024
    with pytest.raises(DecompressionBombError) as info:
        Decoder(DictionaryStore()).decode(message)
    assert info.value.reason == "decompression_bomb"


def test_a_zstd_frame_that_hides_its_size_is_refused() -> None:
    hidden = zstandard.ZstdCompressor(write_content_size=False).compress(b"{}" * 10)
    with pytest.raises(DecompressError, match="content size"):
        Decoder(DictionaryStore()).decode(envelope(CODEC_ZSTD, hidden))


def test_a_zlib_bomb_is_refused() -> None:
    bomb = zlib.compress(b" " * (64 * 1024 * 1024), 9)
    with pytest.raises(DecompressionBombError):
        Decoder(DictionaryStore()).decode(envelope(CODEC_ZLIB, bomb))


@pytest.mark.parametrize("prefer", ["zlib", "zstd"])
def test_a_truncated_frame_is_a_decompress_error(prefer: str) -> None:
    message = Encoder(prefer=prefer).encode(report(stations=30))
    with pytest.raises(DecompressError) as info:
        Decoder(DictionaryStore()).decode(message[:-7])
    assert info.value.reason == "truncated_or_corrupt"


def test_a_corrupt_zlib_stream_is_a_decompress_error() -> None:
    with pytest.raises(DecompressError):
        Decoder(DictionaryStore()).decode(envelope(CODEC_ZLIB, b"\x78\x9c not deflate"))


def test_trailing_bytes_after_a_zlib_stream_are_refused() -> None:
    with pytest.raises(DecompressError, match="trailing"):
        Decoder(DictionaryStore()).decode(envelope(CODEC_ZLIB, zlib.compress(b"{}") + b"extra"))


def test_an_oversized_message_is_refused_before_anything_else() -> None:
    decoder = Decoder(DictionaryStore(), max_message_bytes=1024)
    with pytest.raises(SizeLimitError) as info:
        decoder.decode(envelope(CODEC_JSON, b" " * 2000))
    assert info.value.reason == "oversized"


def test_an_uncompressed_body_over_the_body_limit_is_refused() -> None:
    decoder = Decoder(DictionaryStore(), max_body_bytes=100)
    with pytest.raises(DecompressionBombError):
        decoder.decode(envelope(CODEC_JSON, b"{" + b" " * 200 + b"}"))


@pytest.mark.parametrize(("message", "fragment"), [
    (b"PL", "shorter than the envelope"),
    (b"XX\x01\x00\x00\x00\x00\x00{}", "magic"),
    (b"PL\x02\x00\x00\x00\x00\x00{}", "version"),
    (b"PL\x01\x09\x00\x00\x00\x00{}", "unknown codec"),
    (b"PL\x01\x03\x00\x00\x00\x00{}", "dictionary id"),
    (b"PL\x01\x02\x00\x00\x00\x05{}", "dictionary id"),
])
def test_a_message_that_is_not_ours_is_an_envelope_error(message: bytes, fragment: str) -> None:
    with pytest.raises(EnvelopeError, match=fragment):
        Decoder(DictionaryStore()).decode(message)


def test_a_body_that_is_not_a_json_object_is_malformed() -> None:
    with pytest.raises(MalformedJsonError):
        Decoder(DictionaryStore()).decode(envelope(CODEC_JSON, b"[1, 2]"))
    with pytest.raises(MalformedJsonError):
        Decoder(DictionaryStore()).decode(envelope(CODEC_JSON, b"\xff\xfe"))


def test_a_dictionary_id_comes_from_the_dictionary_header(trained: bytes) -> None:
    assert dictionary_id(trained) == struct.unpack_from("<I", trained, 4)[0] == 424242
    with pytest.raises(EnvelopeError):
        dictionary_id(b"not a dictionary")


def test_the_shipped_dictionaries_load_and_the_newest_compresses_a_report() -> None:
    store = DictionaryStore.shipped()
    newest = store.newest()
    assert newest is not None, "porchlight_wire/dictionaries/ should ship a trained dictionary"
    raw = store.raw(newest)
    assert 4 * 1024 <= len(raw) <= 64 * 1024
    message = Encoder(raw).encode(report())
    assert Decoder(store).decode(message) == report()


def test_a_message_compressed_with_an_older_shipped_dictionary_still_decodes() -> None:
    store = DictionaryStore.shipped()
    older = [i for i in store.ids() if i != store.newest()]
    assert 202611231 in older, "the 1.0 agents' dictionary must stay decodable"
    for dict_id in older:
        message = Encoder(store.raw(dict_id), zstd_level=9).encode(report())
        assert message[4:8] == struct.pack(">I", dict_id)
        assert Decoder(store).decode(message) == report()


def test_the_encoder_refuses_an_unknown_preference() -> None:
    with pytest.raises(ValueError):
        Encoder(prefer="brotli")
