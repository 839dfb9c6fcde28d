"""Wi-Fi collector and its iw / hostapd parsers, fed with captured-format output through a FixtureRunner."""

from __future__ import annotations

from pathlib import Path

import pytest
from porchlight_agent.aggregate import aggregate, inputs
from porchlight_agent.collectors.base import CollectorError, record_to_wire
from porchlight_agent.collectors.events import Event
from porchlight_agent.collectors.hostapd import parse_get_clients
from porchlight_agent.collectors.iw import (
    band_of,
    channel_of,
    parse_bitrate,
    parse_iw_dev,
    parse_station_dump,
    parse_survey_dump,
)
from porchlight_agent.collectors.wifi import RadioSample, StationSample, WifiCollector
from porchlight_agent.privacy import MacHasher
from porchlight_agent.sources import CommandFailed, FixtureRunner, Sources
from porchlight_wire.schema import EVENTS, RADIOS, STATIONS

FIX = Path(__file__).parents[2] / "fixtures" / "agent" / "wifi"
PHONE = "3c:22:fb:12:34:56"  # HE client on 5 GHz
LAPTOP = "a4:83:e7:0a:1b:2c"  # VHT client on 5 GHz, reassociates between samples
TABLET = "18:b4:30:aa:bb:01"  # HT client on 2.4 GHz, leaves between samples
PLUG = "50:02:91:77:88:99"  # legacy 802.11b IoT plug on 2.4 GHz
NEWCOMER = "6c:4a:85:10:20:30"  # joins 2.4 GHz between samples


def text(name: str) -> str:
    return (FIX / name).read_text()


def home_runner(moment: str = "t0") -> FixtureRunner:
    return FixtureRunner({
        ("iw", "dev"): FIX / "iw_dev.txt",
        ("iw", "dev", "phy1-ap0", "station", "dump"): FIX / f"station_dump_mt76_{moment}.txt",
        ("iw", "dev", "phy1-ap0", "survey", "dump"): FIX / f"survey_phy1_{moment}.txt",
        ("iw", "dev", "phy0-ap0", "station", "dump"): FIX / f"station_dump_ath9k_{moment}.txt",
        ("iw", "dev", "phy0-ap0", "survey", "dump"): FIX / f"survey_phy0_nobusy_{moment}.txt",
        ("ubus", "call", "hostapd.phy1-ap0", "get_clients"): FIX / "hostapd_phy1_get_clients.json",
        ("ubus", "call", "hostapd.phy0-ap0", "get_clients"): CommandFailed("ubus: Not found", "", 4),
    })


def advance(runner: FixtureRunner) -> None:
    for key, answer in list(runner.answers.items()):
        if isinstance(answer, Path) and answer.name.endswith("_t0.txt"):
            runner.set(key, answer.with_name(answer.name.replace("_t0", "_t1")))


def of(records: list, kind: type) -> list:
    return [r for r in records if isinstance(r, kind)]


def station(records: list, mac: str, link_id: int | None = None) -> StationSample:
    [found] = [r for r in of(records, StationSample) if r.mac == mac and r.link_id == link_id]
    return found


def radio(records: list, name: str, band: str | None = None) -> RadioSample:
    [found] = [r for r in of(records, RadioSample) if r.radio == name and (band is None or r.band == band)]
    return found


# ---- records match the wire schema ----

def test_samples_fold_into_records_with_exactly_the_schema_fields() -> None:
    for key, sample, section in (("radios", RadioSample(ts=1, radio="x"), RADIOS),
                                 ("stations", StationSample(ts=1, mac="m", radio="x"), STATIONS)):
        wire = record_to_wire(sample)
        assert set(wire) <= inputs(key)  # every field the collector samples is used by the report
        [record] = aggregate(key, [wire])
        assert tuple(record) == section.names
    assert tuple(record_to_wire(Event(ts=1, kind="connect"))) == EVENTS.names
    assert (RadioSample.SECTION, StationSample.SECTION, Event.SECTION) == ("radios", "stations", "events")


# ---- bitrate strings of every generation ----

