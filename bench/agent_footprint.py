"""Agent footprint: CPU time of one full sampling cycle and resident memory over many cycles, for a synthetic
busy home (40 devices, 16 Wi-Fi stations on two radios, 2,000 conntrack entries) built as fixture files in
a temporary directory plus a fake command runner. Counters advance every cycle and 2% of the flows are
replaced by new ones, so every delta path is exercised.

A cycle is what the agent does every 60 s: the ``SamplingLoop`` runs all five collectors and folds their
records into the report's aggregates; every fifth cycle it cuts a report, which is then built (rounded,
sorted, columnar) and encoded with the shipped zstd dictionary, as the daemon does before queueing it.

Run on purpose, not by the test suite::

    .venv/bin/python bench/agent_footprint.py [--cycles 1800] [--timed 300]

Targets: median cycle <= 20 ms CPU, RSS <= 20 MB with no growth.
"""

from __future__ import annotations

import gc
import os
import platform
import struct
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from machine import describe
from porchlight_agent.collectors.apps import AppsCollector
from porchlight_agent.collectors.base import record_to_wire
from porchlight_agent.collectors.health import HealthCollector
from porchlight_agent.collectors.inventory import InventoryCollector
from porchlight_agent.collectors.probes import ProbesCollector
from porchlight_agent.collectors.wifi import WifiCollector
from porchlight_agent.loop import Intervals, SamplingLoop
from porchlight_agent.report import HeaderIdentity, ReportBuilder
from porchlight_agent.sources import CommandNotFound, Sources
from porchlight_wire.codec import DictionaryStore, Encoder
from rss import bare_interpreter_rss_kb, daemon_import_rss_kb, rss_kb

DEVICES = 40
STATIONS = {"phy0-ap0": 6, "phy1-ap0": 10}
FLOWS = 2000
CHURN = 40  # flows replaced by new connections each cycle
INTERVAL = 60
REMOTES = ([f"45.57.{i}.{j}" for i in range(4) for j in (10, 20)]
           + [f"142.250.{i}.14" for i in range(20)] + [f"151.101.{i}.140" for i in range(40)]
           + [f"{a}.{b}.{c}.{d}" for a, b, c, d in ((31, 13, 64, 35), (157, 240, 1, 35), (17, 253, 144, 10))]
           + [f"93.184.{i}.{j}" for i in range(10) for j in range(20)])


def mac_of(i: int) -> str:
    return f"3c:22:fb:00:{i // 256:02x}:{i % 256:02x}" if i % 5 else f"7e:9a:10:00:00:{i:02x}"


