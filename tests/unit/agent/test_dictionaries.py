"""The agent's choice of dictionary: the cloud's home dictionary once installed (and after a restart), else
the newest shipped fleet dictionary; a home dictionary it cannot use is refused with the reason."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from porchlight_agent.dictionaries import HomeDictionaryRefused, home_encoder, make_encoder, store_home_dictionary
from porchlight_wire import Decoder, DictionaryStore, HomeDictionary
from porchlight_wire.codec import CODEC_ZLIB, parse_envelope
from porchlight_wire.home_dictionary import HOME_DICT_MIN_ID

pytest.importorskip("zstandard")
GATEWAY = "gw-7"


@pytest.fixture
def args() -> dict[str, Any]:
    store = DictionaryStore.shipped()
    base = store.newest() or 0
    home = HomeDictionary(HOME_DICT_MIN_ID + 9, base, GATEWAY, b'{"header":{"gateway_id":"gw-7"}}')
    return home.command_args(store.raw(base))


def test_an_installed_home_dictionary_is_used_and_survives_a_restart(tmp_path: Path, args: dict[str, Any]) -> None:
    assert make_encoder(tmp_path, GATEWAY, "auto", 19).dict_id == DictionaryStore.shipped().newest()
    encoder = home_encoder(args, GATEWAY, "auto", 19)
    store_home_dictionary(tmp_path, args)
    restarted = make_encoder(tmp_path, GATEWAY, "auto", 19)
    assert encoder.dict_id == restarted.dict_id == HOME_DICT_MIN_ID + 9
    message = restarted.encode({"header": {"gateway_id": GATEWAY}})
    assert parse_envelope(message)[0].dict_id == HOME_DICT_MIN_ID + 9


def test_a_report_from_an_installed_dictionary_opens_with_the_cloud_copy(args: dict[str, Any]) -> None:
    encoder = home_encoder(args, GATEWAY, "auto", 19)
    cloud = DictionaryStore.shipped()
    cloud.add_home(HomeDictionary(HOME_DICT_MIN_ID + 9, args["base_id"], GATEWAY, b'{"header":{"gateway_id":"gw-7"}}'))
    assert Decoder(cloud).body(encoder.encode({"header": {}}), GATEWAY)[1] == b'{"header":{}}'


@pytest.mark.parametrize(("codec", "change", "fragment"), [
    ("zlib", {}, "codec is set to 'zlib'"),
    ("auto", {"crc32": 1}, "content check failed"),
    ("auto", {"base_id": 7}, "base dictionary 7 is not on this gateway"),
    ("auto", {"reference": "%%"}, "not base64"),
])
def test_a_home_dictionary_the_agent_cannot_use_is_refused_with_the_reason(
        args: dict[str, Any], codec: str, change: dict[str, Any], fragment: str) -> None:
    with pytest.raises(HomeDictionaryRefused, match=fragment):
        home_encoder({**args, **change}, GATEWAY, codec, 19)


def test_a_stored_dictionary_that_no_longer_fits_falls_back_to_the_fleet_one(tmp_path: Path,
                                                                            args: dict[str, Any]) -> None:
    store_home_dictionary(tmp_path, {**args, "crc32": 1})
    assert make_encoder(tmp_path, GATEWAY, "auto", 19).dict_id == DictionaryStore.shipped().newest()
    assert make_encoder(tmp_path, GATEWAY, "zlib", 19).codec == CODEC_ZLIB
