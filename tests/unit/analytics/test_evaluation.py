"""Scoring against ground truth: a Wi-Fi fault the household could not feel is reported apart, not relabelled."""

from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.evaluation import Flag, Truth, score_home_kind

T0 = datetime(2026, 3, 15, 8, tzinfo=UTC)


def interference(home: str) -> Truth:
    return Truth(f"f-{home}", "wifi_interference", T0, T0 + timedelta(hours=20), frozenset({home}), band="2.4")


def flagged(home: str) -> Flag:
    return Flag(home, "struggling_daily", "struggling", "home_wifi", T0.replace(hour=0), T0.replace(hour=0)
                + timedelta(days=1), T0 + timedelta(hours=16, minutes=30))


def test_recall_counts_every_home_and_the_note_counts_the_exposed_ones_apart() -> None:
    truths = [interference("h1"), interference("h2"), interference("h3")]
    # h1 and h2 used the flooded band; h3's devices were all on 5 GHz. h1 was found.
    s = score_home_kind("wifi_interference", truths, [flagged("h1")], T0 + timedelta(days=2),
                        exposed=frozenset({"h1", "h2"}))
    assert s.recall is not None and round(s.recall, 2) == 0.33  # over every home the simulator touched
    assert s.recall_exposed == 0.5  # over the two homes the flood could hurt
    assert "2/3, found 1/2" in s.note and "found unexposed: 0" in s.note
    assert s.precision == 1.0


def test_without_exposure_the_note_is_left_alone() -> None:
    s = score_home_kind("wifi_interference", [interference("h1")], [], T0 + timedelta(days=2))
    assert s.recall == 0.0 and s.note == ""
