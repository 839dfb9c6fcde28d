"""Folding the samples of a reporting interval into one record per radio, station link, (device, app),
probe target and one for health, as schema 1.0 defines each field."""

from __future__ import annotations

from typing import Any

import pytest
from porchlight_agent.aggregate import ENTITY_KEYS, RULES, SectionFold, aggregate, inputs
from porchlight_wire.schema import SECTIONS_BY_KEY

T0 = 1_700_000_100
PHONE, LAPTOP = "3c:22:fb:12:34:56", "a4:83:e7:0a:1b:2c"


def station(k: int, **values: Any) -> dict[str, Any]:
    """The phone's sample k (1-5) on the 5 GHz radio, with the given values."""
    return {"ts": T0 + 60 * k, "mac": PHONE, "radio": "phy1-ap0", "band": "5", "link_id": None, **values}


def app(k: int, **values: Any) -> dict[str, Any]:
    return {"ts": T0 + 60 * k, "mac": PHONE, "app": "netflix", **values}


def health(k: int, **values: Any) -> dict[str, Any]:
    return {"ts": T0 + 60 * k, **values}


# ---- the rules cover the schema ----

@pytest.mark.parametrize("key", sorted(RULES))
def test_every_schema_field_of_an_aggregated_section_has_a_rule_or_names_the_entity(key: str) -> None:
    covered = set(RULES[key]) | set(ENTITY_KEYS[key])
    assert covered == set(SECTIONS_BY_KEY[key].names)
    assert "ts" not in covered


@pytest.mark.parametrize("key", sorted(RULES))
def test_an_aggregated_record_has_exactly_the_schema_fields_in_schema_order(key: str) -> None:
    sample = dict.fromkeys(inputs(key), None) | {"ts": T0}
    [record] = aggregate(key, [sample])
    assert tuple(record) == SECTIONS_BY_KEY[key].names


# ---- counters, levels, last values, extremes ----

def test_counters_are_summed_over_the_samples_of_the_report() -> None:
    [record] = aggregate("stations", [station(k, tx_bytes=1_000 * k, rx_packets=k, tx_retries=2) for k in range(1, 6)])
    assert (record["tx_bytes"], record["rx_packets"], record["tx_retries"]) == (15_000, 15, 10)


def test_a_counter_without_a_baseline_is_left_out_of_the_sum_and_null_when_no_sample_had_it() -> None:
    rows = [station(1, tx_bytes=None), station(2, tx_bytes=500), station(3, tx_bytes=700)]
    [record] = aggregate("stations", rows)
    assert record["tx_bytes"] == 1_200
    assert record["rx_bytes"] is None


def test_levels_are_the_mean_of_the_samples_that_had_a_value() -> None:
    rates = [433.3, 866.7, 866.7, None, 650.0]
    [record] = aggregate("stations", [station(k, tx_rate_mbps=r, expected_tput_mbps=300.0)
                                      for k, r in enumerate(rates, 1)])
    assert record["tx_rate_mbps"] == pytest.approx((433.3 + 866.7 + 866.7 + 650.0) / 4)
    assert record["expected_tput_mbps"] == 300.0


def test_signal_min_is_the_weakest_sample() -> None:
    signals = [-58, -61, -77, -60, -59]
    [record] = aggregate("stations", [station(k, signal_dbm=s) for k, s in enumerate(signals, 1)])
    assert record["signal_min_dbm"] == -77
    assert record["signal_dbm"] == -59  # the last sample


def test_mean_signal_is_a_whole_dbm_from_the_drivers_average_or_else_the_signal() -> None:
    rows = [station(1, signal_dbm=-60, signal_avg_dbm=-61), station(2, signal_dbm=-64, signal_avg_dbm=None),
            station(3, signal_dbm=-62, signal_avg_dbm=-62)]
    [record] = aggregate("stations", rows)
    assert record["signal_avg_dbm"] == -62  # (-61 - 64 - 62) / 3 = -62.33, an int as the schema says


def test_tx_rate_min_is_the_lowest_sampled_rate() -> None:
    [record] = aggregate("stations", [station(k, tx_rate_mbps=r) for k, r in enumerate([866.7, 58.5, 433.3], 1)])
    assert record["tx_rate_min_mbps"] == 58.5


