"""Context for every finding: which kind of household a home is (behaviour, devices, tenure, region, plan).

A streaming warning to a home that does not stream means nothing; a subscriber in their first two weeks needs
more care than one of five years. Segments decide both: which findings a home can get, and how sensitive
the thresholds are for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

#: Applications by what they tell about a household.
#: Streaming covers every video service the agent's application table names (disneyplus, primevideo...).
STREAMING_APPS = frozenset({"netflix", "youtube", "disney", "disneyplus", "primevideo", "prime_video", "hulu", "hbo",
                            "max", "twitch", "appletv", "streaming", "iptv", "dazn", "video"})
GAMING_APPS = frozenset({"gaming", "steam", "xbox", "playstation", "psn", "nintendo", "epic", "fortnite",
                         "riot", "battlenet"})
WORK_APPS = frozenset({"zoom", "teams", "webex", "meet", "vpn", "slack", "office365", "ms_teams"})
STREAMING_CLASSES = frozenset({"tv", "streamer"})
GAMING_CLASSES = frozenset({"console"})

#: How long a subscriber counts as new.
NEW_SUBSCRIBER_DAYS = 14
#: Streaming / gaming on at least this many days of the last 14 (and this much traffic) makes a household a
#: streamer / gamer; video calls on this many weekdays make it work-from-home.
HABIT_MIN_DAYS = 4
STREAMING_MIN_BYTES_PER_DAY = 500_000_000
GAMING_MIN_BYTES_PER_DAY = 50_000_000
WORK_MIN_WEEKDAYS = 4
#: A light user moves less than this per day on average.
LIGHT_USER_BYTES_PER_DAY = 300_000_000


@dataclass(frozen=True, slots=True)
class HouseholdUsage:
    """What a household did over the last two weeks, summarised for segmentation."""

    days_observed: int
    streaming_days: int = 0
    streaming_bytes_per_day: float = 0.0
    gaming_days: int = 0
    gaming_bytes_per_day: float = 0.0
    work_weekdays: int = 0
    bytes_per_day: float = 0.0
    device_classes: Mapping[str, int] | None = None


@dataclass(frozen=True, slots=True)
class Segment:
    """A home's segment: behaviours, tenure, place and plan."""

    home_id: str
    behaviours: frozenset[str]  # subset of {'streamer', 'gamer', 'work_from_home', 'light_user'}
    tenure: str  # 'new' (first two weeks) or 'established'
    region: str | None = None
    plan: str | None = None
    devices: int = 0

    @property
    def is_new(self) -> bool:
        """In the first two weeks of service."""
        return self.tenure == "new"

    @property
    def streams(self) -> bool:
        """Watches streaming video often enough that a streaming message means something."""
        return "streamer" in self.behaviours

    @property
    def games(self) -> bool:
        """Plays online games often enough that a gaming message means something."""
        return "gamer" in self.behaviours

    @property
    def key(self) -> str:
        """A compact label used to pick peers: tenure, the main behaviour and the region."""
        main = next((b for b in ("streamer", "gamer", "work_from_home", "light_user") if b in self.behaviours),
                    "general")
        return f"{self.tenure}/{main}/{self.region or '-'}"


def tenure_of(activated_at: datetime | None, now: datetime) -> str:
    """'new' in the first NEW_SUBSCRIBER_DAYS days of service, else 'established' (unknown counts as established)."""
    if activated_at is not None and now - activated_at < timedelta(days=NEW_SUBSCRIBER_DAYS):
        return "new"
    return "established"


def behaviours_of(u: HouseholdUsage) -> frozenset[str]:
    """The household's habits, from two weeks of application activity (or what there is of it)."""
    found: set[str] = set()
    classes = u.device_classes or {}
    habit_days = min(HABIT_MIN_DAYS, max(1, u.days_observed // 3))
    regular = u.streaming_days >= habit_days and u.streaming_bytes_per_day >= STREAMING_MIN_BYTES_PER_DAY / 4
    if regular or u.streaming_bytes_per_day >= STREAMING_MIN_BYTES_PER_DAY:
        found.add("streamer")
    if u.gaming_days >= min(HABIT_MIN_DAYS, max(1, u.days_observed // 3)) and \
            (u.gaming_bytes_per_day >= GAMING_MIN_BYTES_PER_DAY / 4 or classes.get("console", 0) > 0):
        found.add("gamer")
    if u.work_weekdays >= min(WORK_MIN_WEEKDAYS, max(1, u.days_observed // 3)):
        found.add("work_from_home")
    if u.days_observed and u.bytes_per_day < LIGHT_USER_BYTES_PER_DAY and not found:
        found.add("light_user")
    return frozenset(found)


def segment_of(home_id: str, usage: HouseholdUsage, activated_at: datetime | None, now: datetime,
               region: str | None = None, plan: str | None = None) -> Segment:
    """The home's segment now."""
    devices = sum((usage.device_classes or {}).values())
    return Segment(home_id, behaviours_of(usage), tenure_of(activated_at, now), region, plan, devices)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """How sensitive findings are for a segment."""

    poor_score: float  # an hour below this is poor in absolute terms
    drop_points: float  # an hour this far below the home's own normal is poor in relative terms
    min_poor_hours_daily: int  # poor hours in a day before the home is listed
    min_poor_hours_recent: int  # poor hours in the recent window before a near-real-time finding


ESTABLISHED = Thresholds(poor_score=60.0, drop_points=25.0, min_poor_hours_daily=3, min_poor_hours_recent=2)
#: New subscribers are judged more tenderly: the first two weeks decide whether they stay.
NEW_SUBSCRIBER = Thresholds(poor_score=70.0, drop_points=20.0, min_poor_hours_daily=2, min_poor_hours_recent=1)


def thresholds_for(segment: Segment | None) -> Thresholds:
    """The thresholds that apply to a home of this segment."""
    return NEW_SUBSCRIBER if segment is not None and segment.is_new else ESTABLISHED


def allows_finding(segment: Segment | None, finding_kind: str) -> bool:
    """Whether a finding of this kind means anything to this household.

    No streaming warning to a home that does not stream, no gaming advice to a home that does not play.
    Without a segment (no history yet) nothing is held back.
    """
    if segment is None:
        return True
    if finding_kind.startswith("streaming"):
        return segment.streams
    if finding_kind.startswith("gaming"):
        return segment.games
    return True
