"""One sample's apps, stations, radios, probes and health for every sampling home, added to the accumulators.

The formulas are those of traffic.app_records / spam_record, stations.station_record / radio_loads /
radio_record, probes.probe_records and health.health_record, over arrays.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from . import draws as ls
from . import link_tables as lt
from .draws import Draws
from .layout import F64, B
from .rhythms import propensity

if TYPE_CHECKING:
    from .lockstep import Lockstep

_BLOAT_MS = np.array([8.0, 45.0, 35.0])  # fiber, cable, dsl (probes._BLOAT_MS)


def r1(x: F64) -> F64:
    """Rounded to 0.1, as ``round(x, 1)`` (the nearest double to the decimal, so JSON stays short)."""
    return np.rint(x * 10.0) / 10.0


def r2(x: F64) -> F64:
    """Rounded to 0.01."""
    return np.rint(x * 100.0) / 100.0


def _apps(eng: Lockstep, active: B, down: F64, up: F64, minutes: F64, tries: F64, now: Any, spam_on: B,
          dt_home: F64, draws: Draws) -> tuple[B, Any, Any, Any, Any, Any, Any]:
    """Slot records of the sample: (present, bytes down, up, packets down, up, flows, new flows) + dests."""
    lay = eng.lay
    sh = lay.slot_home
    sd = lay.slot_dev
    on = active[sd]
    # The line caps what the home can pull: scale everyone down when demand exceeds the plan.
    H = len(lay.homes)
    want_down = np.bincount(sh, weights=np.where(on, down, 0.0), minlength=H)
    want_up = np.bincount(sh, weights=np.where(on, up, 0.0), minlength=H)
    cap_down = lay.home_cap_down * dt_home
    cap_up = lay.home_cap_up * dt_home
    with np.errstate(divide="ignore", invalid="ignore"):
        sq_down = np.where(want_down > 0, np.minimum(1.0, 0.95 * cap_down / want_down), 1.0)
        sq_up = np.where(want_up > 0, np.minimum(1.0, 0.95 * cap_up / want_up), 1.0)
    down = down * sq_down[sh]
    up = up * sq_up[sh]
    bd = down.astype(np.int64)
    bu = up.astype(np.int64)
    keys = lay.slot_keys
    dt = dt_home[sh]
    mins = dt / 60.0
    u1 = draws.uniform(keys, ls.P_FLOWS)
    u2 = draws.uniform(keys, ls.P_NEW)
    u3 = draws.uniform(keys, ls.P_DESTS)
    busy = minutes > 0
    flows_a = np.rint(lay.slot_flows * (0.6 + 0.8 * u1) + lay.slot_new * minutes * 0.5).astype(np.int64)
    flows_a = np.where(flows_a == 0, 1, flows_a)
    new_a = np.minimum(flows_a, np.rint(lay.slot_new * minutes * (0.5 + u2)).astype(np.int64))
    dests_a = np.minimum(flows_a, np.rint(lay.slot_dests * (0.7 + 0.6 * u3) * (1.0 + np.log1p(minutes) / 3.0))
                         .astype(np.int64))
    dests_a = np.where(dests_a == 0, 1, dests_a)
    flows = np.where(busy, flows_a, 1 + (u1 < 0.3 * mins))
    new = np.where(busy, new_a, (u2 < 0.25 * mins).astype(np.int64))
    dests = np.where(busy, dests_a, 1)
    tried = tries.astype(np.int64)
    flows = flows + tried
    new = new + tried
    pk_up = np.where(bu > 0, np.maximum(bu // lay.slot_pkt_up, 1), 0)
    pk_down = np.where(bd > 0, np.maximum(bd // lay.slot_pkt_down, 1), 0)
    present = on & (bd + bu > 0)
    spam = on & lay.slot_smtp & spam_on[sd]
    if spam.any():
        rows = np.flatnonzero(spam)
        fpm, dpm, bpf = now.spam[sd[rows], 0], now.spam[sd[rows], 1], now.spam[sd[rows], 2]
        m = mins[rows]
        k = keys[rows]
        f = np.maximum(1, np.rint(fpm * m * (0.7 + 0.6 * draws.uniform(k, ls.P_SPAM1)))).astype(np.int64)
        de = np.maximum(1, np.minimum(f, np.rint(dpm * m ** 0.85 * (0.7 + 0.6 * draws.uniform(k, ls.P_SPAM2)))
                                      .astype(np.int64)))
        s_up = (f * bpf * (0.8 + 0.4 * draws.uniform(k, ls.P_SPAM3))).astype(np.int64) + bu[rows]
        s_down = (f * 650 * (0.8 + 0.4 * draws.uniform(k, ls.P_SPAM4))).astype(np.int64) + bd[rows]
        bu[rows], bd[rows] = s_up, s_down
        pk_up[rows] = s_up // 900 + f * 4
        pk_down[rows] = s_down // 120 + f * 4
        flows[rows] = f
        new[rows] = np.maximum(1, np.rint(f * (0.85 + 0.15 * draws.uniform(k, ls.P_SPAM5)))).astype(np.int64)
        dests[rows] = de
        present[rows] = True
    return present, bd, bu, pk_down, pk_up, flows, (new, dests)


def sample_records(eng: Lockstep, ts: int, sampling: B, active: B, down: F64, up: F64, minutes: F64, tries: F64,
                   now: Any, spam_on: B, dt_home: F64, draws: Draws) -> None:
    """Compute the sample's records for the homes in ``sampling`` and add them to ``eng.acc``."""
    lay = eng.lay
    acc = eng.acc
    H, D = len(lay.homes), len(lay.dev_home)
    present, bd, bu, pk_down, pk_up, flows, (new, dests) = _apps(eng, active, down, up, minutes, tries, now,
                                                                 spam_on, dt_home, draws)
    rows = np.flatnonzero(present)
    acc.a_n[rows] += 1
    acc.a_up[rows] += bu[rows]
    acc.a_down[rows] += bd[rows]
    acc.a_flows[rows] += flows[rows]
    acc.a_flows_max[rows] = np.maximum(acc.a_flows_max[rows], flows[rows])
    acc.a_new[rows] += new[rows]
    acc.a_dests[rows] += dests[rows]
    acc.a_dests_max[rows] = np.maximum(acc.a_dests_max[rows], dests[rows])
    sd = lay.slot_dev[rows]
    dev_down = np.bincount(sd, weights=bd[rows], minlength=D).astype(np.int64)
    dev_up = np.bincount(sd, weights=bu[rows], minlength=D).astype(np.int64)
    dev_pk_down = np.bincount(sd, weights=pk_down[rows], minlength=D).astype(np.int64)
    dev_pk_up = np.bincount(sd, weights=pk_up[rows], minlength=D).astype(np.int64)
    dh = lay.dev_home
    sh = lay.slot_home[rows]
    home_flows = np.bincount(sh, weights=flows[rows], minlength=H)
    wan_rx = np.bincount(dh, weights=dev_down, minlength=H)
    wan_tx = np.bincount(dh, weights=dev_up, minlength=H)
    n_records = np.bincount(sh, minlength=H)
    # Radios: the neighbours' air (busier in the evening) and any interferer.
    rh = lay.radio_home
    r_on = sampling[rh]
    evening = propensity("evening_tv", ts)
    rk = lay.radio_keys
    other = np.clip(lay.radio_busy * (0.7 + 0.9 * evening) * (0.85 + 0.3 * draws.uniform(rk, ls.P_BUSY))
                    + now.busy_add, 0.0, 95.0)
    r_noise = lay.radio_noise + now.noise_add
    # Stations: every associated Wi-Fi device.
    st = active & ~lay.dev_wired
    srows = np.flatnonzero(st)
    band = eng.band[srows]
    home = dh[srows]
    radio = lay.home_radio[home, band]
    dk = lay.dev_keys[srows]
    dt = dt_home[home]
    rank = np.minimum(lay.dev_rank[srows], lay.home_model_rank[home])
    rank = np.where((band == 0) & (rank == 1), 0, rank)
    rank = np.where((band == 2) & (rank < 2), 2, rank)
    width = np.minimum.reduce([lay.radio_width[radio], lt.MAX_WIDTH_BY_RANK[rank], np.where(band == 0, 20, 320),
                               np.where(lay.dev_small[srows], 80, 320)])
    nss = np.minimum(lay.dev_nss[srows], lay.radio_nss[radio])
    mean = lay.dev_tx_power[srows] - (lt.PL_1M[band] + lt.PL_SLOPE[band] * np.log10(
        np.maximum(eng.distance[srows], 0.5)) + eng.walls[srows] * lt.PL_WALL[band])
    signal = mean + draws.normal(dk, ls.P_SIGNAL, 1.0) * lay.dev_fading[srows]
    noise = r_noise[radio] + draws.normal(dk, ls.P_NOISE_ST, 0.6)
    snr = signal - noise
    w = lt.width_index(width)
    snr_i = np.clip(np.rint(snr).astype(np.int64), lt.SNR_LOW, lt.SNR_HIGH) - lt.SNR_LOW
    tx_mcs = lt.TX_MCS[rank, nss - 1, w, snr_i]
    tx_nss = lt.TX_NSS[rank, nss - 1, w, snr_i]
    tx_rate = lt.TX_RATE[rank, nss - 1, w, snr_i]
    rx_mcs = np.maximum(0, tx_mcs - np.array([0, 1, 1, 2])[draws.small(dk, ls.P_RXMCS, 4)])
    rx_nss = np.minimum(tx_nss, 2)
    rx_rate = lt.PHY[rank, rx_mcs, rx_nss - 1, w]
    busy_other = other[radio]
    snr_index = np.clip(np.trunc(snr).astype(np.int64) + 40, 0, 119)
    retry = np.minimum(0.9, lt.RETRY_BY_SNR[snr_index] + 0.18 * (busy_other / 100.0) ** 2
                       + 0.35 * now.interference[radio]) * (0.8 + 0.4 * draws.uniform(dk, ls.P_RETRY))
    tx_packets = dev_pk_down[srows] + (dt * (0.5 + draws.uniform(dk, ls.P_TXPK))).astype(np.int64)
    rx_packets = dev_pk_up[srows] + (dt * (0.3 + 0.5 * draws.uniform(dk, ls.P_RXPK))).astype(np.int64)
    tx_bytes = dev_down[srows] + tx_packets * 40
    rx_bytes = dev_up[srows] + rx_packets * 40
    retries = (tx_packets * retry).astype(np.int64)
    dt_ms = dt * 1000.0
    air_tx = np.minimum(dt_ms, tx_bytes * 0.0114286 / tx_rate * (1.0 + retry))
    air_rx = np.minimum(dt_ms, rx_bytes * 0.0114286 / rx_rate)
    R = len(rh)
    air_tx_r = np.bincount(radio, weights=air_tx, minlength=R)
    air_rx_r = np.bincount(radio, weights=air_rx, minlength=R)
    stations_r = np.bincount(radio, minlength=R)
    n_records += np.bincount(home, minlength=H)
    sig = np.rint(signal).astype(np.int64)
    acc.s_n[srows] += 1
    acc.s_radio[srows] = radio
    acc.s_signal[srows] += sig
    acc.s_signal_min[srows] = np.minimum(acc.s_signal_min[srows], sig)
    acc.s_tx_rate[srows] += tx_rate
    acc.s_rx_rate[srows] += rx_rate
    acc.s_retries[srows] += retries
    acc.s_tx_bytes[srows] += tx_bytes
    acc.s_rx_bytes[srows] += rx_bytes
    acc.s_tx_packets[srows] += tx_packets
    # Radio records: the neighbours' busy time plus this radio's own air time.
    rrows = np.flatnonzero(r_on)
    r_dt_ms = dt_home[rh[rrows]] * 1000.0
    tx_pct = 100.0 * air_tx_r[rrows] / r_dt_ms
    rx_pct = 100.0 * air_rx_r[rrows] / r_dt_ms
    busy = np.clip(other[rrows] + tx_pct + rx_pct + draws.normal(rk[rrows], ls.P_RADIO_BUSY, 0.8), 0.0, 100.0)
    acc.r_n[rrows] += 1
    acc.r_noise[rrows] += np.rint(r_noise[rrows] + draws.normal(rk[rrows], ls.P_RADIO_BUSY + 50, 0.5)).astype(
        np.int64)
    acc.r_busy[rrows] += r1(busy)
    acc.r_tx[rrows] += r1(np.minimum(tx_pct, 100.0))
    acc.r_rx[rrows] += r1(np.minimum(rx_pct, 100.0))
    acc.r_stations[rrows] = np.maximum(acc.r_stations[rrows], stations_r[rrows])
    _probes(eng, sampling, wan_rx, wan_tx, dt_home, now, draws)
    _health(eng, ts, sampling, wan_rx, wan_tx, home_flows, n_records, now, dt_home, draws)


