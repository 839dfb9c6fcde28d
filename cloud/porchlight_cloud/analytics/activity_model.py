"""What the activity-change list judges and what it lists: a home's devices and applications hour by hour next to
their normals, and the entries of the list (data only; the judging is in ``activity_change``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from .baselines import Baseline
from .reasons import Reason
from .segments import Segment


@dataclass(frozen=True, slots=True)
class HourActivity:
    """One hour of one device's one application: what it did and its normal for that hour of the week."""

    hour: datetime
    bytes_up: float = 0.0
    bytes_down: float = 0.0
    new_flows: float = 0.0
    dests: float = 0.0
    base_bytes: Baseline | None = None  # bytes up + down
    base_bytes_up: Baseline | None = None
    base_new_flows: Baseline | None = None
    base_dests: Baseline | None = None

    @property
    def bytes(self) -> float:
        """Bytes both ways."""
        return self.bytes_up + self.bytes_down


@dataclass(frozen=True, slots=True)
class AppHours:
    """One device's one application over the judged 24 hours."""

    app: str
    hours: tuple[HourActivity, ...]


@dataclass(frozen=True, slots=True)
class DeviceActivity:
    """One device of the home over the judged window, all its applications."""

    mac: str
    label: str
    device_class: str
    apps: tuple[AppHours, ...]
    own_history: int = 0  # earlier days behind its own normal (0: judged against peers)
    dests_hours: tuple[HourActivity, ...] = ()  # distinct destinations per hour, all applications together
    #: Per silence kind: (earlier days on which it streamed / played, earlier days looked at).
    habit: Mapping[str, tuple[int, int]] = field(default_factory=dict)
    #: On the home network during the judged day: True, False (it was the day before, or last seen before the
    #: day began), None (unknown).
    associated: bool | None = None
    #: Per silence kind: bytes of that group on each of those earlier days.
    habit_bytes: Mapping[str, tuple[float, ...]] = field(default_factory=dict)
    #: When the gateway last saw it on the home network (Wi-Fi, DHCP or ARP), if before the judged day began.
    gone_since: datetime | None = None
    #: When the household's phones, tablets and laptops were last seen, if all of them left before the judged day.
    people_gone_since: datetime | None = None
    #: How many of the home's other devices that stay home (not phones, tablets, laptops) left the network in the
    #: week before the judged day.
    others_left: int = 0


@dataclass(frozen=True, slots=True)
class HomeActivity:
    """A home's activity over the judged window, and its daily totals for the fading check."""

    home_id: str
    devices: tuple[DeviceActivity, ...]
    segment: Segment | None = None
    daily_bytes: tuple[float, ...] = ()  # household bytes per day, oldest first, the judged day last
    fleet_fade_ratio: float = 1.0  # the fleet's median (last 2 days / earlier median) over the same days
    #: Whether the fleet-wide pass found the household far below its normal (only then is fading judged).
    fading_candidate: bool = True
    #: Every device of the home (not only the ones judged): bytes on the judged day and its normal for that day.
    device_days: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: The home's always-on Wi-Fi devices that were regulars on its normal days, and of them, those that were not on
    #: the Wi-Fi at all on the judged day (labels); None when not known.
    always_on: tuple[int, tuple[str, ...]] | None = None
    #: When each of the household's phones, tablets and laptops gone by the end of the judged day was last seen.
    people_gone: tuple[datetime, ...] = ()
    #: The hours (start) of the judged day during which a regional incident covered the home.
    incident_hours: frozenset[datetime] = frozenset()
    #: The fleet's own change on each day of ``daily_bytes`` (the median over homes of the day against their normal:
    #: a weekend lifts everyone); empty: ``fleet_fade_ratio`` for every day.
    fleet_day_ratios: tuple[float, ...] = ()
    #: The judged day's first hour (UTC); None when not known.
    start: datetime | None = None


@dataclass(frozen=True, slots=True)
class ActivityChange:
    """One entry of the Pro-Alert list."""

    home_id: str
    kind: str
    mac: str | None
    app: str | None
    z: float
    unusual_hours: int
    summary: str
    reasons: tuple[Reason, ...]
    action: str
    start: datetime | None = None

    @property
    def magnitude(self) -> float:
        """For ordering the list: how unusual, weighted by how long."""
        return abs(self.z) * max(1, self.unusual_hours)
