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
#: The days looked at for the way down (the judged day last).
FADING_DAYS = 10
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
#: A household that took at least half of its always-on devices (and at least FADING_DEVICES_LEFT_FOR_A_STEP) off
#: its Wi-Fi is moving out even while its use is still at this share of its normal: the people's phones and laptops
#: are the last to go (seed 205: a churner at 61 % of its normal with 3 of its 5 always-on devices gone, missed
#: until December), or whose always-on devices began to leave while its phones, tablets and laptops left one by one
#: (PEOPLE_LEFT_SPREAD apart: seed 211, a churner at 52 % whose TV and two phones left over three days). Away or on
#: holiday those devices stay associated and the phones leave together; a healthy home does not lose half of its
#: always-on devices in a day. Households are looked at up to this share (the SQL pre-filter). Such a household
#: needs no gradual way down either (seed 217: a churner down from 1.29 to 0.37, 0.06 and 0 of its normal in three
#: days while its phones left a day apart and its streaming stick after them).
FADING_MAX_RELATIVE_MOVING = 0.7
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
#: of seeds 201 and 202 whose use came down bumpily, their cameras staying: 45 h and 73 h). A household whose
#: always-on devices all stayed while its phones left together is away, even when its use came down over days before
#: (seed 127: a family whose use fell on three days in a row before a week's holiday, listed for six days; its three
#: phones and laptops left within ten hours of each other, its eight always-on devices all stayed). That holds for a
#: household without always-on devices too: its people left together.
PEOPLE_LEFT_SPREAD = timedelta(hours=12)
ALWAYS_ON_CLASSES = frozenset({"tv", "streamer", "console", "speaker", "iot", "camera", "printer", "nas"})


def _fade_base(days: Sequence[float]) -> float | None:
    """The household's normal bytes per day: the median of the days before the last week (up to three weeks)."""
    if len(days) < FADING_MIN_PRIOR_DAYS + 7:
        return None
    base = median(list(days[:-7])[-21:])
    return base if base > 0 else None


def _fleet_by_day(home: HomeActivity) -> tuple[float, ...]:
    """The fleet's change on each of the household's days: each day is judged against the fleet's same day (a
    weekend lifts every home; a household judged by the last two days' figure alone looked, on the Monday after a
    busy weekend, as if it had come down in one step from a weekend at its normal: seed 205, a churner missed)."""
    per_day = home.fleet_day_ratios
    if len(per_day) == len(home.daily_bytes) and all(f > 0 for f in per_day):
        return per_day
    fleet = home.fleet_fade_ratio if home.fleet_fade_ratio > 0 else 1.0
    return (fleet,) * len(home.daily_bytes)


def _people_left_together(gone: Sequence[datetime]) -> bool:
    """Whether the household's phones, tablets and laptops that are gone (one or more) left within
    PEOPLE_LEFT_SPREAD of each other: the people went somewhere together. One phone is a household of one on a trip
    (seed 241: its console on the Wi-Fi, its use down to nothing after an ordinary low week, listed as fading until
    the tenth pass, when two phones were needed)."""
    return len(gone) >= 1 and max(gone) - min(gone) < PEOPLE_LEFT_SPREAD


def people_left_one_by_one(gone: Sequence[datetime]) -> bool:
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
    fleet_days = _fleet_by_day(home)[-FADING_DAYS:]
    rel = [d / base / f for d, f in zip(days[-FADING_DAYS:], fleet_days, strict=True)]
    now = sum(rel[-2:]) / 2.0
    regulars, left = home.always_on if home.always_on is not None else (0, ())
    moving = (len(left) >= FADING_DEVICES_LEFT_FOR_A_STEP and 2 * len(left) >= regulars) or \
        (len(left) >= FADING_MIN_DEVICES_LEFT and people_left_one_by_one(home.people_gone))
    if now >= (FADING_MAX_RELATIVE_MOVING if moving else FADING_MAX_RELATIVE):
        return None
    normal_days = [i for i, r in enumerate(rel) if r >= FADING_NORMAL_DAY]
    after = rel[normal_days[-1] + 1:] if normal_days else rel
    transition = [r for r in after if FADING_TRANSITION_FLOOR < r < FADING_NORMAL_DAY]
    needed = 0 if moving or len(left) >= FADING_DEVICES_LEFT_FOR_A_STEP else FADING_MIN_TRANSITION_DAYS
    if len(transition) < needed:
        return None  # one step down: a trip away, not a household drifting off
    fade_days = len(after)
    if len(left) < FADING_MIN_DEVICES_LEFT and \
            (now > FADING_MAX_RELATIVE_BYTES_ONLY or fade_days < FADING_MIN_DAYS_BYTES_ONLY):
        return None  # no device gone to tell leaving from a quiet spell: the bytes alone must say more
    if regulars and not left and not people_left_one_by_one(home.people_gone) and \
            _longest_descent(rel[normal_days[-1]:] if normal_days else rel) < FADING_DESCENT_DAYS:
        return None  # its always-on devices all stayed and the use fell in a step or two: away, not leaving
    if not left and _people_left_together(home.people_gone):
        return None  # no always-on device left and the people left together: a holiday, however it came down
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
                                                         "fleet_ratio": round(sum(fleet_days[-2:]) / 2.0, 2)}),),
                          action, None)


def household_relative(days: Sequence[float], fleet: float = 1.0, without: float = 0.0) -> float | None:
    """The household's use over the last two days against its normal (the median of the days before the last week),
    after the fleet's change; ``without``: bytes a day of a device judged apart, taken out of the normal (it is gone
    from the last days already). A household with too little history for that normal is judged against the median
    of the days before the last two, when it has FADING_MIN_PRIOR_DAYS of them (seed 229: a churning household's
    streaming box listed as broken on the run's tenth day, the household's use already at half of its first days').
    None without even those."""
    base = _fade_base(days)
    if base is None and FADING_MIN_PRIOR_DAYS + 2 <= len(days) < FADING_MIN_PRIOR_DAYS + 7:
        base = median(list(days[:-2]))
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
