"""End-to-end ingest throughput: broker -> N ingest workers -> TimescaleDB, against a plain binary COPY.

1. Generate typical-home reports (porchlight_wire.build_report, zstd) in a process pool.
2. For each worker count: a fresh database; start the workers once so the broker has their persistent
   shared-subscription sessions, stop them, pre-load the broker queue with every report (QoS 1), start
   the workers again (`porchlight ingest` subprocesses) and time the drain until every report is stored.
   While they drain, the CPU time of the workers, the broker and the database (all of its processes) is
   measured, per report: what the same run needs of a machine, independent of who else shares it.
3. Copy the rows ingest wrote out of the database into prepared binary COPY files and load them again with
   a plain binary COPY into identical tables (same indexes, one transaction): the ceiling for the same rows.

    .venv/bin/python bench/ingest_e2e.py --workers 1,2,3 --reports 120000
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import paho.mqtt.client as mqtt
import psutil
import psycopg
from machine import describe
from paho.mqtt.enums import CallbackAPIVersion
from porchlight_cloud.ingest.synthetic import Home, rows_in
from porchlight_cloud.store import migrate
from porchlight_wire import SECTIONS, Decoder, Encoder, iter_records, topic_for

PG_PORT = os.environ.get("PORCHLIGHT_PG_PORT", "55432")
ADMIN = os.environ.get("PORCHLIGHT_BENCH_ADMIN_URL", f"postgresql://porchlight@127.0.0.1:{PG_PORT}/postgres")
MQTT_HOST, MQTT_PORT = "127.0.0.1", int(os.environ.get("PORCHLIGHT_MQTT_PORT", "18830"))
FLEET = ("porchlight-fleet", "porchlight-fleet-dev")
REPO = Path(__file__).resolve().parent.parent
PORCHLIGHT = str(Path(sys.executable).parent / "porchlight")
DB_TABLES = ("reports", "app_pending", "events")
RUN = REPO / ".run"
SESSION_EXPIRY_S = 120      # the bench's worker sessions are gone from the broker two minutes after it ends


def _generate(job: tuple[int, int, int, int, str]) -> tuple[list[tuple[str, bytes]], int]:
    first, count, per_home, samples, root = job
    encoder = Encoder()
    out: list[tuple[str, bytes]] = []
    records = 0
    homes = [Home.typical(i, prefix="be") for i in range(first, first + count)]
    t0 = 1_767_225_600
    for k in range(per_home):
        for home in homes:
            doc = home.report(t0 + 300 * (k + 1), sample_interval_s=300 // samples)
            records += rows_in(doc)
            out.append((topic_for(home.home_id, home.gateway_id, "report", root), encoder.encode(doc)))
    return out, records


def generate(n_reports: int, n_homes: int, samples: int, root: str) -> tuple[list[tuple[str, bytes]], int]:
    """n_reports reports spread over n_homes homes (consecutive 5-minute reports per home)."""
    per_home = max(1, n_reports // n_homes)
    procs = os.cpu_count() or 2
    step = -(-n_homes // procs)
    jobs = [(i, min(step, n_homes - i), per_home, samples, root) for i in range(0, n_homes, step)]
    with multiprocessing.Pool(procs) as pool:
        parts = pool.map(_generate, jobs)
    messages = [m for part, _ in parts for m in part]
    return messages, sum(r for _, r in parts)


def start_workers(n: int, url: str, root: str, group: str, tag: str) -> list[subprocess.Popen[bytes]]:
    """n `porchlight ingest` processes sharing one subscription group."""
    procs = []
    for i in range(n):
        env = {**os.environ, "PORCHLIGHT_DB_URL": url, "PORCHLIGHT_TOPIC_ROOT": root,
               "PORCHLIGHT_SHARE_GROUP": group, "PORCHLIGHT_INGEST_CLIENT_ID": f"bench-{tag}-{i}",
               "PORCHLIGHT_MAINTENANCE": "false", "PORCHLIGHT_LOG_LEVEL": "WARNING",
               "PORCHLIGHT_MQTT_PORT": str(MQTT_PORT), "PORCHLIGHT_SESSION_EXPIRY_S": str(SESSION_EXPIRY_S)}
        procs.append(subprocess.Popen([PORCHLIGHT, "ingest"], env=env, stderr=subprocess.DEVNULL))
    return procs


def stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each worker and wait for it."""
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.wait(30)