def test_rate_details_uptime_and_connection_time_are_the_last_samples() -> None:
    rows = [station(1, tx_mcs=9, tx_nss=2, connected_s=600, inactive_ms=10, standard="ax"),
            station(2, tx_mcs=4, tx_nss=1, connected_s=660, inactive_ms=2500, standard="ax")]
    [record] = aggregate("stations", rows)
    assert (record["tx_mcs"], record["tx_nss"], record["connected_s"], record["inactive_ms"]) == (4, 1, 660, 2500)


def test_a_station_seen_in_two_of_five_samples_reports_samples_2() -> None:
    rows = [station(2, tx_bytes=10), station(4, tx_bytes=20),
            {**station(1), "mac": LAPTOP}, {**station(2), "mac": LAPTOP}, {**station(3), "mac": LAPTOP},
            {**station(4), "mac": LAPTOP}, {**station(5), "mac": LAPTOP}]
    records = {r["mac"]: r for r in aggregate("stations", rows)}
    assert records[PHONE]["samples"] == 2 and records[PHONE]["tx_bytes"] == 30
    assert records[LAPTOP]["samples"] == 5


def test_a_station_that_roamed_is_one_record_on_the_radio_it_ended_on() -> None:
    rows = [station(1, tx_bytes=100), station(2, tx_bytes=50, radio="phy0-ap0", band="2.4")]
    [record] = aggregate("stations", rows)
    assert (record["radio"], record["band"], record["tx_bytes"], record["samples"]) == ("phy0-ap0", "2.4", 150, 2)


def test_each_link_of_a_multi_link_station_is_its_own_record() -> None:
    rows = [station(1, link_id=0, band="5", tx_bytes=1), station(1, link_id=1, band="6", tx_bytes=2)]
    records = aggregate("stations", rows)
    assert sorted((r["link_id"], r["band"], r["tx_bytes"]) for r in records) == [(0, "5", 1), (1, "6", 2)]


def test_radio_busy_is_the_mean_and_busy_max_the_busiest_sample() -> None:
    busy = [12.0, 18.5, 71.0, 15.5, 13.0]
    rows = [{"ts": T0 + 60 * k, "radio": "phy0-ap0", "band": "2.4", "channel": 6 if k < 5 else 11,
             "busy_pct": b, "stations": k % 3} for k, b in enumerate(busy, 1)]
    [record] = aggregate("radios", rows)
    assert record["busy_pct"] == pytest.approx(26.0)
    assert (record["busy_max_pct"], record["channel"], record["stations"], record["samples"]) == (71.0, 11, 2, 5)


def test_radio_noise_is_a_whole_dbm_mean() -> None:
    rows = [{"ts": T0, "radio": "r", "band": "5", "noise_dbm": n} for n in (-92, -93, -93)]
    assert aggregate("radios", rows)[0]["noise_dbm"] == -93


# ---- apps ----

def test_dests_counts_distinct_addresses_over_the_interval_not_per_sample() -> None:
    rows = [app(1, dests=2, remotes=frozenset({"45.57.10.20", "45.57.10.21"})),
            app(2, dests=2, remotes=frozenset({"45.57.10.20", "45.57.10.21"})),
            app(3, dests=1, remotes=frozenset({"45.57.12.1"}))]
    [record] = aggregate("apps", rows)
    assert record["dests"] == 3


def test_flows_counts_distinct_flows_over_the_interval_and_new_flows_are_summed() -> None:
    rows = [app(1, flows=2, new_flows=2, flow_ids=frozenset({1, 2})),
            app(2, flows=2, new_flows=1, flow_ids=frozenset({2, 3})),
            app(3, flows=1, new_flows=0, flow_ids=frozenset({3}))]
    [record] = aggregate("apps", rows)
    assert (record["flows"], record["new_flows"]) == (3, 3)


def test_active_samples_counts_the_samples_in_which_the_app_moved_traffic() -> None:
    rows = [app(1, flows=1, bytes_down=5_000), app(2, flows=0, new_flows=1, bytes_down=0),
            app(4, flows=2, bytes_down=9_000)]
    [record] = aggregate("apps", rows)
    assert (record["active_samples"], record["bytes_down"]) == (2, 14_000)


def test_without_flow_identities_the_distinct_counts_fall_back_to_the_busiest_sample() -> None:
    [record] = aggregate("apps", [app(1, flows=3, dests=2), app(2, flows=5, dests=1)])
    assert (record["flows"], record["dests"]) == (5, 2)