@pytest.mark.parametrize(("line", "expected"), [
    ("144.4 MBit/s MCS 15 short GI", (144.4, 7, 2, 20, "ht")),
    ("300.0 MBit/s MCS 15 40MHz short GI", (300.0, 7, 2, 40, "ht")),
    ("150.0 MBit/s MCS 7 40MHz short GI", (150.0, 7, 1, 40, "ht")),
    ("866.7 MBit/s VHT-MCS 9 80MHz short GI VHT-NSS 2", (866.7, 9, 2, 80, "vht")),
    ("1733.3 MBit/s VHT-MCS 9 160MHz VHT-NSS 2", (1733.3, 9, 2, 160, "vht")),
    ("1200.9 MBit/s 80MHz HE-MCS 11 HE-NSS 2 HE-GI 0 HE-DCM 0", (1200.9, 11, 2, 80, "he")),
    ("HE-MCS 11 HE-NSS 2 HE-GI 0 HE-DCM 0", None),
    ("2882.4 MBit/s 320MHz EHT-MCS 13 EHT-NSS 2 EHT-GI 0", (2882.4, 13, 2, 320, "eht")),
    ("1.0 MBit/s", (1.0, None, None, None, "legacy")),
    ("", None),
])
def test_bitrate_parsing_covers_ht_vht_he_eht_and_legacy(line: str, expected: tuple | None) -> None:
    rate = parse_bitrate(line)
    if expected is None:
        assert rate is None
    else:
        assert rate is not None
        assert (rate.mbps, rate.mcs, rate.nss, rate.width_mhz, rate.mode) == expected


def test_band_and_channel_from_frequency() -> None:
    assert [band_of(f) for f in (2412, 5180, 5885, 5935, 6135, 60480)] == ["2.4", "5", "5", "6", "6", None]
    assert [channel_of(f) for f in (2412, 2484, 5180, 5825, 5935, 5955, 6135)] == [1, 14, 36, 165, 2, 1, 37]


# ---- iw dev ----

def test_interface_discovery_keeps_channel_width_and_type() -> None:
    by_name = {i.name: i for i in parse_iw_dev(text("iw_dev.txt"))}
    assert set(by_name) == {"phy1-sta0", "phy1-ap0", "phy0-ap0"}
    assert (by_name["phy1-ap0"].channel, by_name["phy1-ap0"].freq_mhz, by_name["phy1-ap0"].width_mhz) == (36, 5180, 80)
    assert by_name["phy0-ap0"].phy == "phy0"
    assert by_name["phy1-sta0"].type == "managed"


def test_mlo_interface_lists_each_link_with_its_channel() -> None:
    [iface] = parse_iw_dev(text("iw_dev_mlo.txt"))
    assert [(lk.link_id, lk.channel, lk.freq_mhz, lk.width_mhz) for lk in iface.links] == [
        (0, 36, 5180, 160), (1, 37, 6135, 320)]


# ---- station dump parsing ----

def test_station_dump_reads_counters_signal_rates_and_times() -> None:
    phone = next(e for e in parse_station_dump(text("station_dump_mt76_t0.txt")) if e.mac == PHONE)
    assert phone.interface == "phy1-ap0"
    assert (phone.signal_dbm, phone.signal_avg_dbm) == (-58, -57)
    assert (phone.tx_bytes, phone.rx_bytes, phone.tx_packets, phone.rx_packets) == (
        1203940221, 183649283, 853264, 141237)
    assert (phone.tx_retries, phone.tx_failed) == (12032, 14)
    assert (phone.inactive_ms, phone.connected_s, phone.expected_tput_mbps) == (1250, 3724, 553.466)
    assert phone.tx_rate is not None and phone.tx_rate.mode == "he"
    assert (phone.tx_duration_us, phone.rx_duration_us) == (1403225000, 223111000)


def test_station_dump_with_spaces_instead_of_tabs_parses_the_same() -> None:
    tablet, plug = parse_station_dump(text("station_dump_ath9k_t0.txt"))
    assert tablet.mac == TABLET and tablet.signal_dbm == -77 and tablet.tx_retries == 4022
    assert tablet.tx_rate is not None and (tablet.tx_rate.mcs, tablet.tx_rate.nss) == (7, 2)
    assert plug.mac == PLUG and plug.connected_s == 86000