class BenchHome:
    """The synthetic home: writes /proc-style files for cycle ``n`` and answers commands."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.cycle = 0
        for path, text in self._static_files().items():
            target = root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        self.stations = [(radio, mac_of(i + n * 8)) for n, (radio, count) in enumerate(STATIONS.items())
                         for i in range(count)]
        self.neigh = "".join(
            f"192.168.1.{100 + i} dev br-lan lladdr {mac_of(i)} {'REACHABLE' if i % 3 else 'STALE'}\n"
            + (f"2001:db8:1::{i + 1:x} dev br-lan lladdr {mac_of(i)} STALE\n" if i % 2 else "")
            for i in range(DEVICES)) + "100.64.0.1 dev wan lladdr 00:1b:21:0a:0b:0c REACHABLE\n"
        self.ping = ("PING x (x) 56(84) bytes of data.\n"
                     + "".join(f"64 bytes from x: icmp_seq={i} ttl=64 time={1.2 + i / 10:.2f} ms\n"
                               for i in range(1, 6))
                     + "\n--- x ping statistics ---\n5 packets transmitted, 5 received, 0% packet loss, time 4006ms\n")

    def _static_files(self) -> dict[str, str]:
        leases = "".join(f"1900000000 {mac_of(i)} 192.168.1.{100 + i} host-{i} *\n" for i in range(DEVICES))
        return {
            "/tmp/dhcp.leases": leases,
            "/tmp/sysinfo/model": "Bench Router\n",
            "/etc/openwrt_release": "DISTRIB_RELEASE='23.05.3'\nDISTRIB_REVISION='r23809'\n",
            "/proc/net/route": ("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\tMTU\tWindow\tIRTT\n"
                                "wan\t00000000\t01004064\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"),
            "/proc/sys/net/netfilter/nf_conntrack_acct": "1\n",
            "/sys/class/net/wan/operstate": "up\n",
            "/sys/class/net/wan/carrier": "1\n",
            "/sys/class/net/wan/carrier_down_count": "0\n",
            "/etc/config/firewall": "config defaults\n\toption input 'REJECT'\n",
            "/proc/meminfo": "MemTotal: 1011112 kB\nMemFree: 612340 kB\nMemAvailable: 702220 kB\n",
        }

    def advance(self) -> None:
        """Write the gateway's files as they are at the next cycle."""
        self.cycle += 1
        n = self.cycle
        files = {
            "/proc/uptime": f"{350000 + n * INTERVAL}.12 1000.0\n",
            "/proc/loadavg": "0.21 0.35 0.30 1/123 4567\n",
            "/proc/stat": f"cpu  {1000 * n} 0 {500 * n} {20000 * n} 10 0 {100 * n} 0 0 0\n",
            "/proc/sys/net/netfilter/nf_conntrack_count": f"{FLOWS}\n",
            "/sys/class/net/wan/carrier_changes": "0\n",
            "/sys/class/net/wan/statistics/rx_bytes": f"{n * 700_000_000}\n",
            "/sys/class/net/wan/statistics/tx_bytes": f"{n * 60_000_000}\n",
            "/proc/self/stat": f"1 (python3) S 1 1 1 0 -1 0 0 0 0 0 {n * 2} {n} 0 0 20 0 1 0 1 1 1\n",
            "/proc/self/status": "Name:\tpython3\nVmRSS:\t   12800 kB\n",
        }
        for path, text in files.items():
            target = self.root / path.lstrip("/")
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        # Written line by line so the bench's own buffers do not count in the agent's peak memory.
        with open(self.root / "proc/net/nf_conntrack", "w") as fh:
            for line in self._conntrack(n):
                fh.write(line)

    def _conntrack(self, n: int) -> Iterator[str]:
        for i in range(FLOWS):
            generation = (n + (i % 50)) // 50 if i % 50 < CHURN // (FLOWS // 50) else 0
            age = n - generation * 50 if generation else n
            device = 100 + i % DEVICES
            remote = REMOTES[i % len(REMOTES)]
            sport = 30000 + i + generation * 7
            up, down = (120 + i % 7) * age, (1400 + i % 13) * age
            kind = i % 20
            if kind == 0:
                yield (
                    f"ipv4     2 icmp     1 29 src=192.168.1.{device} dst={remote} type=8 code=0 id={i} "
                    f"packets={age} bytes={age * 84} src={remote} dst=100.64.12.34 type=0 code=0 id={i} "
                    f"packets={age} bytes={age * 84} mark=0 zone=0 use=2\n")
            elif kind < 6:
                yield (
                    f"ipv4     2 udp      17 170 src=192.168.1.{device} dst={remote} sport={sport} dport=443 "
                    f"packets={age * 3} bytes={up} src={remote} dst=100.64.12.34 sport=443 dport={sport} "
                    f"packets={age * 5} bytes={down} [ASSURED] mark=0 zone=0 use=2\n")
            elif kind < 8:
                v6 = f"2001:0db8:0001:0000:0000:0000:0000:{(device - 99):04x}"
                yield (
                    f"ipv6     10 tcp      6 86399 ESTABLISHED src={v6} "
                    f"dst=2a00:1450:4009:081f:0000:0000:0000:{i:04x} sport={sport} dport=443 packets={age * 2} "
                    f"bytes={up} src=2a00:1450:4009:081f:0000:0000:0000:{i:04x} dst={v6} sport=443 "
                    f"dport={sport} packets={age * 4} bytes={down} [ASSURED] mark=0 zone=0 use=2\n")
            else:
                yield (
                    f"ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.{device} dst={remote} sport={sport} "
                    f"dport=443 packets={age * 2} bytes={up} src={remote} dst=100.64.12.34 sport=443 "
                    f"dport={sport} packets={age * 4} bytes={down} [ASSURED] mark=0 zone=0 use=2\n")

    def station_dump(self, radio: str) -> str:
        n = self.cycle
        blocks = []
        for i, (where, mac) in enumerate(self.stations):
            if where != radio:
                continue
            blocks.append(
                f"Station {mac} (on {radio})\n\tinactive time:\t{100 + i} ms\n\trx bytes:\t{n * 40000 * (i + 1)}\n"
                f"\trx packets:\t{n * 300}\n\ttx bytes:\t{n * 900000 * (i + 1)}\n\ttx packets:\t{n * 700}\n"
                f"\ttx retries:\t{n * 20}\n\ttx failed:\t{n // 10}\n\tsignal:  \t-{50 + i} [-{52 + i}, -{53 + i}] dBm\n"
                f"\tsignal avg:\t-{51 + i} [-{53 + i}, -{54 + i}] dBm\n"
                f"\ttx bitrate:\t1200.9 MBit/s 80MHz HE-MCS 11 HE-NSS 2 HE-GI 0 HE-DCM 0\n"
                f"\ttx duration:\t{n * 1_000_000} us\n"
                f"\trx bitrate:\t864.8 MBit/s 80MHz HE-MCS 8 HE-NSS 2 HE-GI 0 HE-DCM 0\n"
                f"\trx duration:\t{n * 200_000} us\n\texpected throughput:\t553.466Mbps\n\tauthorized:\tyes\n"
                f"\tauthenticated:\tyes\n\tassociated:\tyes\n\tconnected time:\t{3600 + n * INTERVAL} seconds\n")
        return "".join(blocks)

    def survey(self, radio: str) -> str:
        n = self.cycle
        freq = 2437 if radio == "phy0-ap0" else 5180
        return (f"Survey data from {radio}\n\tfrequency:\t{freq} MHz [in use]\n\tnoise:\t-92 dBm\n"
                f"\tchannel active time:\t{n * 60000} ms\n\tchannel busy time:\t{n * 15000} ms\n"
                f"\tchannel receive time:\t{n * 9000} ms\n\tchannel transmit time:\t{n * 3000} ms\n"
                f"Survey data from {radio}\n\tfrequency:\t{freq + 20} MHz\n\tnoise:\t-95 dBm\n")

    iw_dev = ("phy#1\n\tInterface phy1-ap0\n\t\tifindex 12\n\t\taddr 94:83:c4:a0:00:02\n\t\ttype AP\n"
              "\t\tchannel 36 (5180 MHz), width: 80 MHz, center1: 5210 MHz\n"
              "phy#0\n\tInterface phy0-ap0\n\t\tifindex 11\n\t\taddr 94:83:c4:a0:00:01\n\t\ttype AP\n"
              "\t\tchannel 6 (2437 MHz), width: 20 MHz, center1: 2437 MHz\n")

    def run(self, argv: Sequence[str], timeout: float) -> str:
        """The fake command runner."""
        key = tuple(argv)
        if key == ("iw", "dev"):
            return self.iw_dev
        if key[:2] == ("iw", "dev") and key[3:] == ("station", "dump"):
            return self.station_dump(key[2])
        if key[:2] == ("iw", "dev") and key[3:] == ("survey", "dump"):
            return self.survey(key[2])
        if key == ("ip", "neigh", "show"):
            return self.neigh
        if key[0] == "ping":
            return self.ping
        raise CommandNotFound(f"{key[0]}: not in the bench")