def _probes(eng: Lockstep, sampling: B, wan_rx: F64, wan_tx: F64, dt_home: F64, now: Any, draws: Draws) -> None:
    lay = eng.lay
    acc = eng.acc
    hrows = np.flatnonzero(sampling)
    k = lay.home_keys[hrows]
    dt = dt_home[hrows]
    cap_down = lay.home_cap_down[hrows] * dt
    cap_up = lay.home_cap_up[hrows] * dt
    line_load = np.maximum(wan_rx[hrows] / cap_down, wan_tx[hrows] / cap_up)
    bloat = _BLOAT_MS[lay.home_access[hrows]] * np.minimum(line_load, 1.2) ** 2
    access, core = now.access[hrows], now.core[hrows]
    u = [draws.uniform(k, p) for p in (ls.P_HOP1, ls.P_HOP2, ls.P_HOP3, ls.P_HOP4, ls.P_HOP5)]
    hop_rtt = (lay.home_hop_rtt[hrows] * (0.9 + 0.2 * u[0]) + bloat * (0.7 + 0.6 * u[1])
               + access[:, 0] * (0.8 + 0.4 * u[2]))
    hop_jitter = (lay.home_hop_jitter[hrows] * (0.6 + 0.8 * u[3]) + bloat * 0.2
                  + access[:, 1] * (0.7 + 0.6 * u[4]))
    hop_loss = 0.0005 + 0.004 * np.maximum(0.0, line_load - 0.9) + access[:, 2]
    miss = draws.uniform(k, ls.P_DNS1) < 0.2
    dns_rtt = hop_rtt + 0.8 + np.where(miss, 12.0 + 48.0 * draws.uniform(k, ls.P_DNS2) + core[:, 0], 0.0)
    # Report order: dns, 1.1.1.1, 8.8.8.8, first_hop.
    targets = [(dns_rtt, hop_jitter * 0.5, hop_loss, 2)]
    for t in range(2):
        tu = [draws.uniform(k, ls.P_TARGET + 4 * t + j) for j in range(3)]
        rtt = hop_rtt + lay.home_target_rtt[hrows, t] * (0.95 + 0.1 * tu[0]) + core[:, 0] * (0.8 + 0.4 * tu[1])
        jitter = hop_jitter + 0.2 + core[:, 1] * (0.7 + 0.6 * tu[2])
        targets.append((rtt, jitter, hop_loss + core[:, 2], 5))
    targets.append((hop_rtt, hop_jitter, hop_loss, 5))
    for i, (rtt, jitter, loss, sent) in enumerate(targets):
        lost = np.zeros(len(hrows), dtype=np.int64)
        for j in range(sent):
            lost += draws.uniform(k, ls.P_LOST + 8 * i + j) < loss
        answered = sent - lost
        ok = answered > 0
        high = rtt + jitter * (1.5 + 2.5 * draws.uniform(k, ls.P_LOST + 8 * i + 7))
        acc.p_sent[hrows, i] += sent
        acc.p_lost[hrows, i] += lost
        acc.p_answered[hrows, i] += np.where(ok, answered, 0)
        acc.p_rtt[hrows, i] += np.where(ok, answered * r2(rtt), 0.0)
        acc.p_rtt_max[hrows, i] = np.where(ok, np.maximum(acc.p_rtt_max[hrows, i], r2(high)), acc.p_rtt_max[hrows, i])
        acc.p_jitter[hrows, i] += np.where(ok, r2(jitter), 0.0)
        acc.p_jitter_n[hrows, i] += ok