def wait_sessions(url: str, n: int, timeout: float = 30.0) -> None:
    """Wait until n workers saved their metrics row (they are connected and subscribed by then)."""
    deadline = time.monotonic() + timeout
    with psycopg.connect(url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            if conn.execute("SELECT count(*) FROM ingest_workers").fetchone()[0] >= n:
                return
            time.sleep(0.2)
    raise RuntimeError("the ingest workers did not start")


def publish(messages: list[tuple[str, bytes]]) -> float:
    """Publish every message at QoS 1 as the fleet user; return the seconds it took.

    A new client every 50,000 messages: paho gives each queued message its packet id when publish() is
    called, so more than 65,535 queued at once would reuse ids and lose messages.
    """
    t0 = time.monotonic()
    for start in range(0, len(messages), 50_000):
        _publish_chunk(messages[start:start + 50_000])
    return time.monotonic() - t0


def _publish_chunk(messages: list[tuple[str, bytes]]) -> None:
    done = threading.Event()
    acked = [0]

    def on_publish(client: mqtt.Client, userdata: object, mid: int, reason: object, props: object) -> None:
        acked[0] += 1
        if acked[0] == len(messages):
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{secrets.token_hex(3)}",
                         protocol=mqtt.MQTTv5)
    client.username_pw_set(*FLEET)
    client.max_inflight_messages_set(500)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(MQTT_HOST, MQTT_PORT)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1)
    if not done.wait(600):
        raise RuntimeError(f"the broker acknowledged only {acked[0]} of {len(messages)} messages")
    client.disconnect()
    client.loop_stop()


def count(conn: psycopg.Connection) -> int:
    """Reports stored so far."""
    return conn.execute("SELECT count(*) FROM reports").fetchone()[0]


class CpuMeter:
    """CPU seconds (user + system) used by the workers, the broker and the database since start()."""

    def __init__(self, workers: list[subprocess.Popen[bytes]]) -> None:
        self.workers = [psutil.Process(p.pid) for p in workers]
        self.broker = psutil.Process(int((RUN / "mqtt" / "mosquitto.pid").read_text()))
        self.postmaster = psutil.Process(int((RUN / "pg" / "data" / "postmaster.pid").read_text().split()[0]))
        self.base: dict[str, float] = {}

    @staticmethod
    def _cpu(processes: list[psutil.Process]) -> float:
        total = 0.0
        for p in processes:
            try:
                t = p.cpu_times()
                total += t.user + t.system
            except psutil.Error:
                pass
        return total

    def read(self) -> dict[str, float]:
        """Cumulative CPU seconds per part (database processes that exited meanwhile are not counted)."""
        return {"workers": self._cpu(self.workers), "broker": self._cpu([self.broker]),
                "database": self._cpu([self.postmaster, *self.postmaster.children()])}

    def start(self) -> None:
        """Take the baseline."""
        self.base = self.read()

    def used(self) -> dict[str, float]:
        """CPU seconds per part since start()."""
        return {k: v - self.base.get(k, 0.0) for k, v in self.read().items()}