def test_past_the_distinct_limit_identities_are_counted_not_stored() -> None:
    rows = [app(1, flow_ids=frozenset(range(0, 6))), app(2, flow_ids=frozenset(range(3, 9)))]
    [exact] = aggregate("apps", rows)
    [bounded] = aggregate("apps", rows, distinct_limit=4)
    assert exact["flows"] == 9
    assert exact["flows"] <= bounded["flows"] <= 12  # an upper bound, never more than the per-sample sum


def test_every_device_and_app_pair_is_its_own_record() -> None:
    rows = [app(1, bytes_up=1), {**app(1, bytes_up=2), "app": "web"}, {**app(2, bytes_up=4), "mac": LAPTOP}]
    assert sorted((r["mac"], r["app"], r["bytes_up"]) for r in aggregate("apps", rows)) == [
        (PHONE, "netflix", 1), (PHONE, "web", 2), (LAPTOP, "netflix", 4)]


# ---- probes ----

def test_probe_rtt_is_the_mean_over_every_answered_probe_of_the_interval() -> None:
    rows = [{"ts": T0 + 60, "kind": "icmp", "target": "first_hop", "sent": 5, "lost": 0, "rtt_ms": 1.0,
             "rtt_min_ms": 0.8, "rtt_max_ms": 1.4, "jitter_ms": 0.2},
            {"ts": T0 + 120, "kind": "icmp", "target": "first_hop", "sent": 5, "lost": 4, "rtt_ms": 6.0,
             "rtt_min_ms": 6.0, "rtt_max_ms": 6.0, "jitter_ms": None},
            {"ts": T0 + 180, "kind": "icmp", "target": "first_hop", "sent": 5, "lost": 5}]
    [record] = aggregate("probes", rows)
    assert (record["sent"], record["lost"]) == (15, 9)
    assert record["rtt_ms"] == pytest.approx((5 * 1.0 + 1 * 6.0) / 6)
    assert (record["rtt_min_ms"], record["rtt_max_ms"], record["jitter_ms"]) == (0.8, 6.0, 0.2)


# ---- health ----

def test_health_keeps_the_worst_memory_and_cpu_and_the_last_uptime() -> None:
    rows = [health(k, uptime_s=1_000 + 60 * k, cpu_pct=c, mem_used_pct=m, load1=0.5, agent_rss_kb=r,
                   conntrack_entries=n, wan_rx_bytes=1_000, agent_cpu_ms=40)
            for k, c, m, r, n in ((1, 10.0, 31.0, 13_000, 120), (2, 30.0, 35.5, 13_400, 400),
                                  (3, 20.0, 33.0, 13_200, 90))]
    [record] = aggregate("health", rows)
    assert (record["samples"], record["uptime_s"]) == (3, 1_180)
    assert (record["cpu_pct"], record["cpu_max_pct"], record["mem_used_pct"]) == (20.0, 30.0, 35.5)
    assert (record["agent_rss_kb"], record["conntrack_entries"], record["load1"]) == (13_400, 400, 0.5)
    assert (record["wan_rx_bytes"], record["agent_cpu_ms"]) == (3_000, 120)


def test_wan_down_time_counts_the_samples_that_saw_the_link_down() -> None:
    rows = [health(1, wan_up=True), health(2, wan_up=False, wan_flaps=1), health(3, wan_up=False),
            health(4, wan_up=True), health(5, wan_up=True)]
    [record] = aggregate("health", rows)
    assert (record["wan_down_s"], record["wan_flaps"], record["wan_up"]) == (120, 1, True)


def test_a_link_down_at_the_first_sample_counts_one_sample_interval() -> None:
    [record] = aggregate("health", [health(1, wan_up=False)], sample_interval_s=30)
    assert record["wan_down_s"] == 30
    [up] = aggregate("health", [health(1, wan_up=True)])
    assert up["wan_down_s"] == 0


def test_one_sample_is_a_report_of_samples_1_with_its_own_values() -> None:
    [record] = aggregate("health", [health(0, uptime_s=5, mem_used_pct=40.0, cpu_pct=None)])
    assert (record["samples"], record["uptime_s"], record["mem_used_pct"], record["cpu_pct"]) == (1, 5, 40.0, None)


def test_a_fold_keeps_one_accumulator_per_entity_however_many_samples() -> None:
    fold = SectionFold("stations")
    for k in range(1_000):
        fold.add(station(k, tx_bytes=1))
    assert len(fold) == 1
    assert fold.records()[0]["tx_bytes"] == 1_000


def test_a_section_that_is_not_aggregated_is_refused() -> None:
    with pytest.raises(KeyError):
        SectionFold("events")
