"""Named fault scenarios: how many of each trouble to inject, and how strong.

``default`` is a mix of every kind: home-level troubles on roughly 5-10% of homes, plus network-wide ones
(one node and one area of the access network, one region congested in the evening, two bad firmware
rollouts) that touch every home behind them. ``subtle`` is the same mix at about half the strength, for
held-out scoring; ``none`` injects nothing; ``activity`` injects only the activity list's troubles
(devices going silent, fading households, spambots, days away) about five times as often, for tuning that list; a
kind name or a comma-separated list of kinds gives only those kinds at default rates. Held-out scenarios for
scoring come from other seeds: ``--seed`` changes the fleet, ``--fault-seed`` keeps the fleet and moves the faults.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .ground_truth import KINDS


@dataclass(frozen=True, slots=True)
class Scenario:
    """How many of each kind to inject and at what strength.

    ``home_shares``: share of homes touched by each home-level kind (at least one home when non-zero).
    ``network``: how many network-wide faults of each kind.
    ``magnitude``: scales every fault's strength (1 = default; 0.5 = subtle).
    """

    name: str
    home_shares: dict[str, float] = field(default_factory=dict)
    network: dict[str, int] = field(default_factory=dict)
    magnitude: float = 1.0

    @property
    def kinds(self) -> frozenset[str]:
        """Every kind this scenario may inject."""
        return frozenset(k for k, v in self.home_shares.items() if v > 0) | frozenset(
            k for k, v in self.network.items() if v > 0)


_DEFAULT_HOME = {
    "wifi_poor_coverage": 0.012,
    "spambot": 0.008,
    "streaming_silent": 0.01,
    "silent_churn": 0.008,
    "reboot_loop": 0.006,
    "away": 0.03,
}
_DEFAULT_NETWORK = {
    "wifi_interference": 3,
    "firmware_wifi_drops": 1,
    "firmware_latency": 1,
    "firmware_rollout": 1,
    "access_network_node": 1,
    "access_network_area": 1,
    "region_congestion": 1,
}

SCENARIOS: dict[str, Scenario] = {
    "default": Scenario("default", dict(_DEFAULT_HOME), dict(_DEFAULT_NETWORK)),
    "subtle": Scenario("subtle", dict(_DEFAULT_HOME), dict(_DEFAULT_NETWORK), magnitude=0.5),
    "heavy": Scenario("heavy", {k: 2 * v for k, v in _DEFAULT_HOME.items()},
                      {k: 2 * v for k, v in _DEFAULT_NETWORK.items()}),
    "none": Scenario("none", {}, {}),
    # The activity list's troubles, five times as common and nothing else: enough devices going silent and households
    # fading in 200 homes to tell a rule's false entries from its misses (the default mix has two of each).
    "activity": Scenario("activity", {"streaming_silent": 0.05, "silent_churn": 0.04, "spambot": 0.01, "away": 0.06},
                         {}),
}


def scenario_named(name: str) -> Scenario:
    """The scenario called ``name`` ('default mix' means default), or one made of the listed kinds.

    ValueError (listing the choices) for an unknown name.
    """
    key = name.strip().lower().replace(" mix", "")
    if key in SCENARIOS:
        return SCENARIOS[key]
    wanted = [k.strip() for k in key.split(",") if k.strip()]
    unknown = [k for k in wanted if k not in KINDS]
    if not wanted or unknown:
        raise ValueError(f"unknown scenario {name!r}: use one of {', '.join(SCENARIOS)} or kinds from "
                         f"{', '.join(sorted(KINDS))} (comma separated)")
    base = SCENARIOS["default"]
    homes = {k: v for k, v in base.home_shares.items() if k in wanted}
    network = {k: v for k, v in base.network.items()
               if k in wanted or (k.startswith("access_network") and "access_network" in wanted)}
    return replace(base, name=",".join(wanted), home_shares=homes, network=network)