def fake_resolver(host: str, port: int, payload: bytes, timeout: float) -> bytes:
    txid = struct.unpack("!H", payload[:2])[0]
    return struct.pack("!HHHHHH", txid, 0x8180, 1, 0, 0, 0) + payload[12:]


def median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def remove_tree(path: Path) -> None:
    for top, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.unlink(os.path.join(top, name))
        for name in dirs:
            os.rmdir(os.path.join(top, name))
    os.rmdir(path)


def build(root: Path) -> tuple[BenchHome, list[Any]]:
    home = BenchHome(root)
    sources = Sources(root=root, runner=home.run, udp=fake_resolver, clock_ticks=100)
    wifi = WifiCollector(sources, use_hostapd=False)
    inventory = InventoryCollector(sources, wifi=wifi)
    collectors: list[Any] = [
        HealthCollector(sources),
        wifi,
        inventory,
        AppsCollector(sources, inventory=inventory),
        ProbesCollector(sources, targets=["1.1.1.1"]),
    ]
    return home, collectors


class Counted:
    """A collector that counts the records it returns (the loop hides them)."""

    def __init__(self, collector: Any) -> None:
        self.collector = collector
        self.name = collector.name
        self.records = 0

    def collect(self, ts: int) -> list[Any]:
        records = list(self.collector.collect(ts))
        self.records += len(records)
        return records


IDENTITY = HeaderIdentity("home-bench", "gw-bench", "Bench Router", "23.05.3 r23809", "0.1.0")


class Pipeline:
    """The agent's main-thread work without the network: sample + fold every cycle, cut, build and encode
    a report every fifth."""

    def __init__(self, collectors: Sequence[Any], ts: int) -> None:
        self.counted = [Counted(c) for c in collectors]
        self.loop = SamplingLoop(self.counted, Intervals(INTERVAL, 5 * INTERVAL), ts)
        store = DictionaryStore.shipped()
        newest = store.newest()
        self.encoder = Encoder(store.raw(newest) if newest is not None else None)
        self.seq = 0
        self.report_bytes = 0

    def cycle(self, ts: int) -> tuple[int, ReportBuilder | None]:
        """Sample at ``ts``: (records the collectors returned, the finished report's builder if one was cut)."""
        before = sum(c.records for c in self.counted)
        finished = self.loop.step(ts)
        return sum(c.records for c in self.counted) - before, finished

    def publish(self, builder: ReportBuilder) -> None:
        """Build and encode a finished report (what the daemon does before queueing it)."""
        message = self.encoder.encode(builder.build(IDENTITY, boot_id="bench", seq=self.seq))
        self.report_bytes = len(message)
        self.seq += 1


