"""Storage per typical home per day: raw, rollups and total KB on disk (tables + indexes + TOAST).

Writes one day of typical reports (60 s samples, 300 s reports) for N homes through the real decode ->
summarise -> batch writer path into a fresh database, runs the rollup job, vacuums, and measures each
hypertable with hypertable_size(). Budget: 250 KB per home per day, raw + rollups, Apache edition.

    .venv/bin/python bench/storage_per_home.py --homes 200
"""

from __future__ import annotations

import argparse
import os
import secrets
import time
from datetime import UTC, datetime

import psycopg
from machine import describe
from porchlight_cloud.ingest.decode import Incoming, decode
from porchlight_cloud.ingest.rows import summarize
from porchlight_cloud.ingest.synthetic import Home, rows_in
from porchlight_cloud.ingest.writer import Writer
from porchlight_cloud.store import compaction, migrate, rollups
from porchlight_wire import Decoder, Encoder, topic_for

ADMIN = f"postgresql://porchlight@127.0.0.1:{os.environ.get('PORCHLIGHT_PG_PORT', '55432')}/postgres"
RAW = ("reports", "events")
ROLLUP = ("home_hourly", "app_hourly", "home_daily", "app_daily", "device_sightings")
DIMENSIONS = ("homes", "gateways", "boots", "devices", "labels")
DAY = 86_400
BUDGET_KB = 250


def server(url: str) -> str:
    """PostgreSQL and TimescaleDB versions and license of the database at url."""
    with psycopg.connect(url) as conn:
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
        pg = conn.execute("SHOW server_version").fetchone()
        lic = conn.execute("SHOW timescaledb.license").fetchone()
    return f"PostgreSQL {pg[0] if pg else '?'}, TimescaleDB {version[0] if version else '?'} ({lic[0] if lic else '?'})"


def main() -> None:
    """Run the measurement and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--homes", type=int, default=200)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--name", help="database name (default: random)")
    parser.add_argument("--no-compact", action="store_true", help="skip rebuilding the closed chunks' indexes")
    args = parser.parse_args()
    name = args.name or f"bench_storage_{secrets.token_hex(3)}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
    try:
        migrate.migrate(url)
        run(url, args.homes, not args.no_compact)
    finally:
        if not args.keep:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def run(url: str, n_homes: int, compact: bool = True) -> None:
    """Fill one day for n_homes as the service would (rollups every simulated hour) and print the sizes."""
    print(f"machine: {describe()}; {server(url)}")
    homes = [Home.typical(i, prefix="st") for i in range(n_homes)]
    encoder, decoder = Encoder(), Decoder()
    day0 = 1_767_225_600  # 2026-01-01T00:00:00Z
    records = 0
    rolled = 0
    started = time.monotonic()
    with psycopg.connect(url, autocommit=True) as conn:
        writer = Writer(conn, "bench")
        batch: list = []
        for step in range(DAY // 300):
            end_ts = day0 + (step + 1) * 300
            for home in homes:
                doc = home.report(end_ts)
                records += rows_in(doc)
                topic = topic_for(home.home_id, home.gateway_id, "report", "bench/v1")
                batch.append(summarize(decode(Incoming(topic, encoder.encode(doc), time.time()), decoder)))
                if len(batch) == 500:
                    writer.write(batch, [])
                    batch = []
            if end_ts % 3600 == 0:   # an hour has passed: the service's rollup job runs (5 minutes' grace)
                writer.write(batch, [])
                batch = []
                rolled += rollups.run(conn, grace_s=300, now=datetime.fromtimestamp(end_ts + 300, UTC))
        writer.write(batch, [])
        rolled += rollups.run(conn, now=datetime.fromtimestamp(day0 + DAY + 3600, UTC))
        conn.execute("VACUUM ANALYZE")
        fill_s = time.monotonic() - started
        before = sizes(conn)
        chunks = compaction.compact(conn, now=datetime.fromtimestamp(day0 + DAY + 7200, UTC)) if compact else 0
        after = sizes(conn)
        dims = {t: conn.execute("SELECT pg_total_relation_size(%s::regclass)", (t,)).fetchone()[0] for t in DIMENSIONS}
        reports = conn.execute("SELECT count(*) FROM reports").fetchone()[0]
    kb = 1024 * n_homes
    print(f"homes: {n_homes}, reports: {reports} ({reports / n_homes:.0f}/home/day), input records: {records} "
          f"({records / reports:.0f}/report), hourly buckets rolled up: {rolled}, fill time {fill_s:.0f} s")
    print(f"{'table':<12} {'as written':>12} {'compacted':>12}   (KB/home/day; compacted = closed chunks' indexes "
          f"rebuilt, {chunks} chunks)")
    for t in RAW + ROLLUP:
        print(f"  {t:<12} {before[t] / kb:10.1f} {after[t] / kb:12.1f}")
    for label, tables in (("raw", RAW), ("rollup", ROLLUP), ("total", RAW + ROLLUP)):
        b, a = sum(before[t] for t in tables) / kb, sum(after[t] for t in tables) / kb
        print(f"{label + ':':<14} {b:10.1f} {a:12.1f}")
    total = sum(after[t] for t in RAW + ROLLUP) / kb
    print(f"budget {BUDGET_KB} KB/home/day: {'OK' if total <= BUDGET_KB else 'OVER'} ({total:.1f} compacted, "
          f"{sum(before[t] for t in RAW + ROLLUP) / kb:.1f} while the day is being written)")
    print(f"dimensions (per home, not per day): {sum(dims.values()) / kb:.1f} KB "
          f"({', '.join(f'{t} {v / kb:.1f}' for t, v in dims.items())})")


def sizes(conn: psycopg.Connection) -> dict[str, int]:
    """hypertable_size (heap + indexes + TOAST of every chunk) per table."""
    return {t: conn.execute("SELECT hypertable_size(%s::regclass)", (t,)).fetchone()[0] for t in RAW + ROLLUP}


if __name__ == "__main__":
    main()
