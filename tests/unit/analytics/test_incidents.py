"""Regional incidents: one incident per simultaneous degradation, named at the smallest area that explains it."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from porchlight_cloud.analytics.incidents import (
    ACCESS,
    CLOSE_AFTER,
    UPSTREAM,
    HomeState,
    binomial_tail,
    cause_of,
    degradation,
    detect,
    excess_rise,
    homes_in_incidents,
    reconcile,
)

NOW = datetime(2026, 3, 2, 20, 0, tzinfo=UTC)


def fleet(bad: set[str] | None = None, stale: set[str] | None = None) -> list[HomeState]:
    """Two regions x 4 areas x 5 nodes x 8 homes; names like the simulator's: r0, r0-a1, r0-a1-n2."""
    homes = []
    for r in range(2):
        for a in range(4):
            for n in range(5):
                for i in range(8):
                    hid = f"h{r}{a}{n}{i}"
                    degraded = bad is not None and any(hid.startswith(p) for p in bad)
                    silent = stale is not None and any(hid.startswith(p) for p in stale)
                    homes.append(HomeState(hid, f"r{r}", f"r{r}-a{a}", f"r{r}-a{a}-n{n}",
                                           NOW - (timedelta(minutes=20) if silent else timedelta(minutes=2)),
                                           20 if degraded else 0, 50, 25.0, 20.0,
                                           NOW - timedelta(minutes=4) if degraded else None))
    return homes


def test_a_quiet_fleet_has_no_incident() -> None:
    assert detect(fleet(), NOW) == []


def test_node_outage_is_one_incident_naming_the_node() -> None:
    found = detect(fleet(bad={"h012"}), NOW)
    assert len(found) == 1
    assert (found[0].level, found[0].area) == ("node", "r0-a1-n2")
    assert len(found[0].degraded) == 8 and found[0].homes_total == 8
    assert "packet loss" in found[0].why


def test_homes_that_stop_reporting_together_are_an_outage() -> None:
    found = detect(fleet(stale={"h013"}), NOW)
    assert [(c.level, c.area) for c in found] == [("node", "r0-a1-n3")]
    assert "no recent report" in found[0].why


def test_a_whole_area_down_is_named_as_the_area_not_five_nodes() -> None:
    found = detect(fleet(bad={"h02"}), NOW)
    assert [(c.level, c.area) for c in found] == [("area", "r0-a2")]


def test_evening_congestion_across_a_region_is_one_regional_incident() -> None:
    found = detect(fleet(bad={"h1"}), NOW)
    assert [(c.level, c.area) for c in found] == [("region", "r1")]
    assert len(found[0].degraded) == 160


def test_scattered_bad_homes_are_no_incident() -> None:
    found = detect(fleet(bad={"h0000", "h0111", "h0222", "h1333", "h1044"}), NOW)
    assert found == []


def test_binomial_tail_matches_a_hand_computed_value() -> None:
    assert abs(binomial_tail(2, 3, 0.5) - 0.5) < 1e-12
    assert binomial_tail(8, 8, 0.01) < 1e-15


def test_an_incident_is_opened_updated_widened_and_closed() -> None:
    [c] = detect(fleet(bad={"h012"}), NOW)
    [opened] = reconcile([], [c], NOW)
    assert opened.incident_id is None and opened.started_at == NOW - timedelta(minutes=4)
    opened = opened.__class__(**{**{f: getattr(opened, f) for f in opened.__slots__}, "incident_id": 7})
    [wide] = detect(fleet(bad={"h01"}), NOW + timedelta(minutes=1))
    [updated] = reconcile([opened], [wide], NOW + timedelta(minutes=1))
    assert updated.incident_id == 7 and (updated.level, updated.area) == ("area", "r0-a1")
    assert len(updated.homes) == 40 and updated.is_open
    assert reconcile([updated], [], NOW + timedelta(minutes=2)) == []
    [closed] = reconcile([updated], [], NOW + timedelta(minutes=1) + CLOSE_AFTER)
    assert closed.ended_at == NOW + timedelta(minutes=1) and not closed.is_open
    assert "h0120" in homes_in_incidents([closed], NOW - timedelta(hours=1), NOW + timedelta(hours=1))


def test_a_node_found_a_minute_before_its_area_is_merged_into_one_incident() -> None:
    [node] = detect(fleet(bad={"h012"}), NOW)
    [area] = detect(fleet(bad={"h013"}), NOW)  # a second node of the same area, found as its own incident
    opened = [i.__class__(**{**{f: getattr(i, f) for f in i.__slots__}, "incident_id": n})
              for n, i in enumerate(reconcile([], [node, area], NOW), start=1)]
    [wide] = detect(fleet(bad={"h01"}), NOW + timedelta(minutes=1))
    changed = reconcile(opened, [wide], NOW + timedelta(minutes=1))
    still_open = [i for i in changed if i.is_open]
    assert len(still_open) == 1 and (still_open[0].level, still_open[0].area) == ("area", "r0-a1")
    assert [i.incident_id for i in changed if not i.is_open] == [2]


