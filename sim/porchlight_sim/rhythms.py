"""Daily and weekly rhythms: when people are home and awake, and what each kind of device does when.

Time is the homes' local time, taken to be UTC (the simulated ISP is in one time zone at UTC+0). A curve
is the chance, hour by hour, that an activity is going on; a session model turns it into on/off spells of
realistic length. Everything here is pure: the caller passes the random stream.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

DAY = 86_400
HOUR = 3_600

# Hour-by-hour propensity, weekday then weekend (Saturday, Sunday).
_Curve = tuple[tuple[float, ...], tuple[float, ...]]

CURVES: dict[str, _Curve] = {
    "evening_tv": (
        (.05, .02, .01, 0, 0, 0, .02, .06, .05, .03, .03, .04, .06, .05, .05, .08, .14, .24, .40, .58, .72, .68,
         .45, .15),
        (.15, .06, .02, .01, 0, 0, .02, .08, .15, .20, .22, .22, .22, .25, .28, .30, .32, .38, .50, .65, .74, .70,
         .55, .30),
    ),
    "office_calls": (
        (0, 0, 0, 0, 0, 0, 0, 0, .15, .45, .55, .45, .20, .35, .50, .50, .40, .20, 0, 0, 0, 0, 0, 0),
        (0,) * 24,
    ),
    "gaming": (
        (.20, .08, .02, 0, 0, 0, 0, 0, 0, 0, 0, 0, .02, .02, .03, .08, .15, .25, .35, .45, .55, .60, .55, .40),
        (.35, .15, .05, .01, 0, 0, 0, 0, .03, .10, .18, .25, .30, .35, .38, .40, .42, .45, .50, .58, .62, .62,
         .55, .45),
    ),
    "browsing": (
        (.10, .03, .01, 0, 0, .02, .15, .35, .30, .22, .20, .22, .30, .25, .20, .22, .28, .30, .35, .40, .45, .45,
         .35, .20),
        (.15, .06, .02, 0, 0, 0, .05, .15, .28, .32, .32, .30, .30, .30, .30, .30, .30, .32, .35, .40, .45, .45,
         .38, .25),
    ),
    "music": (
        (0, 0, 0, 0, 0, 0, .10, .30, .25, .10, .08, .08, .10, .08, .08, .10, .15, .25, .25, .18, .12, .08, .05,
         .02),
        (0, 0, 0, 0, 0, 0, .02, .08, .20, .30, .32, .30, .25, .25, .25, .25, .25, .25, .22, .18, .12, .08, .05,
         .03),
    ),
    "backup_night": (
        (0, .35, .60, .50, .20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
        (0, .35, .60, .50, .20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0),
    ),
    "daytime": (
        (.2, .2, .2, .2, .2, .2, .4, .8, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, .8, .5, .3),
        (.2, .2, .2, .2, .2, .2, .3, .6, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, .9, .6, .3),
    ),
    "flat": ((1.0,) * 24, (1.0,) * 24),
}


@dataclass(frozen=True, slots=True)
class Activity:
    """Something a device does in spells: which application, when, how fast, for how long.

    ``needs`` says who must be around: ``owner`` (the device's owner home and awake), ``anyone`` (someone
    home and awake) or ``none`` (machines: IoT, cameras, backups).
    """

    app: str
    curve: str
    weight: float
    down_kbps: float
    up_kbps: float
    session_s: float
    needs: str = "owner"
    wfh_only: bool = False


def _a(app: str, curve: str, weight: float, down: float, up: float, session_s: float, needs: str = "owner",
       wfh_only: bool = False) -> Activity:
    return Activity(app, curve, weight, down, up, session_s, needs, wfh_only)


#: What each class of device does. Streaming rates are per stream (HD 5-8 Mbit/s). Generic browsing to
#: hosts no classification table knows is "unclassified".
PROFILES: dict[str, tuple[Activity, ...]] = {
    "phone": (
        _a("instagram", "browsing", 0.25, 1300, 90, 300), _a("tiktok", "browsing", 0.20, 1600, 70, 400),
        _a("whatsapp", "browsing", 0.30, 60, 40, 120), _a("google", "browsing", 0.30, 250, 40, 180),
        _a("youtube", "evening_tv", 0.25, 2500, 120, 600), _a("spotify", "music", 0.35, 320, 12, 1800),
        _a("facetime", "evening_tv", 0.06, 1500, 1500, 900),
        _a("icloud", "backup_night", 0.25, 40, 4000, 1200, needs="none"),
    ),
    "laptop": (
        _a("google", "browsing", 0.45, 500, 80, 600), _a("unclassified", "browsing", 0.45, 900, 120, 600),
        _a("teams", "office_calls", 1.0, 2200, 1600, 2400, wfh_only=True),
        _a("youtube", "evening_tv", 0.25, 4000, 150, 900), _a("email", "browsing", 0.3, 25, 10, 600),
        _a("windows_update", "backup_night", 0.05, 20000, 200, 900, needs="none"),
        _a("smtp", "browsing", 0.02, 4, 40, 60),
    ),
    "desktop": (
        _a("google", "browsing", 0.45, 600, 90, 900), _a("unclassified", "browsing", 0.45, 1100, 120, 900),
        _a("zoom", "office_calls", 1.0, 2500, 1500, 2400, wfh_only=True),
        _a("youtube", "evening_tv", 0.30, 5000, 150, 900), _a("gaming", "gaming", 0.04, 40000, 400, 1500),
        _a("unclassified", "backup_night", 0.6, 60, 6000, 1800, needs="none"),
        _a("smtp", "browsing", 0.02, 4, 40, 60),
    ),
    "tablet": (
        _a("youtube", "evening_tv", 0.35, 3500, 120, 1200), _a("netflix", "evening_tv", 0.15, 3000, 90, 2400),
        _a("google", "browsing", 0.25, 400, 60, 300),
    ),
    "tv": (
        _a("netflix", "evening_tv", 0.50, 7000, 160, 2700, needs="anyone"),
        _a("youtube", "evening_tv", 0.30, 5000, 150, 1800, needs="anyone"),
        _a("disneyplus", "evening_tv", 0.15, 6500, 150, 2700, needs="anyone"),
        _a("primevideo", "evening_tv", 0.10, 6500, 150, 2700, needs="anyone"),
    ),
    "streamer": (
        _a("netflix", "evening_tv", 0.55, 7500, 160, 2700, needs="anyone"),
        _a("youtube", "evening_tv", 0.30, 5500, 150, 1800, needs="anyone"),
        _a("disneyplus", "evening_tv", 0.20, 6500, 150, 2700, needs="anyone"),
        _a("primevideo", "evening_tv", 0.10, 6500, 150, 2700, needs="anyone"),
    ),
    "console": (
        _a("gaming", "gaming", 0.85, 150, 90, 3600, needs="anyone"),
        _a("gaming", "gaming", 0.05, 60000, 500, 1800, needs="anyone"),  # a game download
        _a("youtube", "evening_tv", 0.05, 5000, 150, 1800, needs="anyone"),
    ),
    "speaker": (_a("spotify", "music", 0.40, 320, 10, 1800, needs="anyone"),),
    "camera": (
        _a("unclassified", "flat", 0.97, 25, 550, 36_000, needs="none"),
        _a("unclassified", "daytime", 0.08, 60, 2500, 120, needs="none"),  # motion clips
    ),
    "iot": (_a("unclassified", "flat", 0.30, 2, 2, 600, needs="none"),),
    "printer": (_a("unclassified", "daytime", 0.01, 20, 20, 120, needs="none"),),
    "nas": (
        _a("unclassified", "backup_night", 0.9, 150, 9000, 3600, needs="none"),
        _a("unclassified", "flat", 0.2, 30, 30, 600, needs="none"),
    ),
}

#: Trickle of a connected, otherwise idle device: (app, mean down kbit/s, mean up kbit/s, chance per minute
#: that it talks at all). Keep-alives, push channels and NTP come in bursts: over a short sample the app is
#: often absent, and its bytes when present are the mean over the time it was absent too.
STANDBY: dict[str, tuple[tuple[str, float, float, float], ...]] = {
    "phone": (("quic", 0.6, 0.4, 0.6), ("dns", 0.05, 0.03, 0.5)),
    "laptop": (("unclassified", 1.2, 0.6, 0.6), ("dns", 0.06, 0.03, 0.6)),
    "desktop": (("unclassified", 1.2, 0.6, 0.6), ("dns", 0.06, 0.03, 0.6)),
    "tablet": (("quic", 0.5, 0.3, 0.5),),
    # A TV's streaming apps check in now and then (artwork, recommendations, updates) when nobody watches.
    "tv": (("unclassified", 1.0, 0.5, 0.5), ("dns", 0.03, 0.02, 0.3), ("netflix", 0.03, 0.01, 0.01),
           ("youtube", 0.03, 0.01, 0.01)),
    "streamer": (("unclassified", 0.9, 0.5, 0.5), ("dns", 0.03, 0.02, 0.3), ("netflix", 0.03, 0.01, 0.01),
                 ("youtube", 0.03, 0.01, 0.01)),
    "console": (("unclassified", 0.8, 0.5, 0.5),),
    "speaker": (("unclassified", 1.0, 0.8, 0.8), ("ntp", 0.002, 0.002, 0.06)),
    "camera": (("dns", 0.03, 0.02, 0.3), ("ntp", 0.002, 0.002, 0.06)),
    "iot": (("unclassified", 0.4, 0.4, 0.7), ("ntp", 0.002, 0.002, 0.06), ("dns", 0.02, 0.01, 0.2)),
    "printer": (("unclassified", 0.2, 0.2, 0.2),),
    "nas": (("unclassified", 0.3, 0.3, 0.6), ("ntp", 0.002, 0.002, 0.06)),
}

@dataclass(frozen=True, slots=True)
class FailedTry:
    """A streaming app that stopped working on a device still on the Wi-Fi: when someone sits down to watch, the
    app opens a few short connections that fail (a handshake and an error reply each), and they give up. Not every
    session someone would have begun shows as a try: some pick another screen straight away."""

    chance: float
    min_flows: int
    max_flows: int
    down_bytes_per_flow: float
    up_bytes_per_flow: float


FAILED_TRY = FailedTry(chance=0.7, min_flows=3, max_flows=8, down_bytes_per_flow=6_000.0, up_bytes_per_flow=1_500.0)

#: Classes whose devices come and go with their owner (the rest stay connected).
MOBILE_CLASSES: frozenset[str] = frozenset({"phone", "laptop", "tablet"})
#: Classes that are only switched on while their owner is home and awake.
SLEEPING_CLASSES: frozenset[str] = frozenset({"laptop", "desktop", "tablet"})


def local_hour(ts: int) -> int:
    """Hour of the day, 0-23."""
    return (ts % DAY) // HOUR


def is_weekend(ts: int) -> bool:
    """Saturday or Sunday (1970-01-01 was a Thursday)."""
    return (ts // DAY + 3) % 7 >= 5


def day_start(ts: int) -> int:
    """Midnight starting the day that holds ``ts``."""
    return ts - ts % DAY


_PROPENSITY: dict[tuple[str, int], float] = {}


def propensity(curve: str, ts: int) -> float:
    """The curve's value at ``ts``, linearly interpolated between hours (memoised: every home samples at
    the same instants)."""
    key = (curve, ts)
    value = _PROPENSITY.get(key)
    if value is None:
        if len(_PROPENSITY) > 50_000:
            _PROPENSITY.clear()
        value = _PROPENSITY[key] = _propensity(curve, ts)
    return value


def _propensity(curve: str, ts: int) -> float:
    weekday, weekend = CURVES[curve]
    values = weekend if is_weekend(ts) else weekday
    seconds = ts % DAY
    hour = seconds // HOUR
    frac = (seconds % HOUR) / HOUR
    return values[hour] * (1.0 - frac) + values[(hour + 1) % 24] * frac


def session_step(on: bool, p_on: float, dt: float, session_s: float, rng: random.Random) -> bool:
    """Advance a two-state spell model by ``dt`` seconds.

    Spells last ``session_s`` on average; the off->on rate is chosen so that the long-run share of time on
    is ``p_on``. Works for any ``dt``, so coarse and fine cadences give the same daily totals.
    """
    if p_on <= 0.0:
        return False
    leave = 1.0 - math.exp(-dt / session_s)
    if on:
        return rng.random() >= leave
    if p_on >= 0.97:
        return True
    enter = min(1.0, p_on / (1.0 - p_on) * leave)
    return rng.random() < enter


@dataclass(frozen=True, slots=True)
class Person:
    """Someone who lives in a home: how their days go."""

    #: commuter, student, wfh or home (retired, carer, shift worker off duty).
    kind: str
    wake_h: float
    sleep_h: float


@dataclass(frozen=True, slots=True)
class DayPlan:
    """One person's day: when they are out (none when home all day), when they wake and sleep."""

    out_from: int
    out_until: int
    wake_ts: int
    sleep_ts: int

    def home(self, ts: int) -> bool:
        """At home at ``ts``."""
        return not self.out_from <= ts < self.out_until

    def awake(self, ts: int) -> bool:
        """Awake at ``ts`` (sleep may run past midnight: then the small hours are awake too)."""
        if self.sleep_ts >= self.wake_ts:
            return self.wake_ts <= ts < self.sleep_ts or ts < self.sleep_ts - DAY
        return self.wake_ts <= ts or ts < self.sleep_ts


