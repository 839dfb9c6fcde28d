"""Summarise a validated report into the compact rows the store keeps (pure; the ingest hot path).

Agents already send one aggregated record per entity per report (schema 1.0); this keeps one entry per
entity (merging an entity's several records, such as a Wi-Fi 7 station's links, with means weighted by
their samples), range-checks every value, and sums app counters per (device, app, hour) because they are
stored hourly. Names (MACs, apps, probe
targets) stay names here; the writer turns them into keys. A value that cannot be stored (out of a
column's range) raises SchemaError so the report is quarantined instead of poisoning the batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from .column_values import (
    I2_MAX,
    I4_MAX,
    I8_MAX,
    checked_epoch,
    checked_int,
    checked_opt_int,
    column_or_nones,
    mean_or_none,
    real4,
    smallint,
)
from .decode import Report

WEAK_SIGNAL_DBM: Final = -70          # a station below this is counted in weak_s (and weak-signal minutes)
FLAG_BITS: Final = {"counters_degraded": 1, "flow_offload": 2, "conntrack_acct_off": 4, "mac_hashed": 8,
                    "clock_unsynced": 16}
UNKNOWN_FLAG_BIT: Final = 1 << 14
KIND_CODES: Final = {"periodic": 0, "diagnosis": 1}
PROBE_KIND_CODES: Final = {"icmp": 1, "tcp": 2, "dns": 3}
BAND_DGHZ: Final = {"2.4": 24, "5": 50, "6": 60}
STATION_Q_FIELDS: Final = ("band_dghz", "signal_avg_dbm", "signal_min_dbm", "tx_rate_mbps", "rx_rate_mbps",
                           "weak_s")
STATION_C_FIELDS: Final = ("tx_bytes", "rx_bytes", "tx_packets", "tx_retries")
RADIO_FIELDS: Final = ("band_dghz", "channel", "width_mhz", "noise_dbm", "busy_pct", "tx_pct", "rx_pct",
                       "stations")
PROBE_FIELDS: Final = ("kind_code", "sent", "lost", "rtt_dms", "rtt_max_dms", "jitter_dms")  # dms = 0.1 ms
HOUR: Final = 3600


def hour_of(ts: int) -> int:
    """The hour bucket (epoch seconds) of a time, as time_bucket('1 hour', ts) computes it."""
    return ts // HOUR * HOUR


@dataclass(slots=True)
class Summary:
    """Everything the store keeps of one report, with names not yet turned into keys."""

    report: Report
    home_id: str
    gateway_id: str
    boot_id: str
    seq: int
    start_ts: int
    end_ts: int
    meta: tuple[Any, ...]                    # span_s, sample_interval_s, kind, flags, dropped, queue_depth
    health: tuple[Any, ...]                  # see HEALTH_COLUMNS
    station_macs: list[str] = field(default_factory=list)
    station_q: list[int | None] = field(default_factory=list)        # flattened [station][STATION_Q_FIELDS]
    station_c: list[float | None] = field(default_factory=list)      # flattened [station][STATION_C_FIELDS]
    radios: list[int | None] = field(default_factory=list)           # flattened [radio][RADIO_FIELDS]
    probe_targets: list[str] = field(default_factory=list)
    probes: list[int | None] = field(default_factory=list)           # flattened [probe][PROBE_FIELDS]
    apps: list[tuple[str, str, int, int, int, int, int, int, int]] = field(default_factory=list)
    events: list[tuple[int, str | None, str, str | None]] = field(default_factory=list)
    devices: list[tuple[Any, ...]] = field(default_factory=list)
    hours: set[int] = field(default_factory=set)
    macs: set[str] = field(default_factory=set)   # every device MAC the report mentions
    reference: bool = False                       # a periodic report with a full inventory: home dictionary input


HEALTH_COLUMNS: Final = ("health_samples", "uptime_s", "reboots", "load1", "cpu_pct", "cpu_max_pct",
                         "mem_used_pct", "wan_down_s", "wan_flaps", "wan_rx_bytes", "wan_tx_bytes", "conntrack_max",
                         "agent_cpu_ms", "agent_rss_kb")
_NO_HEALTH: Final = (None,) * len(HEALTH_COLUMNS)


def summarize(report: Report) -> Summary:
    """Summarise one validated report; SchemaError when a value is out of the range the store can hold."""
    doc = report.doc
    h = report.header
    interval = h["sample_interval_s"]
    flags = 0
    for flag in h.get("flags") or ():
        flags |= FLAG_BITS.get(flag, UNKNOWN_FLAG_BIT)
    header = (
        checked_int(h["end_ts"] - h["start_ts"], I4_MAX, "header.end_ts"),
        checked_int(interval, I2_MAX, "header.sample_interval_s"),
        KIND_CODES.get(h.get("kind") or "periodic", 0),
        flags,
        checked_opt_int(h.get("dropped_reports"), I4_MAX, "header.dropped_reports"),
        checked_opt_int(h.get("queue_depth"), I4_MAX, "header.queue_depth"),
    )
    summary = Summary(
        report, h["home_id"], h["gateway_id"], h["boot_id"], checked_int(h["seq"], I4_MAX, "header.seq"),
        checked_epoch(h["start_ts"], "header.start_ts"), checked_epoch(h["end_ts"], "header.end_ts"), header,
        _health(doc.get("health"), interval),
    )
    summary.hours.add(hour_of(h["end_ts"]))
    summary.reference = h.get("inventory") == "full" and header[2] == 0
    if doc.get("stations"):
        _stations(doc["stations"], interval, summary)
    if doc.get("radios"):
        _radios(doc["radios"], summary)
    if doc.get("probes"):
        _probes(doc["probes"], summary)
    if doc.get("apps"):
        _apps(doc["apps"], interval, summary)
    if doc.get("events") or doc.get("errors"):
        _events(doc.get("events") or {}, doc.get("errors") or {}, summary)
    if doc.get("devices"):
        _devices(doc["devices"], summary)
    macs = summary.macs
    macs.update(summary.station_macs)
    macs.update(d[0] for d in summary.devices)
    macs.update(a[0] for a in summary.apps if a[0])
    macs.update(e[1] for e in summary.events if e[1])
    return summary


# ------------------------------------------------------------------------------------------------ health
# Schema 1.0 agents send one aggregated record per entity per report (with ``samples``); records of an
# entity that appears more than once (a Wi-Fi 7 station's links, or per-sample records carrying a ``ts``
# column from early agents) are merged, means weighted by their samples.
def _order(columns: dict[str, list[Any]], n: int) -> list[int]:
    ts = columns.get("ts")
    return sorted(range(n), key=ts.__getitem__) if ts is not None and None not in ts else list(range(n))


def _health(columns: dict[str, list[Any]] | None, interval: int) -> tuple[Any, ...]:
    n = len(next(iter(columns.values()), [])) if columns else 0
    if not columns or n == 0:
        return _NO_HEALTH
    order = _order(columns, n)
    weight = [w or 1 for w in column_or_nones(columns, "samples", n)]
    uptime = column_or_nones(columns, "uptime_s", n)
    reboots = 0
    last_uptime = previous = None
    for i in order:
        value = uptime[i]
        if value is None:
            continue
        if previous is not None and value < previous:
            reboots += 1
        previous = last_uptime = value
    wan_up = column_or_nones(columns, "wan_up", n)
    wan_down = column_or_nones(columns, "wan_down_s", n)
    if any(v is not None for v in wan_down):
        wan_down_s = _sum(wan_down)
    elif any(up is not None for up in wan_up):
        wan_down_s = sum(interval * weight[i] for i in range(n) if wan_up[i] is False)
    else:
        wan_down_s = None
    cpu = column_or_nones(columns, "cpu_pct", n)
    cpu_max = _max(column_or_nones(columns, "cpu_max_pct", n))
    return (
        sum(weight),
        checked_opt_int(last_uptime, I4_MAX, "health.uptime_s"),
        min(reboots, I2_MAX),
        real4(_weighted(column_or_nones(columns, "load1", n), weight), "health.load1"),
        real4(_weighted(cpu, weight), "health.cpu_pct"),
        real4(cpu_max if cpu_max is not None else _max(cpu), "health.cpu_max_pct"),
        real4(_weighted(column_or_nones(columns, "mem_used_pct", n), weight), "health.mem_used_pct"),
        checked_opt_int(wan_down_s, I4_MAX, "health.wan_down_s"),
        checked_opt_int(_sum(column_or_nones(columns, "wan_flaps", n)), I2_MAX, "health.wan_flaps"),
        checked_opt_int(_sum(column_or_nones(columns, "wan_rx_bytes", n)), I8_MAX, "health.wan_rx_bytes"),
        checked_opt_int(_sum(column_or_nones(columns, "wan_tx_bytes", n)), I8_MAX, "health.wan_tx_bytes"),
        checked_opt_int(_max(column_or_nones(columns, "conntrack_entries", n)), I4_MAX, "health.conntrack_entries"),
        checked_opt_int(_sum(column_or_nones(columns, "agent_cpu_ms", n)), I4_MAX, "health.agent_cpu_ms"),
        checked_opt_int(_max(column_or_nones(columns, "agent_rss_kb", n)), I4_MAX, "health.agent_rss_kb"),
    )


def _weighted(column: list[Any], weight: list[int]) -> float | None:
    total = count = 0
    for value, w in zip(column, weight, strict=True):
        if value is not None:
            total += value * w
            count += w
    return total / count if count else None


def _sum(column: list[Any]) -> Any:
    values = [v for v in column if v is not None]
    return sum(values) if values else None


def _max(column: list[Any]) -> Any:
    values = [v for v in column if v is not None]
    return max(values) if values else None


# ------------------------------------------------------------------------------------------------ stations
def _stations(columns: dict[str, list[Any]], interval: int, summary: Summary) -> None:
    macs = columns["mac"]
    n = len(macs)
    cols = [column_or_nones(columns, name, n) for name in (
        "samples", "band", "signal_dbm", "signal_avg_dbm", "signal_min_dbm", "tx_rate_mbps", "rx_rate_mbps",
        "tx_bytes", "rx_bytes", "tx_packets", "tx_retries")]
    # per station: band, sig_sum, sig_w, sig_min, txr_sum, txr_w, rxr_sum, rxr_w, weak_w, txb, rxb, txp, retries
    acc: dict[str, list[Any]] = {}
    for mac, samples, band, signal, signal_avg, signal_min, tx_rate, rx_rate, txb, rxb, txp, retries in zip(
            macs, *cols, strict=True):
        a = acc.get(mac)
        if a is None:
            a = acc[mac] = [None, 0, 0, None, 0.0, 0, 0.0, 0, 0, None, None, None, None]
        w = samples or 1
        if band is not None:
            a[0] = band
        level = signal_avg if signal_avg is not None else signal
        if level is not None:
            a[1] += level * w
            a[2] += w
            if level < WEAK_SIGNAL_DBM:
                a[8] += w
        low = signal_min if signal_min is not None else signal
        if low is not None and (a[3] is None or low < a[3]):
            a[3] = low
        if tx_rate is not None:
            a[4] += tx_rate * w
            a[5] += w
        if rx_rate is not None:
            a[6] += rx_rate * w
            a[7] += w
        if txb is not None:
            a[9] = txb if a[9] is None else a[9] + txb
        if rxb is not None:
            a[10] = rxb if a[10] is None else a[10] + rxb
        if txp is not None:
            a[11] = txp if a[11] is None else a[11] + txp
        if retries is not None:
            a[12] = retries if a[12] is None else a[12] + retries
    for mac, a in acc.items():
        summary.station_macs.append(mac)
        summary.station_q.extend((
            BAND_DGHZ.get(a[0]),
            checked_int(round(a[1] / a[2]), I2_MAX, "stations.signal_avg_dbm") if a[2] else None,
            checked_opt_int(a[3], I2_MAX, "stations.signal_min_dbm"),
            checked_int(round(a[4] / a[5]), I2_MAX, "stations.tx_rate_mbps") if a[5] else None,
            checked_int(round(a[6] / a[7]), I2_MAX, "stations.rx_rate_mbps") if a[7] else None,
            smallint(a[8] * interval) if a[2] else None,   # samples whose (mean) signal was weak x sample interval
        ))
        summary.station_c.extend((real4(a[9], "stations.tx_bytes"), real4(a[10], "stations.rx_bytes"),
                                  real4(a[11], "stations.tx_packets"), real4(a[12], "stations.tx_retries")))


# ------------------------------------------------------------------------------------------------ radios
def _radios(columns: dict[str, list[Any]], summary: Summary) -> None:
    names = columns["radio"]
    n = len(names)
    weight = [w or 1 for w in column_or_nones(columns, "samples", n)]
    band = column_or_nones(columns, "band", n)
    channel = column_or_nones(columns, "channel", n)
    width = column_or_nones(columns, "width_mhz", n)
    means = [column_or_nones(columns, name, n) for name in ("noise_dbm", "busy_pct", "tx_pct", "rx_pct")]
    stations = column_or_nones(columns, "stations", n)
    acc: dict[str, list[Any]] = {}
    for i in _order(columns, n):
        a = acc.get(names[i])
        if a is None:
            a = acc[names[i]] = [None, None, None, 0.0, 0, 0.0, 0, 0.0, 0, 0.0, 0, None]
        if band[i] is not None:
            a[0] = band[i]
        if channel[i] is not None:
            a[1] = channel[i]
        if width[i] is not None:
            a[2] = width[i]
        for k, column in enumerate(means):
            v = column[i]
            if v is not None:
                a[3 + 2 * k] += v * weight[i]
                a[4 + 2 * k] += weight[i]
        if stations[i] is not None and (a[11] is None or stations[i] > a[11]):
            a[11] = stations[i]
    for a in acc.values():
        summary.radios.extend([
            BAND_DGHZ.get(a[0]), smallint(a[1]), smallint(a[2]),
            *(smallint(mean_or_none(a[3 + 2 * k], a[4 + 2 * k])) for k in range(4)),
            smallint(a[11]),
        ])


# ------------------------------------------------------------------------------------------------ probes
def _probes(columns: dict[str, list[Any]], summary: Summary) -> None:
    targets = columns["target"]
    kinds = columns["kind"]
    n = len(targets)
    sent = column_or_nones(columns, "sent", n)
    lost = column_or_nones(columns, "lost", n)
    rtt = column_or_nones(columns, "rtt_ms", n)
    rtt_max = column_or_nones(columns, "rtt_max_ms", n)
    jitter = column_or_nones(columns, "jitter_ms", n)
    # per (target, kind): sent, lost, rtt_weighted_sum, rtt_weight, rtt_max, jitter_sum, jitter_n
    acc: dict[tuple[str, str], list[Any]] = {}
    for i in range(n):
        key = (targets[i], kinds[i])
        a = acc.get(key)
        if a is None:
            a = acc[key] = [None, None, 0.0, 0, None, 0.0, 0]
        if sent[i] is not None:
            a[0] = sent[i] if a[0] is None else a[0] + sent[i]
        if lost[i] is not None:
            a[1] = lost[i] if a[1] is None else a[1] + lost[i]
        if rtt[i] is not None:
            weight = max((sent[i] or 1) - (lost[i] or 0), 1)
            a[2] += rtt[i] * weight
            a[3] += weight
        top = rtt_max[i] if rtt_max[i] is not None else rtt[i]
        if top is not None and (a[4] is None or top > a[4]):
            a[4] = top
        if jitter[i] is not None:
            a[5] += jitter[i]
            a[6] += 1
    for (target, kind), a in acc.items():
        summary.probe_targets.append(target)
        summary.probes.extend([
            PROBE_KIND_CODES.get(kind), smallint(a[0]), smallint(a[1]), smallint(mean_or_none(a[2], a[3]), 10),
            smallint(a[4], 10),
            smallint(mean_or_none(a[5], a[6]), 10),
        ])


# ------------------------------------------------------------------------------------------------ apps
def _apps(columns: dict[str, list[Any]], interval: int, summary: Summary) -> None:
    macs = columns["mac"]
    n = len(macs)
    if not n:
        return
    ts = columns.get("ts")
    if ts is not None and None not in ts:       # early agents: one record per sample, each with its time
        checked_epoch(min(ts), "apps.ts")
        checked_epoch(max(ts), "apps.ts")
        hours = [t - t % HOUR for t in ts]
    else:                                       # one record per report: the report's hour, as for its row
        hours = [hour_of(summary.end_ts)] * n
    cols = [column_or_nones(columns, name, n) for name in ("bytes_up", "bytes_down", "flows", "new_flows", "dests",
                                                "active_samples")]
    acc: dict[tuple[str, str, int], list[int]] = {}
    for hour, mac, app, up, down, flows, new_flows, dests, active in zip(hours, macs, columns["app"], *cols,
                                                                         strict=True):
        key = (mac, app, hour)
        a = acc.get(key)
        if a is None:
            a = acc[key] = [0, 0, 0, 0, 0, 0]
        if up:
            a[0] += up
        if down:
            a[1] += down
        if flows:
            a[2] += flows
        if new_flows:
            a[3] += new_flows
        if dests and dests > a[4]:
            a[4] = dests
        if active is not None:
            a[5] += active * interval
        elif up or down or flows:
            a[5] += interval
    for (mac, app, hour), (up, down, flows, new_flows, dests, active) in acc.items():
        summary.hours.add(hour)
        # inline range checks (the common case, ~15 rows a report); the slow path names the culprit
        if not (-I8_MAX - 1 <= up <= I8_MAX and -I8_MAX - 1 <= down <= I8_MAX and -I4_MAX - 1 <= flows <= I4_MAX
                and -I4_MAX - 1 <= new_flows <= I4_MAX and -I4_MAX - 1 <= dests <= I4_MAX):
            checked_int(up, I8_MAX, "apps.bytes_up")
            checked_int(down, I8_MAX, "apps.bytes_down")
            checked_int(flows, I4_MAX, "apps.flows")
            checked_int(new_flows, I4_MAX, "apps.new_flows")
            checked_int(dests, I4_MAX, "apps.dests")
        summary.apps.append((mac, app, hour, up, down, flows, new_flows, dests, min(active, I4_MAX)))


# ------------------------------------------------------------------------------------------------ events
def _events(events: dict[str, list[Any]], errors: dict[str, list[Any]], summary: Summary) -> None:
    n = len(events.get("ts") or ())
    if n:
        macs = column_or_nones(events, "mac", n)
        details = column_or_nones(events, "detail", n)
        for ts, mac, kind, detail in zip(events["ts"], macs, events["kind"], details, strict=True):
            summary.events.append((checked_epoch(ts, "events.ts"), mac or None, kind, detail))
    n = len(errors.get("ts") or ())
    if n:
        counts = column_or_nones(errors, "count", n)
        for ts, collector, error, count in zip(errors["ts"], errors["collector"], errors["error"], counts,
                                               strict=True):
            detail = f"{collector}: {error}" + (f" (x{count})" if count and count > 1 else "")
            summary.events.append((checked_epoch(ts, "errors.ts"), None, "collector_error", detail))


# ------------------------------------------------------------------------------------------------ devices
def _devices(columns: dict[str, list[Any]], summary: Summary) -> None:
    macs = columns["mac"]
    n = len(macs)
    cols = [column_or_nones(columns, name, n) for name in ("hostname", "vendor", "device_class", "class_confidence",
                                                "connection", "ips", "first_seen", "last_seen")]
    first_seen, last_seen = cols[6], cols[7]
    for i in range(n):
        if macs[i]:
            for column in (first_seen, last_seen):
                if column[i] is not None:
                    checked_epoch(column[i], "devices.first_seen/last_seen")
            summary.devices.append((macs[i], *(c[i] for c in cols)))