def test_the_whole_fleet_going_quiet_is_a_collection_outage_not_a_regional_incident() -> None:
    assert detect(fleet(stale={"h"}), NOW) == []


def upstream(h: HomeState, first_hop: float, internet: float, normal_excess: float = 15.0) -> HomeState:
    """The home with its latest first-hop and internet round trips and its normal gap between the two."""
    return replace(h, rtt_ms=internet, first_hop_rtt_ms=first_hop, normal_rtt_ms=first_hop + normal_excess,
                   normal_excess_ms=normal_excess)


def test_the_start_of_congestion_beyond_the_first_hop_across_a_region_is_a_regional_incident() -> None:
    # 6 minutes into an evening's congestion: each home's round trip beyond the first hop is up only 4 ms (far
    # from the 1.5 x its normal a single home needs), but every home of region r1 rises at once.
    homes = [upstream(h, 10.0, 10.0 + 15.0 + (4.0 if h.region == "r1" else 0.0)) for h in fleet()]
    found = detect(homes, NOW)
    assert [(c.level, c.area) for c in found] == [("region", "r1")]
    assert "round trip up beyond the first hop" in found[0].why


def test_a_busy_line_raises_the_first_hop_too_and_is_not_upstream_congestion() -> None:
    # Every home of r1 is loaded in the evening: first hop and internet both 8 ms up, the gap as usual.
    homes = [upstream(h, 18.0 if h.region == "r1" else 10.0, (18.0 if h.region == "r1" else 10.0) + 15.0)
             for h in fleet()]
    assert detect(homes, NOW) == []


def test_a_rise_within_the_usual_variation_beyond_the_first_hop_is_not_degraded() -> None:
    h = upstream(fleet()[0], 10.0, 10.0 + 15.0 + 1.5)
    assert excess_rise(h) == 1.5
    assert degradation(h, NOW) is None
    # On a long path the bar is a share of the normal gap: 5 ms more on a 60 ms gap is ordinary.
    far = upstream(fleet()[0], 10.0, 10.0 + 60.0 + 5.0, normal_excess=60.0)
    assert degradation(far, NOW) is None
    assert degradation(upstream(fleet()[0], 10.0, 10.0 + 60.0 + 10.0, normal_excess=60.0), NOW) == \
        "round trip beyond the first hop up 10 ms"


def test_an_area_outage_during_a_regional_congestion_stays_its_own_incident() -> None:
    # Area r0-a1 loses packets (its access network is down) while the rest of region r0 is congested upstream.
    congested = [upstream(h, 10.0, 10.0 + 15.0 + 6.0) if h.region == "r0" else upstream(h, 10.0, 25.0)
                 for h in fleet()]
    outage = {h.home_id for h in fleet(bad={"h01"}) if h.lost}
    homes = [replace(h, lost=20, first_bad=NOW - timedelta(minutes=4)) if h.home_id in outage else h
             for h in congested]
    found = {(c.cause, c.level, c.area): c for c in detect(homes, NOW)}
    assert set(found) == {(ACCESS, "area", "r0-a1"), (UPSTREAM, "region", "r0")}
    assert found[(UPSTREAM, "region", "r0")].degraded.isdisjoint(outage)
    # The outage was open first; the congestion does not widen it to the region but opens its own incident.
    [area] = reconcile([], [found[(ACCESS, "area", "r0-a1")]], NOW - timedelta(minutes=5))
    area = replace(area, incident_id=1)
    changed = reconcile([area], list(found.values()), NOW)
    by_cause = {i.cause: i for i in changed}
    assert (by_cause[ACCESS].incident_id, by_cause[ACCESS].level, by_cause[ACCESS].area) == (1, "area", "r0-a1")
    assert (by_cause[UPSTREAM].incident_id, by_cause[UPSTREAM].level) == (None, "region")
    assert "congestion beyond the access network" in by_cause[UPSTREAM].summary()


def test_a_round_trip_that_rose_beyond_the_first_hop_is_upstream_and_one_that_rose_before_it_is_access() -> None:
    home = fleet()[0]
    far = upstream(home, 10.0, 10.0 + 15.0 + 30.0)       # first hop as usual, 30 ms more beyond it
    near = replace(far, first_hop_rtt_ms=40.0, rtt_ms=40.0 + 15.0)  # the line 30 ms slower, the rest as usual
    assert degradation(far, NOW) is not None and cause_of(far, degradation(far, NOW) or "") == UPSTREAM
    assert degradation(near, NOW) is not None and cause_of(near, degradation(near, NOW) or "") == ACCESS
    assert cause_of(home, "12% packet loss") == ACCESS
