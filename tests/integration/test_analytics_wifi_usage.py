"""The Wi-Fi score on a real database: each device's usual share of use comes from app_daily through the daily job,
and the hourly score weighs a weak link by it; the neighbours' air is told from the home's own."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from porchlight_cloud.analytics import qoe_job

sys.path.insert(0, str(Path(__file__).parent))  # the fixtures' helpers (tests run with --import-mode=importlib)
from test_analytics_jobs import add_device, add_home, hourly, label

pytestmark = pytest.mark.integration

DAY = date(2026, 3, 9)
NEXT = datetime(2026, 3, 10, 14, tzinfo=UTC)  # an afternoon hour of the day after


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


def daily_use(conn: psycopg.Connection, home: int, device: int, app: int, bytes_per_day: int) -> None:
    for back in range(7):
        conn.execute("INSERT INTO app_daily (home_key, bucket, device_key, app_id, bytes_up, bytes_down, flows,"
                     " new_flows, dests_max, active_s) VALUES (%s, %s, %s, %s, %s, %s, 10, 5, 3, 3600)",
                     (home, datetime.combine(DAY - timedelta(days=back), datetime.min.time(), UTC), device, app,
                      bytes_per_day // 10, bytes_per_day - bytes_per_day // 10))


def station_report(conn: psycopg.Connection, home: int, ts: datetime, stations: list[tuple[int, int, int, int]],
                   radios: Sequence[tuple[int, int, int]] = ()) -> None:
    """stations: (device_key, band_dghz, signal dBm, bytes); radios: (band_dghz, busy %, own tx+rx %)."""
    st_q = [v for _, band, sig, _ in stations for v in (band, sig, sig - 2, 20 if sig < -75 else 400, 300, 0)]
    st_c = [float(v) for *_, b in stations for v in (b * 0.9, b * 0.1, max(1, b // 1500), 0)]
    ra = [v for band, busy, own in radios for v in (band, 6, 20, -92, busy, own, 0, 1)]
    conn.execute("INSERT INTO reports (ts, home_key, boot_key, seq, span_s, sample_interval_s, kind, flags,"
                 " st_device, st_q, st_c, ra) VALUES (%s, %s, 1, %s, 300, 60, 0, 0, %s, %s, %s, %s)",
                 (ts, home, int(ts.timestamp()) // 300, [s[0] for s in stations], st_q, st_c, ra or None))


def test_a_weak_tv_the_home_streams_on_daily_pulls_wifi_down_in_an_idle_hour_a_weak_speaker_does_not(conn) -> None:
    streaming, speaker_home = add_home(conn, "h-tv"), add_home(conn, "h-speaker")
    netflix, web = label(conn, "netflix"), label(conn, "web")
    tv = add_device(conn, streaming, "aa:00:00:00:00:01", "tv")
    phone = add_device(conn, streaming, "aa:00:00:00:00:02", "phone")
    daily_use(conn, streaming, tv, netflix, 6_000_000_000)
    daily_use(conn, streaming, phone, web, 1_000_000_000)
    speaker = add_device(conn, speaker_home, "aa:00:00:00:01:01", "speaker")
    laptop = add_device(conn, speaker_home, "aa:00:00:00:01:02", "laptop")
    daily_use(conn, speaker_home, speaker, web, 2_000_000)
    daily_use(conn, speaker_home, laptop, web, 3_000_000_000)

    assert qoe_job.update_device_usage(conn, DAY) == 4
    shares = dict(conn.execute("SELECT device_key, usual_share FROM device_usage WHERE day = %s", (DAY,)).fetchall())
    assert round(shares[tv], 3) == round(6 / 7, 3) and shares[speaker] < 0.001

    for home, weak, fine in ((streaming, tv, phone), (speaker_home, speaker, laptop)):
        hourly(conn, home, NEXT)
        # The weak device idles (keep-alives only); the other one carries the hour's traffic.
        station_report(conn, home, NEXT + timedelta(minutes=5), [(weak, 24, -83, 30_000), (fine, 50, -50, 40_000_000)])
    qoe_job.score_window(conn, NEXT, NEXT + timedelta(hours=1))
    wifi = dict(conn.execute("SELECT home_key, wifi FROM qoe_hourly").fetchall())
    assert wifi[streaming] < 60  # the TV normally carries 86 % of what the home moves
    assert wifi[speaker_home] >= 95  # the speaker moves a few MB a day: its weak link is not the home's problem
    reasons = conn.execute("SELECT reasons FROM qoe_hourly WHERE home_key = %s", (streaming,)).fetchone()
    assert reasons is not None and reasons[0][0]["numbers"]["mac"] == "aa:00:00:00:00:01"


def test_a_neighbours_flood_on_the_band_in_use_counts_and_the_homes_own_airtime_does_not(conn) -> None:
    flooded, busy_itself = add_home(conn, "h-flooded"), add_home(conn, "h-own")
    for home in (flooded, busy_itself):
        dev = add_device(conn, home, f"aa:00:00:00:0{home}:01", "tv")
        hourly(conn, home, NEXT)
        own = 4 if home == flooded else 70
        station_report(conn, home, NEXT + timedelta(minutes=5), [(dev, 50, -52, 1_500_000_000)],
                       [(50, 80, own), (24, 20, 1)])
    qoe_job.score_window(conn, NEXT, NEXT + timedelta(hours=1))
    wifi = dict(conn.execute("SELECT home_key, wifi FROM qoe_hourly").fetchall())
    assert wifi[flooded] == 35  # 76 % of the air is someone else's: 76 on the busy ramp (70 -> 50, 90 -> 0)
    assert wifi[busy_itself] >= 95  # 80 % busy, 70 points of it its own stream