def plan_day(person: Person, midnight: int, rng: random.Random) -> DayPlan:
    """Draw one person's day starting at ``midnight``: commuting on weekdays, outings at weekends."""
    weekend = is_weekend(midnight)
    wake = midnight + int((person.wake_h + (1.2 if weekend else 0.0) + rng.gauss(0, 0.4)) * HOUR)
    sleep = midnight + int((person.sleep_h + (0.6 if weekend else 0.0) + rng.gauss(0, 0.5)) * HOUR)
    out_from = out_until = midnight
    if not weekend and person.kind == "commuter" and rng.random() < 0.93:
        out_from = midnight + int((7.9 + rng.gauss(0, 0.5)) * HOUR)
        out_until = midnight + int((17.9 + rng.gauss(0, 0.8)) * HOUR)
    elif not weekend and person.kind == "student" and rng.random() < 0.95:
        out_from = midnight + int((7.8 + rng.gauss(0, 0.3)) * HOUR)
        out_until = midnight + int((15.8 + rng.gauss(0, 1.0)) * HOUR)
    elif rng.random() < (0.45 if weekend else 0.25):
        start_h = 10.0 + rng.random() * 7.0
        out_from = midnight + int(start_h * HOUR)
        out_until = out_from + int((1.0 + rng.random() * 4.0) * HOUR)
    return DayPlan(out_from, out_until, wake, sleep)
