"""Read one home's stored measurements over a time range (the rep's history): one query per kind.

Raw kinds (health, stations, radios, probes) come from the per-report rows through the *_samples views;
apps come from the hourly app counters; events are stored one row each.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

import psycopg
from psycopg.rows import dict_row

QUERIES: Final = {
    "health": """
        SELECT ts, span_s, samples, uptime_s, reboots, load1, cpu_pct, cpu_max_pct, mem_used_pct, wan_down_s,
               wan_flaps, wan_rx_bytes, wan_tx_bytes, conntrack_max, agent_cpu_ms, agent_rss_kb, dropped_reports,
               queue_depth
        FROM health_samples WHERE home_key = %(home)s AND ts >= %(since)s AND ts < %(until)s ORDER BY ts""",
    "stations": """
        SELECT s.ts, d.mac, d.hostname, s.band_ghz, s.signal_avg_dbm, s.signal_min_dbm, s.tx_rate_mbps,
               s.rx_rate_mbps, s.weak_s, s.tx_bytes, s.rx_bytes, s.tx_packets, s.tx_retries
        FROM station_samples s LEFT JOIN devices d USING (device_key)
        WHERE s.home_key = %(home)s AND s.ts >= %(since)s AND s.ts < %(until)s ORDER BY s.ts, d.mac""",
    "radios": """
        SELECT ts, band_ghz, channel, width_mhz, noise_dbm, busy_pct, tx_pct, rx_pct, stations
        FROM radio_samples WHERE home_key = %(home)s AND ts >= %(since)s AND ts < %(until)s ORDER BY ts, band_ghz""",
    "probes": """
        SELECT ts, target, kind, sent, lost, rtt_ms, rtt_max_ms, jitter_ms
        FROM probe_samples WHERE home_key = %(home)s AND ts >= %(since)s AND ts < %(until)s ORDER BY ts, target""",
    "apps": """
        SELECT a.bucket, d.mac, d.hostname, l.name AS app, a.bytes_up, a.bytes_down, a.flows, a.new_flows,
               a.dests_max, a.active_s
        FROM app_hourly a LEFT JOIN devices d USING (device_key) JOIN labels l ON l.label_id = a.app_id
        WHERE a.home_key = %(home)s AND a.bucket > %(since)s - interval '1 hour' AND a.bucket < %(until)s
        ORDER BY a.bucket, d.mac NULLS FIRST, l.name""",
    "events": """
        SELECT e.ts, e.kind, d.mac, d.hostname, e.detail
        FROM events e LEFT JOIN devices d USING (device_key)
        WHERE e.home_key = %(home)s AND e.ts >= %(since)s AND e.ts < %(until)s ORDER BY e.ts""",
}
KINDS: Final = tuple(QUERIES)


def home_samples(conn: psycopg.Connection[Any], home_key: int, since: datetime, until: datetime,
                 kinds: tuple[str, ...] = KINDS) -> dict[str, list[dict[str, Any]]]:
    """Rows per kind for one home, since <= ts < until (apps: the hours overlapping the range)."""
    params = {"home": home_key, "since": since, "until": until}
    out: dict[str, list[dict[str, Any]]] = {}
    with conn.cursor(row_factory=dict_row) as cur:
        for kind in kinds:
            out[kind] = cur.execute(QUERIES[kind], params).fetchall()  # type: ignore[call-overload]
    return out