def test_station_dump_with_missing_fields_gives_nulls() -> None:
    [ath10k] = parse_station_dump(text("station_dump_ath10k.txt"))
    assert ath10k.signal_dbm == -49
    assert ath10k.signal_avg_dbm is None
    assert ath10k.expected_tput_mbps is None
    assert ath10k.tx_duration_us is None
    assert ath10k.tx_rate is not None and (ath10k.tx_rate.nss, ath10k.tx_rate.width_mhz) == (4, 80)
    [ath11k] = parse_station_dump(text("station_dump_ath11k.txt"))
    assert ath11k.tx_rate is not None and (ath11k.tx_rate.mcs, ath11k.tx_rate.width_mhz) == (7, 160)
    assert ath11k.rx_rate is not None and ath11k.rx_rate.width_mhz == 80


def test_station_dump_with_mlo_links_reports_each_link() -> None:
    entries = parse_station_dump(text("station_dump_mlo.txt"))
    mlo = [e for e in entries if e.mac == "6e:11:22:33:44:55"]
    assert [(e.link_id, e.link_addr) for e in mlo] == [(0, "6e:11:22:33:44:56"), (1, "6e:11:22:33:44:57")]
    link0, link1 = mlo
    assert (link0.tx_bytes, link1.tx_bytes) == (49600000, 100000000)  # the links' own, not the aggregate
    assert (link0.signal_dbm, link1.signal_dbm) == (-41, -33)
    assert link1.tx_rate is not None and (link1.tx_rate.mcs, link1.tx_rate.width_mhz) == (13, 320)
    assert link0.connected_s == link1.connected_s == 188  # inherited from the MLD
    assert link0.tx_duration_us is None  # aggregate-only fields are not copied into a link


def test_vendor_station_dump_naming_the_mld_address_reports_links_under_it() -> None:
    entries = parse_station_dump(text("station_dump_mlo_vendor.txt"))
    assert [(e.mac, e.link_id, e.link_addr) for e in entries] == [
        ("6e:11:22:33:44:55", 0, "6e:11:22:33:44:56"), ("6e:11:22:33:44:55", 1, "6e:11:22:33:44:57")]


# ---- survey and hostapd parsing ----

def test_survey_dump_marks_the_channel_in_use() -> None:
    entries = parse_survey_dump(text("survey_phy1_t0.txt"))
    [in_use] = [e for e in entries if e.in_use]
    assert (in_use.freq_mhz, in_use.noise_dbm, in_use.active_ms, in_use.busy_ms, in_use.rx_ms, in_use.tx_ms) == (
        5180, -92, 27846551, 4018292, 3214521, 601223)
    assert [e.freq_mhz for e in entries] == [5180, 5200, 5220, 5240]


def test_hostapd_clients_give_capabilities_rates_airtime_and_signature() -> None:
    clients = parse_get_clients(text("hostapd_phy1_get_clients.json"))
    phone = clients[PHONE]
    assert (phone.ht, phone.vht, phone.he, phone.eht) == (True, True, True, False)
    assert (phone.tx_rate_kbps, phone.airtime_tx_us) == (1200900, 1403225000)
    assert phone.signature is not None and phone.signature.startswith("wifi4|probe:")
    assert clients[LAPTOP].signature is None
    assert parse_get_clients("not json") == {}


# ---- the collector ----

def test_first_sample_reports_levels_but_no_interval_counters() -> None:
    records = WifiCollector(Sources(runner=home_runner())).collect(1_700_000_000)
    phone = station(records, PHONE)
    assert (phone.radio, phone.band, phone.signal_dbm, phone.noise_dbm) == ("phy1-ap0", "5", -58, -92)
    assert (phone.tx_rate_mbps, phone.tx_mcs, phone.tx_nss, phone.tx_width_mhz) == (1200.9, 11, 2, 80)
    assert (phone.rx_mcs, phone.rx_nss, phone.rx_width_mhz) == (8, 2, 80)
    assert phone.standard == "ax"
    assert phone.tx_bytes is None and phone.airtime_tx_ms is None
    assert radio(records, "phy1-ap0").busy_pct is None
    assert not of(records, Event)


