"""decode(): from an MQTT message to a validated report, or the WireError whose reason goes to quarantine."""

from __future__ import annotations

import json
import os
import zlib

import orjson
import pytest
import zstandard
from porchlight_cloud.ingest.decode import LOADS, Incoming, decode
from porchlight_cloud.ingest.errors import NotAReportError
from porchlight_cloud.ingest.synthetic import Home
from porchlight_wire import (
    Decoder,
    DecompressError,
    DecompressionBombError,
    Encoder,
    EnvelopeError,
    MalformedJsonError,
    SchemaError,
    SizeLimitError,
    TopicError,
    UnknownDictionaryError,
    UnsupportedVersionError,
    json_bytes,
    topic_for,
)
from porchlight_wire.codec import ENVELOPE, MAGIC

ROOT = "porchlight/v1"
HOME = Home.typical(1)
DOC = HOME.report(1_767_225_600)
TOPIC = topic_for(HOME.home_id, HOME.gateway_id, "report", ROOT)


def _msg(payload: bytes, topic: str = TOPIC) -> Incoming:
    return Incoming(topic, payload, 0.0)


def _envelope(codec: int, body: bytes, dict_id: int = 0) -> bytes:
    return ENVELOPE.pack(MAGIC, 1, codec, dict_id) + body


@pytest.mark.parametrize("prefer", ["json", "zlib", "zstd"])
def test_a_valid_report_decodes_with_every_codec(prefer):
    report = decode(_msg(Encoder(prefer=prefer).encode(DOC)), Decoder(), ROOT)
    assert report.header["seq"] == 0 and report.doc["stations"]["mac"] == DOC["stations"]["mac"]


@pytest.mark.parametrize(("payload", "error"), [
    (_envelope(0, b'{"schema": '), MalformedJsonError),
    (_envelope(0, b"[1, 2]"), MalformedJsonError),
    (_envelope(0, b'{"schema": "1.0", "x": NaN}'), MalformedJsonError),     # agents never send NaN
    (_envelope(0, b'{"schema": "1.0", "x": "\xff\xfe"}'), MalformedJsonError),  # not UTF-8
    (Encoder().encode({**DOC, "schema": "9.0"}), UnsupportedVersionError),
    (Encoder(prefer="zstd").encode(DOC)[:-30], DecompressError),
    (_envelope(2, zstandard.ZstdCompressor(write_content_size=True).compress(b"\0" * (8 << 20))),
     DecompressionBombError),
    (_envelope(1, zlib.compress(b"\0" * (8 << 20))), DecompressionBombError),
    (_envelope(3, b"\x28\xb5\x2f\xfd" + b"\0" * 16, dict_id=777), UnknownDictionaryError),
    (_envelope(0, os.urandom(300 * 1024)), SizeLimitError),
    (b"XX" + os.urandom(20), EnvelopeError),
    (Encoder().encode({**DOC, "radios": {"ts": [1], "radio": [1]}}), SchemaError),
])
def test_a_bad_message_raises_the_error_whose_reason_is_quarantined(payload, error):
    with pytest.raises(error):
        decode(_msg(payload), Decoder(), ROOT)


def test_a_topic_naming_another_home_than_the_header_is_a_topic_mismatch():
    topic = topic_for("someone-else", HOME.gateway_id, "report", ROOT)
    with pytest.raises(TopicError) as caught:
        decode(_msg(Encoder().encode(DOC), topic), Decoder(), ROOT)
    assert caught.value.reason == "topic_mismatch"


@pytest.mark.parametrize("topic", [f"{ROOT}/h/g/status", "other/v1/h/g/report", "not/a/topic"])
def test_a_message_outside_our_report_topics_is_refused(topic):
    with pytest.raises((NotAReportError, TopicError)):
        decode(_msg(Encoder().encode(DOC), topic), Decoder(), ROOT)


def test_the_cloud_parses_json_with_orjson_into_the_same_document_as_the_standard_library():
    body = json_bytes(DOC)
    assert LOADS is orjson.loads
    assert LOADS(body) == json.loads(body)
