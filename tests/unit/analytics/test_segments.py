"""Segments give findings their context: behaviour, tenure, and which messages mean anything to a home."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from porchlight_cloud.analytics.segments import (
    ESTABLISHED,
    NEW_SUBSCRIBER,
    STREAMING_APPS,
    HouseholdUsage,
    allows_finding,
    segment_of,
    thresholds_for,
)

NOW = datetime(2026, 3, 2, tzinfo=UTC)


def test_a_household_that_streams_most_evenings_is_a_streamer() -> None:
    s = segment_of("h", HouseholdUsage(14, streaming_days=12, streaming_bytes_per_day=3e9, bytes_per_day=4e9),
                   NOW - timedelta(days=400), NOW)
    assert s.streams and s.tenure == "established"


def test_home_that_never_streams_gets_no_streaming_warning() -> None:
    s = segment_of("h", HouseholdUsage(14, work_weekdays=9, bytes_per_day=2e9), NOW - timedelta(days=400), NOW)
    assert not s.streams and "work_from_home" in s.behaviours
    assert not allows_finding(s, "streaming_device_silent")
    assert allows_finding(s, "smtp_spam")


def test_a_light_user_is_light() -> None:
    s = segment_of("h", HouseholdUsage(14, bytes_per_day=5e7), None, NOW)
    assert s.behaviours == frozenset({"light_user"})


def test_the_first_two_weeks_are_new_and_get_the_gentler_thresholds() -> None:
    new = segment_of("h", HouseholdUsage(3), NOW - timedelta(days=3), NOW)
    old = segment_of("h", HouseholdUsage(14), NOW - timedelta(days=30), NOW)
    assert new.is_new and thresholds_for(new) is NEW_SUBSCRIBER
    assert thresholds_for(old) is ESTABLISHED
    assert NEW_SUBSCRIBER.poor_score > ESTABLISHED.poor_score
    assert NEW_SUBSCRIBER.min_poor_hours_daily < ESTABLISHED.min_poor_hours_daily



def test_every_video_service_the_agents_application_table_names_counts_as_streaming() -> None:
    table = json.loads((Path(__file__).resolve().parents[3] / "agent/porchlight_agent/data/app_tables.json")
                       .read_text(encoding="utf-8"))
    video = {"netflix", "youtube", "disneyplus", "primevideo", "twitch"}
    assert video <= set(table["names"])  # the names the agent reports ...
    assert video <= STREAMING_APPS  # ... are the names the cloud counts as streaming