class Args:
    """Command-line options (parsed by hand: argparse alone adds 0.4 MB to the RSS being measured)."""

    cycles = 1800  # cycles of the memory run
    timed = 300  # cycles timed one by one


def parse_args(argv: list[str]) -> Args:
    args = Args()
    while argv:
        flag = argv.pop(0)
        if flag in ("--cycles", "--timed") and argv:
            setattr(args, flag[2:], int(argv.pop(0)))
        else:
            raise SystemExit(f"usage: agent_footprint.py [--cycles N] [--timed N] (unknown {flag!r})")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else list(argv))
    imported = rss_kb()
    print(describe())
    print(f"home: {DEVICES} devices, {sum(STATIONS.values())} stations on {len(STATIONS)} radios, "
          f"{FLOWS} conntrack entries ({CHURN} replaced per cycle)")

    # (tempfile and statistics are not imported: their imports alone cost 2 MB of the RSS being measured.)
    tmp = Path(f"/tmp/porchlight-bench-{os.getpid()}")
    tmp.mkdir()
    try:
        home, collectors = build(tmp)
        ts = 1_700_000_000
        pipeline = Pipeline(collectors, ts)
        # Warm up: the first cycles set baselines and fill caches.
        for _ in range(6):
            home.advance()
            ts += INTERVAL
            _, finished = pipeline.cycle(ts)
            if finished is not None:
                pipeline.publish(finished)
        times_ms, report_ms = [], []
        per_collector: dict[str, list[float]] = {c.name: [] for c in collectors}
        n_records = 0
        for _ in range(args.timed):
            home.advance()
            ts += INTERVAL
            start = time.process_time()
            n_records, finished = pipeline.cycle(ts)
            times_ms.append((time.process_time() - start) * 1000.0)
            if finished is not None:
                start = time.process_time()
                pipeline.publish(finished)
                report_ms.append((time.process_time() - start) * 1000.0)
        # Then 20 cycles timing each collector on its own.
        for _ in range(20):
            home.advance()
            ts += INTERVAL
            for collector in collectors:
                start = time.process_time()
                for record in collector.collect(ts):
                    record_to_wire(record)
                per_collector[collector.name].append((time.process_time() - start) * 1000.0)
        times_ms.sort()
        p90 = times_ms[int(0.9 * (len(times_ms) - 1))]
        print(f"cycle CPU time over {len(times_ms)} cycles ({n_records} records per cycle, sampled and folded "
              f"into the report): median {median(times_ms):.2f} ms, p90 {p90:.2f} ms, max {times_ms[-1]:.2f} ms "
              f"(target median <= 20 ms)")
        print(f"  every fifth cycle, building + encoding the report ({pipeline.report_bytes} bytes, codec "
              f"{pipeline.encoder.codec_name}): median {median(report_ms):.2f} ms, max {max(report_ms):.2f} ms")
        print("  per collector, median ms: " + ", ".join(
            f"{name} {median(values):.2f}" for name, values in per_collector.items()))

        # Memory: ~30 minutes of simulated 1 s cycles as fast as possible, RSS every 100 cycles.
        gc.collect()
        samples = [rss_kb()]
        for i in range(1, args.cycles + 1):
            home.advance()
            ts += INTERVAL
            _, finished = pipeline.cycle(ts)
            if finished is not None:
                pipeline.publish(finished)
            if i % 100 == 0:
                samples.append(rss_kb())
        print(f"RSS over {args.cycles} cycles (sampled every 100): start {samples[0] / 1024:.1f} MB, "
              f"end {samples[-1] / 1024:.1f} MB, max {max(samples) / 1024:.1f} MB (target <= 20 MB, no growth)")
        print("  samples (MB): " + " ".join(f"{s / 1024:.1f}" for s in samples))
        bare = bare_interpreter_rss_kb()
        print(f"  a bare python{platform.python_version()} here is {bare / 1024:.1f} MB; with the modules of the cycle "
              f"imported (collectors, loop, report, the wire codec with zstandard) {imported / 1024:.1f} MB; "
              f"sampling, aggregation and encoding add {(max(samples) - imported) / 1024:.1f} MB (tables, flow "
              f"state, buffers)")
        print(f"  the daemon's modules (paho-mqtt included) before its first sample: "
              f"{daemon_import_rss_kb(without_ssl=False) / 1024:.1f} MB with ssl, "
              f"{daemon_import_rss_kb(without_ssl=True) / 1024:.1f} MB as on a gateway without python3-openssl")
    finally:
        remove_tree(tmp)
    return 0


if __name__ == "__main__":
    sys.exit(main())