def drain(url: str, n_workers: int, root: str, group: str, tag: str, total: int
          ) -> tuple[float, float, int, dict[str, float]]:
    """Start the workers on a pre-loaded queue; return (seconds, steady reports/s between 10% and 90%, rows,
    CPU seconds per part from the first stored report to the last)."""
    procs = start_workers(n_workers, url, root, group, tag)
    meter = CpuMeter(procs)
    marks: dict[float, float] = {}
    try:
        with psycopg.connect(url, autocommit=True) as conn:
            t0 = time.monotonic()
            stored = 0
            while stored < total:
                time.sleep(0.5)
                stored = count(conn)
                now = time.monotonic() - t0
                if not meter.base and stored:
                    meter.start()      # the workers' start-up (imports, connections) is not per-report work
                    first = stored
                for share in (0.1, 0.9):
                    if share not in marks and stored >= share * total:
                        marks[share] = now
                if now > 1800:
                    raise RuntimeError(f"only {stored} of {total} reports stored after 30 minutes")
            elapsed = time.monotonic() - t0
            cpu = {k: v / (total - first) for k, v in meter.used().items()}
            rows = sum(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in DB_TABLES)
    finally:
        stop_workers(procs)
    steady = 0.8 * total / max(marks[0.9] - marks[0.1], 1e-9)
    return elapsed, steady, rows, cpu


def copy_baseline(url: str) -> tuple[float, int]:
    """Re-load the rows ingest wrote with plain binary COPY into identical tables; return (seconds, rows).

    The rows are first copied out into prepared binary COPY files; then one COPY per table in one
    transaction: the most favourable case for COPY, so the ratio is conservative.
    """
    folder = RUN / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    files = {table: folder / f"ingest_e2e_{table}.copy" for table in DB_TABLES}
    with psycopg.connect(url, autocommit=True) as conn:
        for table, path in files.items():
            with path.open("wb") as out, \
                    conn.cursor().copy(f"COPY (SELECT * FROM {table}) TO STDOUT (FORMAT BINARY)") as copy:
                for chunk in copy:
                    out.write(chunk)
        for table in DB_TABLES:
            conn.execute(f"CREATE TABLE copy_{table} (LIKE {table} INCLUDING ALL)")
        for table in ("reports", "events"):
            conn.execute(f"SELECT create_hypertable('copy_{table}', 'ts', chunk_time_interval => interval '1 day')")
    try:
        with psycopg.connect(url) as conn:
            t0 = time.monotonic()
            with conn.transaction():
                for table, path in files.items():
                    with path.open("rb") as src, \
                            conn.cursor().copy(f"COPY copy_{table} FROM STDIN (FORMAT BINARY)") as copy:
                        while block := src.read(1 << 20):
                            copy.write(block)
            elapsed = time.monotonic() - t0
            rows = sum(conn.execute(f"SELECT count(*) FROM copy_{t}").fetchone()[0] for t in DB_TABLES)
    finally:
        for path in files.values():
            path.unlink(missing_ok=True)
    return elapsed, rows


_SQL_TYPES = {"int": "int8", "float": "float8", "str": "text", "bool": "bool", "list[str]": "text[]"}


