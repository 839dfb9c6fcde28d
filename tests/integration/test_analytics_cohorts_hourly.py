"""The hourly cohort pass on a real database: a bad rollout is named within hours; a good rollout's single upgrade
reboot is not a finding."""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from porchlight_cloud.analytics import cohort_job

sys.path.insert(0, str(Path(__file__).parent))  # the fixtures' helpers (tests run with --import-mode=importlib)
from test_analytics_jobs import add_home

pytestmark = pytest.mark.integration

ROLLOUT = datetime(2026, 3, 12, 2, tzinfo=UTC)


@pytest.fixture
def conn(db_url: str) -> Iterator[psycopg.Connection]:
    with psycopg.connect(db_url, autocommit=True) as c:
        yield c


def test_a_rollout_that_drops_clients_is_named_hours_after_it_and_a_good_rollouts_reboot_is_not(conn) -> None:
    rng = random.Random(3)
    rows = []
    for i in range(90):
        firmware = "24.10.0" if i < 4 else "24.10.1" if i < 10 else "23.05.5"  # 4 bad, 6 good upgrades
        k = add_home(conn, f"h{i:03d}", f"north-a{i % 3 + 1}-n1", "E8450", firmware)
        for hour in range(-72, 7):
            t = ROLLOUT + timedelta(hours=hour)
            after = hour >= 0
            stability = rng.gauss(62 if after and firmware == "24.10.0" else 96, 3)
            health = 40.0 if hour == 0 and firmware != "23.05.5" else 100.0  # the upgrade reboots once
            rows.append((k, t, min(stability, health), rng.gauss(95, 2), rng.gauss(95, 2), health, stability))
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO qoe_hourly (home_key, bucket, score, wifi, access, health, stability) VALUES"
                        " (%s, %s, %s, %s, %s, %s, %s)", rows)
    found = cohort_job.run_hourly(conn, ROLLOUT + timedelta(hours=6, minutes=15))
    assert {(f.firmware, f.component) for f in found} == {("24.10.0", "stability")}
