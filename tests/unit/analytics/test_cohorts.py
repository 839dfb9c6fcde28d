"""Cohorts: a (model, firmware) worse than its model on other firmware, after allowing for region and time."""

import random

from porchlight_cloud.analytics.cohorts import HomeCohortValues, analyse, analyse_with_change, residualize
from porchlight_cloud.analytics.significance import compare, mann_whitney_lower, t_sf, welch_lower


def test_t_distribution_tail_matches_tables() -> None:
    assert abs(t_sf(2.228, 10) - 0.025) < 1e-3
    assert abs(t_sf(0.0, 5) - 0.5) < 1e-12
    assert abs(t_sf(-1.812, 10) - 0.95) < 1e-3


def test_welch_and_mann_whitney_see_a_clear_shift_and_not_noise() -> None:
    rng = random.Random(1)
    a = [rng.gauss(-10, 5) for _ in range(40)]
    b = [rng.gauss(0, 5) for _ in range(400)]
    assert welch_lower(a, b) < 1e-10 and mann_whitney_lower(a, b) < 1e-10
    same = [rng.gauss(0, 5) for _ in range(40)]
    assert welch_lower(same, b) > 0.01 and mann_whitney_lower(same, b) > 0.01
    assert compare(a, b).hedges_g < -1.5


def test_residuals_remove_region_and_hour_effects() -> None:
    rows = [("h1", "north", 20, "access", 50.0), ("h2", "north", 20, "access", 60.0),
            ("h3", "south", 20, "access", 90.0), ("h4", "south", 20, "access", 100.0)]
    res = residualize(rows)
    assert res["h1"]["access"] == -5.0 and res["h3"]["access"] == -5.0


def fleet(rng: random.Random, bad_shift: float, confound: bool = False) -> list[HomeCohortValues]:
    homes = []
    for i in range(600):
        model = "E8450" if i % 2 else "MT6000"
        firmware = "24.10.0" if i % 10 == 1 else "23.05.5"
        shift = bad_shift if (model, firmware) == ("E8450", "24.10.0") else 0.0
        homes.append(HomeCohortValues(f"h{i}", model, firmware, {"stability": rng.gauss(shift, 4),
                                                                  "access": rng.gauss(0, 4)}))
    return homes


def test_a_firmware_that_drops_clients_is_named_with_effect_size_confidence_and_homes() -> None:
    found = analyse(fleet(random.Random(2), bad_shift=-15), ("stability", "access"))
    assert [(f.model, f.firmware, f.component) for f in found] == [("E8450", "24.10.0", "stability")]
    f = found[0]
    assert f.reference == "same_model_other_firmware" and f.homes == 60
    assert f.effect_points < -10
    assert f.vs_model is not None and f.vs_model.welch_p < 1e-6
    assert "60 homes" in f.reasons[0].text and "g = " in f.reasons[0].text


def test_a_healthy_fleet_has_no_cohort_finding() -> None:
    assert analyse(fleet(random.Random(3), bad_shift=0), ("stability", "access")) == []


def test_a_three_home_rollout_that_adds_latency_is_named_by_its_change_against_the_days_before() -> None:
    rng = random.Random(7)
    before, today = [], []
    for i in range(120):
        model = "AX6000" if i % 2 else "E8450"
        bad = i in (1, 3, 5)
        own_rtt = rng.uniform(5, 25)  # homes differ a lot (fibre, cable, DSL): levels alone cannot tell
        base = {"access": rng.gauss(0, 2), "rtt_ms": -own_rtt}
        before.append(HomeCohortValues(f"h{i}", model, "24.10.3" if bad else "23.05.5", base))
        now = {"access": base["access"] + rng.gauss(0, 0.5), "rtt_ms": -(own_rtt + (25 if bad else 0)
                                                                          + rng.gauss(0, 1))}
        today.append(HomeCohortValues(f"h{i}", model, "24.10.3" if bad else "23.05.5", now))
    found = analyse_with_change(today, before, ("access", "rtt_ms"))
    assert [(f.model, f.firmware, f.component, f.basis) for f in found] == [("AX6000", "24.10.3", "rtt_ms", "change")]
    assert "25" in found[0].reasons[0].text.split("ms")[0] or "ms more round-trip time" in found[0].reasons[0].text
    assert found[0].homes == 3


def small_rollout(seed: int, shift: float, bad_homes: int = 4) -> list[HomeCohortValues]:
    rng = random.Random(seed)
    return [HomeCohortValues(f"h{i}", "E8450", "24.10.0" if i < bad_homes else "23.05.5",
                             {"stability": rng.gauss(shift if i < bad_homes else 0.0, 4)}) for i in range(300)]


def test_asking_24_times_a_day_splits_the_level_over_the_looks() -> None:
    # Four homes 6 points down: one daily look calls it; one of 24 hourly looks needs more evidence.
    marginal = small_rollout(4, -6)
    assert [f.firmware for f in analyse_with_change(marginal, [], ("stability",))] == ["24.10.0"]
    assert analyse_with_change(marginal, [], ("stability",), looks=24) == []
    # The rollout that drops clients (12 points) is named at the hourly level too.
    clear = small_rollout(4, -12)
    assert [(f.firmware, f.component) for f in analyse_with_change(clear, [], ("stability",), looks=24)] == \
        [("24.10.0", "stability")]


def test_a_cohort_on_slower_lines_is_not_named_for_round_trip_but_one_slower_than_its_node_neighbours_is() -> None:
    # Seed 103: four homes of one cohort sat behind DSL nodes (~10 ms more than fibre) and were named for 6.5 ms more
    # round trip. Against the other homes behind the same nodes they are no slower; a firmware that adds 12 ms is.
    rng = random.Random(4)

    def homes(firmware_adds: float) -> list[HomeCohortValues]:
        out = []
        for i in range(200):
            bad = i < 5
            line = -8.0 if bad else rng.choice((4.0, 0.0, -4.0))  # negated ms: the cohort's lines are slow
            rtt = line - (firmware_adds if bad else 0.0) + rng.gauss(0, 1)
            node = -(firmware_adds if bad else 0.0) + rng.gauss(0, 1)  # against neighbours on the same node
            out.append(HomeCohortValues(f"h{i}", "BPI-R4", "24.10.1" if bad else "24.10.0",
                                        {"rtt_ms": rtt, "rtt_ms@node": node}))
        return out

    assert analyse(homes(0.0), ("rtt_ms",)) == []
    assert [(f.firmware, f.component) for f in analyse(homes(12.0), ("rtt_ms",))] == [("24.10.1", "rtt_ms")]
    without_node = [HomeCohortValues(h.home_id, h.model, h.firmware, {"rtt_ms": h.values["rtt_ms"]})
                    for h in homes(0.0)]
    assert [f.component for f in analyse(without_node, ("rtt_ms",))] == ["rtt_ms"]  # the confounder, unchecked
