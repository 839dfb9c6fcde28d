"""Bytes per home per day on the wire, by codec, and what encoding a report costs the agent.

For a typical home (8 devices, 6 stations on 2 radios, ~12 active (device, app) pairs per sample, 3 probe
targets) and a busy one (40 devices, 16 stations, ~60 pairs), one day at 60 s sampling / 300 s reporting
(288 reports), each report compressed on its own as the agent sends it:

    (a) raw JSON  (b) JSON+zlib  (c) JSON+zstd  (d) JSON+zstd+dictionary (the newest shipped one)

The evaluated homes (seeds < 1000) are not the ones the dictionary was trained on (seeds 1000-1119).

    .venv/bin/python bench/wire_size.py            # schema 1.0 as the agent sends it
    .venv/bin/python bench/wire_size.py --variants # plus agent options and schema proposals, for discussion
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import zstandard
from homes import BUSY, TYPICAL, Profile, SyntheticHome
from porchlight_agent.report import shape_section
from porchlight_wire.codec import DEFAULT_ZLIB_LEVEL, DEFAULT_ZSTD_LEVEL, DictionaryStore, json_bytes
from porchlight_wire.report import iter_records, to_columns

REPORTS_PER_DAY = 288
HOMES = {TYPICAL.name: (1, 2, 3), BUSY.name: (11, 12)}


def machine() -> str:
    """The machine the figures were measured on."""
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (f"{cpu}, {platform.machine()}, Python {platform.python_version()}, zstandard {zstandard.__version__}, "
            f"zlib {zlib.ZLIB_VERSION}")


def day(profile: Profile, seed: int, **options: Any) -> list[dict[str, Any]]:
    """One day of reports of one home."""
    return list(SyntheticHome(profile, seed, **options).reports(REPORTS_PER_DAY))


def sizes(bodies: list[bytes], dictionary: bytes, level: int = DEFAULT_ZSTD_LEVEL) -> dict[str, int]:
    """Total bytes of the bodies under each codec (each message compressed on its own, plus the envelope)."""
    plain = zstandard.ZstdCompressor(level=level, write_content_size=True)
    with_dict = zstandard.ZstdCompressor(level=level, write_content_size=True,
                                         dict_data=zstandard.ZstdCompressionDict(dictionary))
    env = 8 * len(bodies)
    return {
        "raw": sum(map(len, bodies)) + env,
        "zlib": sum(len(zlib.compress(b, DEFAULT_ZLIB_LEVEL)) for b in bodies) + env,
        "zstd": sum(len(plain.compress(b)) for b in bodies) + env,
        "dict": sum(len(with_dict.compress(b)) for b in bodies) + env,
    }


def per_home_day(profile: Profile, dictionary: bytes,
                 transform: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
                 level: int = DEFAULT_ZSTD_LEVEL, **options: Any) -> dict[str, float]:
    """Mean bytes per home per day over the evaluation homes of a profile."""
    totals = []
    for seed in HOMES[profile.name]:
        docs = day(profile, seed, **options)
        if transform is not None:
            docs = [transform(d) for d in docs]
        totals.append(sizes([json_bytes(d) for d in docs], dictionary, level))
    return {k: statistics.mean(t[k] for t in totals) for k in totals[0]}


def encode_cost_ms(docs: list[dict[str, Any]], compress: Callable[[bytes], bytes]) -> float:
    """Mean CPU milliseconds to serialize and compress one report."""
    start = time.process_time()
    for doc in docs:
        compress(json_bytes(doc))
    return (time.process_time() - start) * 1000 / len(docs)


def per_report_cadence(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema proposal: stations and apps once per report (counters summed, signal averaged, last rates)."""
    out = dict(doc)
    end = doc["header"]["end_ts"]
    for key, group, sums in (("apps", ("mac", "app"), ("bytes_up", "bytes_down", "packets_up", "packets_down",
                                                         "flows", "new_flows")),
                             ("stations", ("mac", "radio"), ("tx_retries", "tx_failed", "tx_bytes", "rx_bytes",
                                                              "tx_packets", "rx_packets"))):
        if key not in doc:
            continue
        merged: dict[tuple[Any, ...], dict[str, Any]] = {}
        for rec in iter_records(doc, key):
            k = tuple(rec[g] for g in group)
            if k not in merged:
                merged[k] = dict(rec, ts=end, _n=1)
                continue
            m = merged[k]
            m["_n"] += 1
            for name in sums:
                if rec.get(name) is not None:
                    m[name] = (m.get(name) or 0) + rec[name]
            for name in ("signal_dbm", "signal_avg_dbm"):
                if rec.get(name) is not None and m.get(name) is not None:
                    m[name] += rec[name]
            for name in ("tx_rate_mbps", "rx_rate_mbps", "inactive_ms", "connected_s", "dests"):
                if rec.get(name) is not None:
                    m[name] = max(m.get(name) or 0, rec[name]) if name == "dests" else rec[name]
        rows = []
        for m in merged.values():
            n = m.pop("_n")
            for name in ("signal_dbm", "signal_avg_dbm"):
                if m.get(name) is not None:
                    m[name] = round(m[name] / n)
            rows.append(m)
        out[key] = to_columns(key, shape_section(key, rows))
    return out


