"""Per-sample records -> one record per entity per report, as the wire schema (1.0) carries them.

The simulator samples like the agent (every ``sample_interval_s``) and summarises like the agent: levels are
means over the samples in which the entity was present (signal, rates, busy time, CPU, round trips), with
the extremes the schema names (``signal_min_dbm``, ``busy_max_pct``, ``cpu_max_pct`` ...); counters are sums;
"at the last sample" fields come from the last sample; ``samples`` / ``active_samples`` count samples. Output
records have their keys in schema order, so ``columnar.columnar_report`` equals ``build_report``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

Record = dict[str, Any]


def _group(records: Iterable[Record], *keys: str) -> dict[Any, list[Record]]:
    groups: dict[Any, list[Record]] = {}
    if len(keys) == 1:
        k = keys[0]
        for r in records:
            groups.setdefault(r[k], []).append(r)
    else:
        for r in records:
            groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    return groups


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def radios(records: list[Record]) -> list[Record]:
    """One ``radios`` record per radio."""
    out = []
    for rs in _group(records, "radio").values():
        last = rs[-1]
        busy = [r["busy_pct"] for r in rs]
        out.append({
            "radio": last["radio"], "band": last["band"], "samples": len(rs), "channel": last["channel"],
            "width_mhz": last["width_mhz"], "noise_dbm": round(_mean([r["noise_dbm"] for r in rs])),
            "busy_pct": round(_mean(busy), 1), "busy_max_pct": max(busy),
            "tx_pct": round(_mean([r["tx_pct"] for r in rs]), 1), "rx_pct": round(_mean([r["rx_pct"] for r in rs]), 1),
            "stations": max(r["stations"] for r in rs),
        })
    return out


def stations(records: list[Record]) -> list[Record]:
    """One ``stations`` record per station."""
    return [_one_station(rs[0]) if len(rs) == 1 else _station(rs) for rs in _group(records, "mac").values()]


def _station(rs: list[Record]) -> Record:
    last = rs[-1]
    signal = [r["signal_dbm"] for r in rs]
    tx_rate = [r["tx_rate_mbps"] for r in rs]
    return {
        "mac": last["mac"], "radio": last["radio"], "band": last["band"], "samples": len(rs),
        "signal_dbm": last["signal_dbm"], "signal_avg_dbm": round(_mean(signal)), "signal_min_dbm": min(signal),
        "noise_dbm": round(_mean([r["noise_dbm"] for r in rs])),
        "tx_rate_mbps": round(_mean(tx_rate), 1), "tx_rate_min_mbps": min(tx_rate),
        "rx_rate_mbps": round(_mean([r["rx_rate_mbps"] for r in rs]), 1),
        "tx_mcs": last["tx_mcs"], "tx_nss": last["tx_nss"], "tx_width_mhz": last["tx_width_mhz"],
        "rx_mcs": last["rx_mcs"], "rx_nss": last["rx_nss"], "rx_width_mhz": last["rx_width_mhz"],
        "tx_retries": sum(r["tx_retries"] for r in rs), "tx_failed": sum(r["tx_failed"] for r in rs),
        "tx_bytes": sum(r["tx_bytes"] for r in rs), "rx_bytes": sum(r["rx_bytes"] for r in rs),
        "tx_packets": sum(r["tx_packets"] for r in rs), "rx_packets": sum(r["rx_packets"] for r in rs),
        "inactive_ms": last["inactive_ms"], "connected_s": last["connected_s"],
        "expected_tput_mbps": round(_mean([r["expected_tput_mbps"] for r in rs]), 1),
        "airtime_tx_ms": sum(r["airtime_tx_ms"] for r in rs), "airtime_rx_ms": sum(r["airtime_rx_ms"] for r in rs),
        "standard": last["standard"],
    }


def _one_station(r: Record) -> Record:
    """``stations`` of a single sample (hourly history has one sample per report): what the general case
    gives for n = 1, without its per-field lists (means of one value are the value, as a float where rounded)."""
    return {
        "mac": r["mac"], "radio": r["radio"], "band": r["band"], "samples": 1,
        "signal_dbm": r["signal_dbm"], "signal_avg_dbm": round(float(r["signal_dbm"])),
        "signal_min_dbm": r["signal_dbm"], "noise_dbm": round(float(r["noise_dbm"])),
        "tx_rate_mbps": round(float(r["tx_rate_mbps"]), 1), "tx_rate_min_mbps": r["tx_rate_mbps"],
        "rx_rate_mbps": round(float(r["rx_rate_mbps"]), 1),
        "tx_mcs": r["tx_mcs"], "tx_nss": r["tx_nss"], "tx_width_mhz": r["tx_width_mhz"],
        "rx_mcs": r["rx_mcs"], "rx_nss": r["rx_nss"], "rx_width_mhz": r["rx_width_mhz"],
        "tx_retries": r["tx_retries"], "tx_failed": r["tx_failed"], "tx_bytes": r["tx_bytes"],
        "rx_bytes": r["rx_bytes"], "tx_packets": r["tx_packets"], "rx_packets": r["rx_packets"],
        "inactive_ms": r["inactive_ms"], "connected_s": r["connected_s"],
        "expected_tput_mbps": round(float(r["expected_tput_mbps"]), 1),
        "airtime_tx_ms": r["airtime_tx_ms"], "airtime_rx_ms": r["airtime_rx_ms"], "standard": r["standard"],
    }


def apps(records: list[Record]) -> list[Record]:
    """One ``apps`` record per (device, application).

    Distinct flows over the interval are the busiest sample's flows plus the flows that started in the
    others; distinct destinations grow with the share of fresh flows (a browser keeps talking to the same
    hosts, a spambot finds new ones every minute).
    """
    return [_one_app(rs[0]) if len(rs) == 1 else _app(rs) for rs in _group(records, "mac", "app").values()]


def _app(rs: list[Record]) -> Record:
    flows = [r["flows"] for r in rs]
    dests = [r["dests"] for r in rs]
    new = sum(r["new_flows"] for r in rs)
    total_flows = sum(flows)
    top = max(flows)
    fresh = min(1.0, new / total_flows) if total_flows else 0.0
    top_dests = max(dests)
    return {
        "mac": rs[0]["mac"], "app": rs[0]["app"],
        "bytes_up": sum(r["bytes_up"] for r in rs), "bytes_down": sum(r["bytes_down"] for r in rs),
        "packets_up": sum(r["packets_up"] for r in rs), "packets_down": sum(r["packets_down"] for r in rs),
        "flows": min(total_flows, top + new), "new_flows": new,
        "dests": top_dests + round((sum(dests) - top_dests) * fresh), "active_samples": len(rs),
    }


def _one_app(r: Record) -> Record:
    """``apps`` of a single sample: flows, new flows and destinations are that sample's."""
    return {"mac": r["mac"], "app": r["app"], "bytes_up": r["bytes_up"], "bytes_down": r["bytes_down"],
            "packets_up": r["packets_up"], "packets_down": r["packets_down"], "flows": r["flows"],
            "new_flows": r["new_flows"], "dests": r["dests"], "active_samples": 1}


