"""Home dictionaries: a gateway's own recent report on top of a fleet dictionary, named by an id of their own
range, opened only for the gateway they were issued to, and installed through a checked command."""

from __future__ import annotations

import base64
import zlib
from typing import Any

import pytest
from porchlight_wire import (
    Decoder,
    DictionaryStore,
    Encoder,
    ForeignDictionaryError,
    HomeDictionary,
    UnknownDictionaryError,
    parse_envelope,
)
from porchlight_wire.codec import CODEC_ZSTD_DICT, json_bytes
from porchlight_wire.commands import Command, parse_command
from porchlight_wire.errors import CommandError
from porchlight_wire.home_dictionary import HOME_DICT_MIN_ID, MAX_REFERENCE_BYTES, from_command_args

pytest.importorskip("zstandard")

GATEWAY = "gw-busy"
MACS = [f"3c:18:33:91:{i:02x}:5b" for i in range(40)]


def report(minute: int) -> dict[str, Any]:
    return {"header": {"gateway_id": GATEWAY, "end_ts": 1_700_000_000 + 300 * minute},
            "stations": {"mac": MACS, "signal_avg_dbm": [-40 - (i + minute) % 30 for i in range(40)]},
            "apps": {"mac": MACS * 2, "app": ["netflix", "dns"] * 40}}


@pytest.fixture
def store() -> DictionaryStore:
    return DictionaryStore.shipped()


@pytest.fixture
def home(store: DictionaryStore) -> HomeDictionary:
    base = store.newest()
    assert base is not None
    return HomeDictionary(HOME_DICT_MIN_ID + 1, base, GATEWAY, json_bytes(report(0)))


def encoder_for(store: DictionaryStore, home: HomeDictionary) -> Encoder:
    return Encoder(home.content(store.raw(home.base_id)), raw_dict_id=home.dict_id)


def test_a_report_compressed_with_its_home_dictionary_opens_in_the_cloud(store: DictionaryStore,
                                                                          home: HomeDictionary) -> None:
    message = encoder_for(store, home).encode(report(7))
    envelope, _ = parse_envelope(message)
    assert (envelope.codec, envelope.dict_id) == (CODEC_ZSTD_DICT, home.dict_id)
    cloud = DictionaryStore.shipped()
    cloud.add_home(home)
    assert Decoder(cloud).decode(message) == report(7)


def test_the_home_dictionary_is_much_smaller_than_the_fleet_one_for_the_same_home(
        store: DictionaryStore, home: HomeDictionary) -> None:
    fleet = Encoder(store.raw(home.base_id))
    own = encoder_for(store, home)
    assert len(own.encode(report(7))) < 0.6 * len(fleet.encode(report(7)))


def test_a_message_using_another_gateways_home_dictionary_is_refused(store: DictionaryStore,
                                                                      home: HomeDictionary) -> None:
    store.add_home(home)
    message = encoder_for(store, home).encode(report(1))
    with pytest.raises(ForeignDictionaryError, match="issued to gateway 'gw-busy'"):
        Decoder(store).body(message, "gw-other")
    assert Decoder(store).body(message, GATEWAY)[1] == json_bytes(report(1))


def test_an_unknown_home_dictionary_is_an_unknown_dictionary(store: DictionaryStore, home: HomeDictionary) -> None:
    message = encoder_for(store, home).encode(report(1))
    with pytest.raises(UnknownDictionaryError):
        Decoder(DictionaryStore.shipped()).body(message, GATEWAY)


def test_the_store_keeps_only_so_many_home_dictionaries_least_recently_used_out(store: DictionaryStore) -> None:
    small = DictionaryStore(home_capacity=2)
    small.add(store.raw(store.newest() or 0))
    base = small.newest() or 0
    for n in range(3):
        small.add_home(HomeDictionary(HOME_DICT_MIN_ID + n, base, f"gw-{n}", b"{}"))
    with pytest.raises(UnknownDictionaryError):
        small.home(HOME_DICT_MIN_ID)
    assert small.home(HOME_DICT_MIN_ID + 2).gateway_id == "gw-2"


def test_ids_say_the_kind_and_a_home_dictionary_needs_a_known_base() -> None:
    with pytest.raises(ValueError, match="outside"):
        HomeDictionary(202612041, 202612041, GATEWAY, b"{}")
    with pytest.raises(UnknownDictionaryError):
        DictionaryStore().add_home(HomeDictionary(HOME_DICT_MIN_ID, 12345, GATEWAY, b"{}"))


def test_set_dictionary_carries_the_reference_and_the_content_check(store: DictionaryStore,
                                                                     home: HomeDictionary) -> None:
    base = store.raw(home.base_id)
    args = home.command_args(base)
    parsed = parse_command(Command("c-1", "set_dictionary", args, 1).to_json())
    got, crc = from_command_args(parsed.args, GATEWAY)
    assert got == home and crc == home.crc32(base)
    assert HomeDictionary(home.dict_id, home.base_id, GATEWAY, home.reference).crc32(base + b"x") != crc


@pytest.mark.parametrize(("change", "fragment"), [
    ({"reference": "***"}, "not base64"),
    ({"reference": base64.b64encode(b"plain").decode()}, "not zlib"),
    ({"reference": base64.b64encode(zlib.compress(b"x" * (MAX_REFERENCE_BYTES + 1))).decode()}, "inflates beyond"),
    ({"reference": base64.b64encode(zlib.compress(b"{}")[:-3]).decode()}, "truncated"),
    ({"dict_id": 5}, "outside"),
    ({"crc32": -1}, "unsigned"),
    ({"base_id": HOME_DICT_MIN_ID}, "not a fleet dictionary"),
])
def test_a_malformed_set_dictionary_is_rejected_with_the_reason(home: HomeDictionary, change: dict[str, Any],
                                                                fragment: str) -> None:
    args = {**home.command_args(b"base"), **change}
    with pytest.raises(CommandError, match=fragment):
        parse_command(Command("c-1", "set_dictionary", args, 1).to_json())