def naive_copy_baseline(url: str, messages: list[tuple[str, bytes]]) -> tuple[float, int]:
    """Plain binary COPY of the same input records stored naively, one row per record and section.

    The rows are prepared (decoded, flattened) before the clock starts; each section gets a table with an
    index on (home_id, ts), as a lean decode-and-COPY consumer would keep. Returns (seconds, rows).
    """
    decoder = Decoder()
    prepared: dict[str, list[list[object]]] = {s.key: [] for s in SECTIONS}
    for _, payload in messages:
        doc = decoder.decode(payload)
        home_id = doc["header"]["home_id"]
        for section in SECTIONS:
            for record in iter_records(doc, section.key):
                prepared[section.key].append([home_id, *(record[f.name] for f in section.fields)])
    with psycopg.connect(url, autocommit=True) as conn:
        for section in SECTIONS:
            columns = ", ".join(f"{f.name} {_SQL_TYPES[f.type]}" for f in section.fields)
            conn.execute(f"CREATE TABLE naive_{section.key} (home_id text, {columns})")
            key = "home_id, ts" if section.fields[0].name == "ts" else "home_id"
            conn.execute(f"CREATE INDEX ON naive_{section.key} ({key})")
    with psycopg.connect(url) as conn:
        t0 = time.monotonic()
        with conn.transaction(), conn.cursor() as cur:
            for section in SECTIONS:
                with cur.copy(f"COPY naive_{section.key} FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(["text", *(_SQL_TYPES[f.type] for f in section.fields)])
                    for row in prepared[section.key]:
                        copy.write_row(row)
        elapsed = time.monotonic() - t0
    return elapsed, sum(len(rows) for rows in prepared.values())


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,3", help="worker counts to run, e.g. 1,2,3")
    parser.add_argument("--reports", type=int, default=120_000)
    parser.add_argument("--homes", type=int, default=2_000)
    parser.add_argument("--samples", type=int, default=5, help="samples per report (5 = 60 s in 300 s)")
    parser.add_argument("--naive-sample", type=int, default=20_000, help="reports in the one-row-per-record baseline")
    args = parser.parse_args()
    root = f"bench{secrets.token_hex(3)}/v1"
    print(f"machine: {describe()}")
    t0 = time.monotonic()
    messages, records = generate(args.reports, args.homes, args.samples, root)
    size = sum(len(p) for _, p in messages) / len(messages)
    print(f"generated {len(messages)} reports ({records / len(messages):.0f} records, {size:.0f} bytes each) "
          f"in {time.monotonic() - t0:.0f} s")
    for n in [int(x) for x in args.workers.split(",")]:
        name = f"bench_ingest_{secrets.token_hex(3)}"
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            admin.execute(f"CREATE DATABASE {name}")
        url = ADMIN.rsplit("/", 1)[0] + f"/{name}"
        try:
            migrate.migrate(url)
            group, tag = f"bench-{secrets.token_hex(3)}", secrets.token_hex(3)
            stop_workers_after = start_workers(n, url, root, group, tag)
            wait_sessions(url, n)
            stop_workers(stop_workers_after)
            published = publish(messages)
            print(f"\nworkers: {n}; pre-loaded {len(messages)} reports into the broker in {published:.0f} s")
            elapsed, steady, rows, cpu = drain(url, n, root, group, tag, len(messages))
            rate = len(messages) / elapsed
            print(f"  ingest: {len(messages)} reports in {elapsed:.1f} s = {rate:,.0f} reports/s "
                  f"(steady {steady:,.0f}/s), {records / elapsed:,.0f} input records/s, "
                  f"{rows / elapsed:,.0f} db rows/s ({rows} rows in {', '.join(DB_TABLES)}); "
                  f"load average {os.getloadavg()[0]:.1f} at the end")
            per_report = sum(cpu.values())
            print(f"  CPU per report: {', '.join(f'{k} {v * 1e6:,.0f} us' for k, v in cpu.items())}, "
                  f"total {per_report * 1e6:,.0f} us = {(os.cpu_count() or 1) / per_report:,.0f} reports/s "
                  f"if this run had the machine's {os.cpu_count()} cores to itself")
            copy_s, copy_rows = copy_baseline(url)
            print(f"  plain binary COPY of the same {copy_rows} stored rows from prepared files: {copy_s:.1f} s = "
                  f"{copy_rows / copy_s:,.0f} rows/s = {len(messages) / copy_s:,.0f} reports/s; "
                  f"ingest reaches {copy_s / elapsed:.0%} of it")
            sample = messages[:args.naive_sample]
            naive_s, naive_rows = naive_copy_baseline(url, sample)
            ingest_records = records / elapsed
            print(f"  plain binary COPY of the input records, one row each ({naive_rows} rows of {len(sample)} "
                  f"reports, prepared): {naive_rows / naive_s:,.0f} rows/s = {len(sample) / naive_s:,.0f} reports/s; "
                  f"ingest's {ingest_records:,.0f} records/s is {ingest_records / (naive_rows / naive_s):.0%} of it")
        finally:
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


if __name__ == "__main__":
    main()
