"""Health collector: the gateway's own state and the agent's footprint, read only through the Sources seam."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from porchlight_agent import __version__
from porchlight_agent.aggregate import aggregate, inputs
from porchlight_agent.collectors.base import record_to_wire
from porchlight_agent.collectors.health import (
    HealthCollector,
    HealthSample,
    parse_meminfo,
    parse_proc_stat,
    parse_self_stat_ticks,
)
from porchlight_agent.sources import FixtureRunner, Sources
from porchlight_wire.schema import HEALTH

FIXTURES = Path(__file__).parents[2] / "fixtures" / "agent" / "health"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    shutil.copytree(FIXTURES / "openwrt_t0", tmp_path, dirs_exist_ok=True)
    return tmp_path


def advance(root: Path) -> None:
    """Move the fixture gateway on to its second moment (60 s later)."""
    shutil.copytree(FIXTURES / "openwrt_t1", root, dirs_exist_ok=True)


def sources(root: Path) -> Sources:
    return Sources(root=root, runner=FixtureRunner(), clock_ticks=100)


def test_health_samples_fold_into_a_record_with_exactly_the_schema_fields() -> None:
    assert HealthSample.SECTION == "health"
    sample = record_to_wire(HealthSample(ts=1))
    assert set(sample) <= inputs("health")  # every field the collector samples is used by the report
    [record] = aggregate("health", [sample])
    assert tuple(record) == HEALTH.names


def test_first_sample_reports_levels_but_no_interval_deltas(root: Path) -> None:
    [sample] = HealthCollector(sources(root)).collect(1_700_000_000)
    assert sample.ts == 1_700_000_000
    assert sample.uptime_s == 350735
    assert sample.load1 == 0.21
    assert sample.mem_total_kb == 1011112
    assert sample.mem_used_pct == 30.5
    assert sample.conntrack_entries == 287
    assert sample.wan_up is True
    assert sample.agent_rss_kb == 12720
    # Deltas need two readings.
    assert (sample.cpu_pct, sample.wan_rx_bytes, sample.wan_tx_bytes, sample.wan_flaps, sample.agent_cpu_ms) == (
        None, None, None, None, None)


def test_second_sample_reports_cpu_wan_and_agent_deltas(root: Path) -> None:
    collector = HealthCollector(sources(root))
    collector.collect(1_700_000_000)
    advance(root)
    [sample] = collector.collect(1_700_000_060)
    assert sample.cpu_pct == 25.0  # 6000 busy of 24000 ticks (4 cores x 60 s x 100 Hz)
    assert sample.wan_rx_bytes == 100_000_000
    assert sample.wan_tx_bytes == 10_000_000
    assert sample.wan_flaps == 1  # carrier_down_count 1 -> 2
    assert sample.agent_cpu_ms == 80  # utime+stime 1830 -> 1838 ticks
    assert sample.agent_rss_kb == 12800
    assert sample.conntrack_entries == 312


def test_wan_interface_is_found_from_the_default_route(root: Path) -> None:
    assert HealthCollector(sources(root)).wan_interface() == "wan"
    assert HealthCollector(sources(root), wan="eth1").wan_interface() == "eth1"


def test_wan_counter_reset_after_reconnect_never_gives_negative_delta(root: Path) -> None:
    collector = HealthCollector(sources(root))
    collector.collect(1)
    (root / "sys/class/net/wan/statistics/rx_bytes").write_text("5000\n")
    [sample] = collector.collect(61)
    assert sample.wan_rx_bytes == 5000


def test_32_bit_wan_counter_wrap_is_counted_across_the_wrap(root: Path) -> None:
    (root / "sys/class/net/wan/statistics/rx_bytes").write_text(f"{2**32 - 1000}\n")
    collector = HealthCollector(sources(root))
    collector.collect(1)
    (root / "sys/class/net/wan/statistics/rx_bytes").write_text("500\n")
    [sample] = collector.collect(61)
    assert sample.wan_rx_bytes == 1500


def test_wan_down_is_reported_as_link_down(root: Path) -> None:
    (root / "sys/class/net/wan/operstate").write_text("down\n")
    (root / "sys/class/net/wan/carrier").write_text("0\n")
    [sample] = HealthCollector(sources(root)).collect(1)
    assert sample.wan_up is False


def test_flaps_fall_back_to_carrier_changes_on_kernels_without_down_count(root: Path) -> None:
    (root / "sys/class/net/wan/carrier_down_count").unlink()
    collector = HealthCollector(sources(root))
    collector.collect(1)
    (root / "sys/class/net/wan/carrier_changes").write_text("6\n")  # 2 -> 6: down, up, down, up
    [sample] = collector.collect(61)
    assert sample.wan_flaps == 2


def test_missing_proc_files_give_nulls_not_errors(tmp_path: Path) -> None:
    [sample] = HealthCollector(sources(tmp_path)).collect(5)
    assert sample == HealthSample(ts=5, wan_up=False)


def test_identity_comes_from_openwrt_release_and_sysinfo_model(root: Path) -> None:
    identity = HealthCollector(sources(root)).identity()
    assert identity.model == "GL.iNet GL-MT6000"
    assert identity.firmware == "23.05.3 r23809-234f1a2efa"
    assert identity.agent_version == __version__


def test_identity_off_openwrt_uses_dmi_and_os_release_or_configured_values() -> None:
    src = sources(FIXTURES / "debian_box")
    assert HealthCollector(src).identity().model == "APU2"
    assert HealthCollector(src).identity().firmware == "Debian GNU/Linux 12 (bookworm)"
    configured = HealthCollector(src, model="Acme CPE-1", firmware="acme-2.1").identity()
    assert (configured.model, configured.firmware) == ("Acme CPE-1", "acme-2.1")


def test_meminfo_without_memavailable_uses_free_plus_caches() -> None:
    total, used = parse_meminfo((FIXTURES / "debian_box/proc/meminfo").read_text())
    assert total == 254012
    assert used == 60.0  # (254012 - 101600) / 254012


def test_proc_stat_counts_iowait_as_idle() -> None:
    times = parse_proc_stat("cpu  100 0 50 800 50 0 0 0 0 0\n")
    assert times is not None
    assert (times.busy, times.total) == (150, 1000)


def test_self_stat_with_parentheses_and_spaces_in_the_process_name() -> None:
    line = "99 (a) b (c) S 1 99 99 0 -1 0 0 0 0 0 42 8 0 0 20 0 1 0 1 1 1\n"
    assert parse_self_stat_ticks(line) == 50