def test_managed_interfaces_are_not_sampled() -> None:
    records = WifiCollector(Sources(runner=home_runner())).collect(1)
    assert {r.radio for r in of(records, RadioSample)} == {"phy0-ap0", "phy1-ap0"}


def test_station_counters_are_deltas_over_the_interval() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    phone = station(collector.collect(1_700_000_060), PHONE)
    assert (phone.tx_bytes, phone.rx_bytes) == (60_000_000, 2_000_000)
    assert (phone.tx_packets, phone.rx_packets) == (45_000, 2_000)
    assert (phone.tx_retries, phone.tx_failed) == (500, 2)
    assert (phone.airtime_tx_ms, phone.airtime_rx_ms) == (12_000, 1_000)
    assert phone.connected_s == 3784


def test_counter_reset_after_reassociation_never_gives_negative_delta() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    laptop = station(collector.collect(1_700_000_060), LAPTOP)
    # connected time 812 s -> 21 s: the counters restarted, the interval's traffic is the new values.
    assert (laptop.tx_bytes, laptop.rx_bytes, laptop.rx_packets, laptop.tx_retries) == (600123, 20011, 301, 7)


def test_32_bit_packet_counter_wrap_counts_across_the_wrap() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(100)
    wrapped = text("station_dump_mt76_t0.txt").replace("rx packets:\t4294967000", "rx packets:\t500").replace(
        "connected time:\t812 seconds", "connected time:\t872 seconds")
    runner.set(("iw", "dev", "phy1-ap0", "station", "dump"), wrapped)
    laptop = station(collector.collect(160), LAPTOP)
    assert laptop.rx_packets == 500 + 2**32 - 4294967000


def test_station_that_joined_within_the_interval_reports_all_its_counters() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    newcomer = station(collector.collect(1_700_000_060), NEWCOMER)
    assert (newcomer.tx_bytes, newcomer.rx_packets) == (204800, 400)  # connected 25 s < 60 s interval


def test_connect_disconnect_and_reassociation_become_events() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    events = of(collector.collect(1_700_000_060), Event)
    assert {(e.kind, e.mac) for e in events} == {
        ("connect", NEWCOMER), ("disconnect", TABLET), ("disconnect", LAPTOP), ("connect", LAPTOP)}
    assert all(e.ts == 1_700_000_060 for e in events)


def test_roaming_between_radios_is_one_roam_event() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(100)
    runner.set(("iw", "dev", "phy0-ap0", "station", "dump"),
               text("station_dump_ath9k_t0.txt").replace(PLUG, PHONE))
    runner.set(("iw", "dev", "phy1-ap0", "station", "dump"),
               text("station_dump_mt76_t0.txt").split(f"Station {LAPTOP}")[0].replace(PHONE, PLUG))
    events = of(collector.collect(160), Event)
    assert {(e.kind, e.mac, e.detail) for e in events} >= {
        ("roam", PHONE, "phy1-ap0->phy0-ap0"), ("roam", PLUG, "phy0-ap0->phy1-ap0")}


def test_radio_busy_tx_rx_are_shares_of_the_survey_interval() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    five = radio(collector.collect(1_700_000_060), "phy1-ap0")
    assert (five.band, five.channel, five.width_mhz, five.noise_dbm) == ("5", 36, 80, -91)
    assert (five.busy_pct, five.rx_pct, five.tx_pct) == (25.0, 15.0, 5.0)
    assert five.stations == 2


def test_driver_without_busy_time_gives_null_busy() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(1_700_000_000)
    advance(runner)
    two = radio(collector.collect(1_700_000_060), "phy0-ap0")
    assert (two.band, two.channel, two.noise_dbm) == ("2.4", 6, -87)
    assert (two.busy_pct, two.tx_pct, two.rx_pct) == (None, None, None)


def test_survey_counter_reset_uses_the_new_reading_as_the_interval() -> None:
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(100)
    runner.set(("iw", "dev", "phy1-ap0", "survey", "dump"), (
        "Survey data from phy1-ap0\n\tfrequency:\t5180 MHz [in use]\n\tnoise:\t-92 dBm\n"
        "\tchannel active time:\t1000 ms\n\tchannel busy time:\t400 ms\n"))
    five = radio(collector.collect(160), "phy1-ap0")
    assert five.busy_pct == 40.0
    assert five.tx_pct is None  # the driver stopped printing transmit time