def probes(records: list[Record]) -> list[Record]:
    """One ``probes`` record per target: probes summed, round trips weighted by the answers behind them."""
    out = []
    for target, rs in _group(records, "target").items():
        sent = sum(r["sent"] for r in rs)
        lost = sum(r["lost"] for r in rs)
        answered = [(r["sent"] - r["lost"], r) for r in rs if r["rtt_ms"] is not None]
        n = sum(a for a, _ in answered)
        jitter = [r["jitter_ms"] for _, r in answered if r["jitter_ms"] is not None]
        out.append({
            "target": target, "kind": rs[-1]["kind"], "sent": sent, "lost": lost,
            "rtt_ms": round(sum(a * r["rtt_ms"] for a, r in answered) / n, 2) if n else None,
            "rtt_min_ms": min(r["rtt_min_ms"] for _, r in answered) if answered else None,
            "rtt_max_ms": max(r["rtt_max_ms"] for _, r in answered) if answered else None,
            "jitter_ms": round(_mean(jitter), 2) if jitter else None,
        })
    return out


def health(records: list[Record]) -> list[Record]:
    """The one ``health`` record of the report."""
    if not records:
        return []
    last = records[-1]
    cpu = [r["cpu_pct"] for r in records]
    return [{
        "samples": len(records), "uptime_s": last["uptime_s"],
        "load1": round(_mean([r["load1"] for r in records]), 2), "cpu_pct": round(_mean(cpu), 1),
        "cpu_max_pct": max(cpu), "mem_used_pct": max(r["mem_used_pct"] for r in records),
        "mem_total_kb": last["mem_total_kb"], "wan_up": last["wan_up"],
        "wan_down_s": 0, "wan_flaps": sum(r["wan_flaps"] for r in records),
        "wan_rx_bytes": sum(r["wan_rx_bytes"] for r in records),
        "wan_tx_bytes": sum(r["wan_tx_bytes"] for r in records),
        "conntrack_entries": max(r["conntrack_entries"] for r in records),
        "agent_cpu_ms": sum(r["agent_cpu_ms"] for r in records),
        "agent_rss_kb": max(r["agent_rss_kb"] for r in records),
    }]