def print_table(title: str, rows: Iterable[tuple[str, dict[str, float]]]) -> None:
    """One block of figures."""
    print(f"\n{title}")
    print(f"  {'home':34s} {'(a) raw':>10s} {'(b) zlib':>10s} {'(c) zstd':>10s} {'(d) +dict':>10s} {'d/b':>6s}"
          f" {'d/report':>9s}")
    for label, s in rows:
        print(f"  {label:34s} {s['raw'] / 1000:8.0f}KB {s['zlib'] / 1000:8.0f}KB {s['zstd'] / 1000:8.0f}KB "
              f"{s['dict'] / 1000:8.0f}KB {s['dict'] / s['zlib']:6.2f} {s['dict'] / REPORTS_PER_DAY:8.0f}B")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", action="store_true", help="also agent options and schema proposals")
    args = parser.parse_args()
    store = DictionaryStore.shipped()
    newest = store.newest()
    if newest is None:
        print("no shipped dictionary: run bench/train_dictionary.py first", file=sys.stderr)
        return 1
    dictionary = store.raw(newest)
    print(f"machine: {machine()}")
    print(f"dictionary {newest} ({len(dictionary)} B), zstd level {DEFAULT_ZSTD_LEVEL}, zlib level "
          f"{DEFAULT_ZLIB_LEVEL}; {REPORTS_PER_DAY} reports/day, 60 s sampling, 300 s reporting")
    print_table("bytes per home per day (schema 1.0, as the agent sends it)",
                [(f"{p.name} ({len(HOMES[p.name])} homes)", per_home_day(p, dictionary)) for p in (TYPICAL, BUSY)])

    docs = day(TYPICAL, 1)[:96] + day(BUSY, 11)[:48]
    print(f"\nagent CPU per report (serialize + compress, mean of {len(docs)} typical/busy reports, this machine):")
    codecs: list[tuple[str, Callable[[bytes], bytes]]] = [("zlib 9", lambda b: zlib.compress(b, 9))]
    for level in (3, 9, 12, 19):
        codecs.append((f"zstd {level} + dict", zstandard.ZstdCompressor(
            level=level, dict_data=zstandard.ZstdCompressionDict(dictionary)).compress))
    for name, fn in codecs:
        print(f"  {name:16s} {encode_cost_ms(docs, fn):6.2f} ms")
    start = time.process_time()
    for _ in range(3):
        day(TYPICAL, 1)
    build_ms = (time.process_time() - start) * 1000 / (3 * REPORTS_PER_DAY)
    print(f"  (generating + building one typical report with the agent's ReportBuilder: {build_ms:.2f} ms)")

    if args.variants:
        print_table("zstd level (typical)", [(f"level {lvl}", per_home_day(TYPICAL, dictionary, level=lvl))
                                             for lvl in (3, 9, 19)])
        print_table("agent option counter_digits=3 (counters keep 3 significant digits)",
                    [(p.name, per_home_day(p, dictionary, counter_digits=3)) for p in (TYPICAL, BUSY)])
        print_table("schema proposal: device inventory hourly / on change instead of every report",
                    [(p.name, per_home_day(p, dictionary, devices_every=12)) for p in (TYPICAL, BUSY)])
        print_table("schema proposal: stations and apps once per report (sums), inventory hourly, counters 3 digits",
                    [(p.name, per_home_day(p, dictionary, per_report_cadence, counter_digits=3, devices_every=12))
                     for p in (TYPICAL, BUSY)])
        print("  (dictionary trained on schema 1.0 reports; a proposal would get its own dictionary)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