def test_hostapd_fills_standard_and_airtime_where_iw_lacks_them() -> None:
    dump = "\n".join(line for line in text("station_dump_mt76_t0.txt").splitlines() if "duration" not in line)
    runner = home_runner()
    runner.set(("iw", "dev", "phy1-ap0", "station", "dump"), dump)
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(100)
    laptop = station(collector.collect(160), LAPTOP)
    assert laptop.standard == "ac"
    assert laptop.airtime_tx_ms == 0  # hostapd's air time did not move between the two readings


def test_without_ubus_hostapd_is_not_asked_again() -> None:
    runner = home_runner()
    del runner.answers[("ubus", "call", "hostapd.phy1-ap0", "get_clients")]
    del runner.answers[("ubus", "call", "hostapd.phy0-ap0", "get_clients")]
    collector = WifiCollector(Sources(runner=runner))
    collector.collect(100)
    collector.collect(160)
    assert sum(1 for call in runner.calls if call[0] == "ubus") == 1
    assert station(collector.collect(220), PHONE).standard == "ax"  # from the HE rate alone


def test_mlo_station_gives_one_record_per_link_under_its_mld_address() -> None:
    runner = FixtureRunner({
        ("iw", "dev"): FIX / "iw_dev_mlo.txt",
        ("iw", "dev", "wlan0", "station", "dump"): FIX / "station_dump_mlo.txt",
        ("iw", "dev", "wlan0", "survey", "dump"): FIX / "survey_mlo.txt",
    })
    records = WifiCollector(Sources(runner=runner), use_hostapd=False).collect(1)
    link0 = station(records, "6e:11:22:33:44:55", 0)
    link1 = station(records, "6e:11:22:33:44:55", 1)
    assert (link0.band, link1.band) == ("5", "6")
    assert (link0.noise_dbm, link1.noise_dbm) == (-95, -97)
    assert (link1.tx_mcs, link1.tx_nss, link1.tx_width_mhz, link1.standard) == (13, 2, 320, "be")
    assert {(r.band, r.channel, r.width_mhz, r.stations) for r in of(records, RadioSample)} == {
        ("5", 36, 160, 2), ("6", 37, 320, 1)}


def test_configured_interfaces_are_read_with_iw_info() -> None:
    runner = home_runner()
    runner.set(("iw", "dev", "phy1-ap0", "info"), FIX / "iw_info_phy1.txt")
    records = WifiCollector(Sources(runner=runner), interfaces=["phy1-ap0"]).collect(1)
    assert ("iw", "dev") not in runner.calls
    assert {r.radio for r in of(records, RadioSample)} == {"phy1-ap0"}
    assert radio(records, "phy1-ap0").channel == 36
    assert parse_iw_dev(text("iw_info_phy1.txt"))[0].phy == "phy1"


def test_hashed_macs_in_stations_and_events() -> None:
    key = b"home-key-0123456789abcdef"
    runner = home_runner()
    collector = WifiCollector(Sources(runner=runner), mac_key=key)
    records = collector.collect(1)
    hashed = MacHasher(key)(PHONE)
    assert hashed.startswith("h:") and len(hashed) == 18
    assert station(records, hashed).signal_dbm == -58
    assert PHONE in collector.associated  # the inventory still joins on the real MAC
    assert collector.flags == ["mac_hashed"]
    assert WifiCollector(Sources(runner=runner)).flags == []
    advance(runner)
    assert all(e.mac and e.mac.startswith("h:") for e in of(collector.collect(61), Event))


def test_missing_iw_is_a_collector_error() -> None:
    with pytest.raises(CollectorError):
        WifiCollector(Sources(runner=FixtureRunner())).collect(1)


def test_one_failing_interface_is_skipped_and_counted() -> None:
    runner = home_runner()
    runner.set(("iw", "dev", "phy0-ap0", "station", "dump"), CommandFailed("iw: No such device", "", 237))
    collector = WifiCollector(Sources(runner=runner))
    records = collector.collect(1)
    assert {r.radio for r in of(records, RadioSample)} == {"phy1-ap0"}
    assert collector.skipped == 1
