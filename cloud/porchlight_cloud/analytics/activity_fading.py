"""Silent churn on the activity-change list: a household whose use fades against its own normal and the fleet's,
while its always-on devices leave the home network.

Pure: a household's daily bytes (and which of its always-on devices left) in, an ActivityChange out.
"""

from __future__ import annotations

from collections.abc import Sequence

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
#: A household without such devices has only its bytes to tell: it must be down further, over more days (a variable
#: household at a third of its normal for two days after a normal day is a quiet spell, not a fade; the simulated
#: churners fade to 3-12 % over five to ten days).
FADING_MAX_RELATIVE_BYTES_ONLY = 0.2
FADING_MIN_DAYS_BYTES_ONLY = 3
ALWAYS_ON_CLASSES = frozenset({"tv", "streamer", "console", "speaker", "iot", "camera", "printer", "nas"})


def _fade_base(days: Sequence[float]) -> float | None:
    """The household's normal bytes per day: the median of the days before the last week (up to three weeks)."""
    if len(days) < FADING_MIN_PRIOR_DAYS + 7:
        return None
    base = median(list(days[:-7])[-21:])
    return base if base > 0 else None


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
    if len(transition) < FADING_MIN_TRANSITION_DAYS:
        return None  # one step down: a trip away, not a household drifting off
    regulars, left = home.always_on if home.always_on is not None else (0, ())
    if regulars and len(left) < FADING_MIN_DEVICES_LEFT:
        return None  # its always-on devices are all still there: the people are out or away, not leaving
    fade_days = len(after)
    if not regulars and (now > FADING_MAX_RELATIVE_BYTES_ONLY or fade_days < FADING_MIN_DAYS_BYTES_ONLY):
        return None  # no device to tell leaving from a quiet spell: the bytes alone must say more
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


def fleet_fade_ratio(daily_by_home: Sequence[Sequence[float]]) -> float:
    """The fleet's median ratio of the last two days to the normal: a holiday quiets everyone at once."""
    ratios = []
    for days in daily_by_home:
        base = _fade_base(days)
        if base is not None:
            ratios.append(sum(days[-2:]) / 2.0 / base)
    return median(ratios) if ratios else 1.0