def _health(eng: Lockstep, ts: int, sampling: B, wan_rx: F64, wan_tx: F64, flows: F64, n_records: Any, now: Any,
            dt_home: F64, draws: Draws) -> None:
    lay = eng.lay
    acc = eng.acc
    h = np.flatnonzero(sampling)
    k = lay.home_keys[h]
    dt = dt_home[h]
    throughput = (wan_rx[h] + wan_tx[h]) * 8.0 / dt / 1e6
    cpu = (3.0 + 4.0 * draws.uniform(k, ls.P_CPU1) + 45.0 * throughput / lay.home_capacity[h] + now.cpu_add[h])
    cpu = np.clip(cpu + draws.normal(k, ls.P_CPU2), 0.5, 100.0)
    uptime = np.maximum(0, ts - eng.boot_ts[h])
    creep = np.minimum(12.0, 0.35 * uptime / 86_400)
    load = r2(np.maximum(0.0, cpu / 100.0 * lay.home_cores[h] * 1.1 + draws.normal(k, ls.P_LOAD, 0.05)))
    mem = r1(np.clip(eng.mem_base[h] + creep + draws.normal(k, ls.P_MEM, 0.3), 5.0, 99.0))
    cpu1 = r1(cpu)
    acc.h_n[h] += 1
    acc.h_uptime[h] = uptime
    acc.h_load[h] += load
    acc.h_cpu[h] += cpu1
    acc.h_cpu_max[h] = np.maximum(acc.h_cpu_max[h], cpu1)
    acc.h_mem_max[h] = np.maximum(acc.h_mem_max[h], mem)
    acc.h_wan_rx[h] += (wan_rx[h] * 1.03).astype(np.int64) + (dt * 180).astype(np.int64)
    acc.h_wan_tx[h] += (wan_tx[h] * 1.04).astype(np.int64) + (dt * 120).astype(np.int64)
    acc.h_conntrack[h] = np.maximum(acc.h_conntrack[h], (35 + flows[h] * 1.6 + draws.uniform(k, ls.P_CONNTRACK)
                                                         * 10).astype(np.int64))
    acc.h_agent_cpu[h] += ((60 + 0.5 * n_records[h]) * dt / 60.0 * (0.8 + 0.4 * draws.uniform(k, ls.P_AGENT))
                           ).astype(np.int64)
    acc.h_rss[h] = np.maximum(acc.h_rss[h], 15_800 + draws.small(k, ls.P_RSS, 1_200))
