"""Silent churn on the activity-change list: a household whose use fades against its own normal and the fleet's,
while its always-on devices leave the home network.

Pure: a household's daily bytes (and which of its always-on devices left) in, an ActivityChange out.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from itertools import pairwise

from .activity_model import ActivityChange, HomeActivity
from .baselines import median
from .reasons import Reason, human_bytes

#: Fading household: the last two days against the median of the days before the last week, relative to the
#: fleet's own ratio; and the use came down over several days (a fade), not in one step (a trip away).
FADING_MIN_PRIOR_DAYS = 5
FADING_MAX_RELATIVE = 0.35
FADING_NORMAL_DAY = 0.85
FADING_MIN_TRANSITION_DAYS = 2
FADING_TRANSITION_FLOOR = 0.15
#: A fading household is one whose devices leave: at least this many of its always-on Wi-Fi devices (TV, speaker,
#: console, camera...: classes that stay associated while the people are out or away) that were on the Wi-Fi on
#: most of its normal days were not on it at all on the judged day. Away or on holiday those stay associated.
FADING_MIN_DEVICES_LEFT = 1
#: With this many always-on devices gone, a drop in one step is a fade too: a trip away leaves the TV and the speakers
#: on the Wi-Fi, a household moving out takes them (seeds 201 and 202: three churners whose use dropped to a sixth or
#: less in a day while two or three of their always-on devices left, missed until December).
FADING_DEVICES_LEFT_FOR_A_STEP = 2
#: A household none of whose always-on devices left (it has none, or they all stayed: the simulated churners' cameras
#: and smart plugs often stay to the end) has only its bytes to tell: it must be down further, over more days (a
#: variable household at a third of its normal for two days after a normal day is a quiet spell, not a fade; the
#: simulated churners fade to 3-12 % over five to ten days). Until December a household whose always-on devices all
#: stayed was never listed; on seed 201 (activity scenario) that missed a household at 2 % after four days of fading.
FADING_MAX_RELATIVE_BYTES_ONLY = 0.2
FADING_MIN_DAYS_BYTES_ONLY = 3
#: A household whose always-on devices all stayed must have come down on this many days in a row (each by a tenth and
#: by 5 points of its normal or more) since its last normal day: on seeds 201 and 67 four households on holiday (their
#: TVs and speakers on the Wi-Fi) came down in one or two steps, after a few ordinary low days; the churner whose
#: cameras and plugs stayed came down on four days in a row.
FADING_DESCENT_DAYS = 3
FADING_DESCENT_MIN = 0.05
#: ... unless its phones, tablets and laptops left one by one, this far apart or more: a family leaving on holiday
#: takes them within an hour or two (seed 201: 1.5 h), a household drifting away loses them over days (two churners
#: of seeds 201 and 202 whose use came down bumpily, their cameras staying: 45 h and 73 h).
PEOPLE_LEFT_SPREAD = timedelta(hours=12)
ALWAYS_ON_CLASSES = frozenset({"tv", "streamer", "console", "speaker", "iot", "camera", "printer", "nas"})


def _fade_base(days: Sequence[float]) -> float | None:
    """The household's normal bytes per day: the median of the days before the last week (up to three weeks)."""
    if len(days) < FADING_MIN_PRIOR_DAYS + 7:
        return None
    base = median(list(days[:-7])[-21:])
    return base if base > 0 else None


def _people_left_one_by_one(gone: Sequence[datetime]) -> bool:
    """Whether the household's phones, tablets and laptops that are gone left over days, not together."""
    return len(gone) >= 2 and max(gone) - min(gone) >= PEOPLE_LEFT_SPREAD


def _longest_descent(rel: Sequence[float]) -> int:
    """The most days in a row on which the use came down by a tenth or more and by at least FADING_DESCENT_MIN (in
    share of normal) from the day before: a fade comes down day after day, a trip away in one or two steps."""
    best = run = 0
    for prev, cur in pairwise(rel):
        run = run + 1 if cur <= 0.9 * prev and prev - cur >= FADING_DESCENT_MIN else 0
        best = max(best, run)
    return best


def fading_change(home: HomeActivity, action: str) -> ActivityChange | None:
    """The household's use fading over the last days against its own normal and the fleet's, or None."""
    days = home.daily_bytes
    base = _fade_base(days)
    if base is None:
        return None
    fleet = home.fleet_fade_ratio if home.fleet_fade_ratio > 0 else 1.0
    rel = [d / base / fleet for d in days[-10:]]
    now = sum(rel[-2:]) / 2.0
    if now >= FADING_MAX_RELATIVE:
        return None
    normal_days = [i for i, r in enumerate(rel) if r >= FADING_NORMAL_DAY]
    after = rel[normal_days[-1] + 1:] if normal_days else rel
    transition = [r for r in after if FADING_TRANSITION_FLOOR < r < FADING_NORMAL_DAY]
    regulars, left = home.always_on if home.always_on is not None else (0, ())
    needed = FADING_MIN_TRANSITION_DAYS if len(left) < FADING_DEVICES_LEFT_FOR_A_STEP else 0
    if len(transition) < needed:
        return None  # one step down: a trip away, not a household drifting off
    fade_days = len(after)
    if len(left) < FADING_MIN_DEVICES_LEFT and \
            (now > FADING_MAX_RELATIVE_BYTES_ONLY or fade_days < FADING_MIN_DAYS_BYTES_ONLY):
        return None  # no device gone to tell leaving from a quiet spell: the bytes alone must say more
    if regulars and not left and not _people_left_one_by_one(home.people_gone) and \
            _longest_descent(rel[normal_days[-1]:] if normal_days else rel) < FADING_DESCENT_DAYS:
        return None  # its always-on devices all stayed and the use fell in a step or two: away, not leaving
    gone = (f" {len(left)} of its {regulars} always-on devices {'has' if len(left) == 1 else 'have'} left the "
            f"Wi-Fi ({', '.join(left[:4])})." if left else "")
    text = (f"The household used {human_bytes(sum(days[-2:]) / 2)} a day over the last two days against "
            f"{human_bytes(base)} a day normally ({now:.0%} of its normal, after allowing for the whole fleet's "
            f"change), coming down gradually over {fade_days} days.{gone}")
    return ActivityChange(home.home_id, "usage_fading", None, None, round(-(1 - now) * 10, 1), fade_days * 24,
                          "The household's use of the service is fading",
                          (Reason("usage_fading", text, {"bytes_per_day_recent": round(sum(days[-2:]) / 2),
                                                         "bytes_per_day_normal": round(base),
                                                         "relative_recent": round(now, 2),
                                                         "fade_days": fade_days,
                                                         "always_on_devices": regulars,
                                                         "always_on_left": len(left),
                                                         "daily_relative": ", ".join(f"{r:.2f}" for r in rel),
                                                         "fleet_ratio": round(fleet, 2)}),),
                          action, None)


def household_relative(days: Sequence[float], fleet: float = 1.0, without: float = 0.0) -> float | None:
    """The household's use over the last two days against its normal (the median of the days before the last week),
    after the fleet's change; ``without``: bytes a day of a device judged apart, taken out of the normal (it is gone
    from the last days already). None without enough history."""
    base = _fade_base(days)
    if base is None or base - without <= 0:
        return None
    return sum(days[-2:]) / 2.0 / (base - without) / (fleet if fleet > 0 else 1.0)


def fleet_fade_ratio(daily_by_home: Sequence[Sequence[float]]) -> float:
    """The fleet's median ratio of the last two days to the normal: a holiday quiets everyone at once."""
    ratios = []
    for days in daily_by_home:
        base = _fade_base(days)
        if base is not None:
            ratios.append(sum(days[-2:]) / 2.0 / base)
    return median(ratios) if ratios else 1.0
