"""The daily activity-change list (Pro-Alert): homes whose application activity left their own normal.

Pure: per device and application, the last 24 hours hour by hour next to the home's own normal for the same
hours of the week (median/MAD over past weeks, or similar homes' while the home has too little history), in;
changes with what, which device, how unusual and what to do, out.

Noise control, so that holidays, a new device or a day away do not flood the list:
- a change must be device-specific (the rest of the household behaves as usual) unless it is the fading of
  the whole household over many days, judged against how the whole fleet moved over the same days;
- it must persist over several hours;
- it must be big in absolute terms, not only in z-score.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from .activity_fading import fading_change, fleet_fade_ratio, household_relative, people_left_one_by_one
from .activity_model import ActivityChange, AppHours, DeviceActivity, HomeActivity, HourActivity
from .baselines import Baseline, baseline_of, median
from .reasons import Number, Reason, human_bytes
from .segments import GAMING_APPS, STREAMING_APPS, allows_finding

__all__ = ["ActivityChange", "AppHours", "DeviceActivity", "HomeActivity", "HourActivity", "daily_list",
           "fleet_fade_ratio", "judge_home"]

#: A robust z-score at least this high makes an hour unusual (own history); peers vary more, so more is asked.
Z_UNUSUAL = 6.0
Z_UNUSUAL_PEERS = 10.0
#: Unusual hours needed in the 24: one odd hour is noise, three in a day is a pattern.
MIN_UNUSUAL_HOURS = 3
#: Earlier days behind a device's own normal (same hours of the week, or of the day while it has fewer than two
#: weeks) before it is judged against itself; with less, peers' normals are used.
MIN_OWN_HISTORY = 2
#: Outbound mail: absolute floors for a day (a person sends a few mails, a spambot thousands).
SMTP_MIN_NEW_FLOWS = 300
SMTP_MIN_BYTES_UP = 10_000_000
SMTP_MIN_HOUR_NEW_FLOWS = 20
#: Destination spread: distinct remote addresses a device reached in one sample (a minute), summed over its
#: applications (the rollup keeps each application's busiest sample); browsing reaches a few dozen at most.
SPREAD_MIN_DESTS = 60
#: An application row is looked at for spread only when it alone reached this many (SQL pre-filter).
SPREAD_MIN_ROW_DESTS = 20
#: A device is expected to stream/play in an hour when its normal for that hour is at least this much.
STREAMING_ACTIVE_HOUR_BYTES = 100_000_000
GAMING_ACTIVE_HOUR_BYTES = 10_000_000
#: Silence means something only for a daily habit: the device streamed (played) on this share of its earlier days.
SILENT_HABIT_SHARE = 0.8
#: Kinds listed while the device is still connected (when its apps failed to play). A console is listed only once
#: it has left the home network: its play comes in bursts (a new game, school holidays), and quiet days are ordinary
#: (seed 103: 6 of the 11 activity entries were healthy consoles still on the Wi-Fi after two quiet days).
SILENT_WHILE_CONNECTED = frozenset({"streaming_device_silent"})
#: Classes never judged "silent": phones, laptops and tablets leave the house with people, and a desktop is a
#: computer that sometimes streams, not a streaming device (it sleeps when nobody is home; on the healthy 1,000-home
#: fleet of seed 53 one desktop was listed after two evenings without a video).
NOT_SILENT_DEVICES = frozenset({"phone", "laptop", "tablet", "desktop"})
#: Expected active hours in the day before silence means anything, and how silent it must be.
SILENT_MIN_EXPECTED_HOURS = 3
SILENT_MAX_SHARE = 0.05
#: The rest of the household must be at least this active (share of its normal) for a device-specific change
#: (seeds 201 and 202 had broken TVs in households at 0.55-0.73 of their recent normal).
HOUSEHOLD_ACTIVE_SHARE = 0.5
#: Less for a device that left the home network: the household being home at all (a quarter of its normal use)
#: is enough, since a day away leaves the always-on TV on the network (one heavy day of a desktop in the normal
#: would otherwise hide it).
HOUSEHOLD_ACTIVE_SHARE_LEFT = 0.25
#: A device that left the home network within this long of the household's phones, tablets and laptops (all gone
#: since) went with the people: a holiday with the streaming stick or the tablet, not a broken TV (seed 101: a Fire
#: device listed on five days of a family's holiday).
LEFT_TOGETHER = timedelta(hours=1)
#: A device that left while the household is leaving is part of a churn, not a broken device (the fading check judges
#: the home): another device that stays home (a printer, a speaker, a second TV) left in the week before, or the rest
#: of the household used less than this share of its normal over the last two days (against the days before the last
#: week, after the fleet's change). Healthy households dip below 0.6 on about 5 % of such two-day spells; on seeds
#: 201-203 (activity scenario), 67 and 97 the TVs of churning households listed as broken sat at 0.3-0.76 but for
#: two that left on a household's first days of fading (0.86, 1.03); the broken TVs at 0.74-1.6. At 0.7 those seeds
#: gave 28 of 33 entries right and 28 of 34 broken TVs found; at 0.8, 27 of 30 and 27 of 34 (the TV at 0.74 missed).
#: Or the household's phones, tablets and laptops are leaving one by one (activity_fading.PEOPLE_LEFT_SPREAD apart:
#: seed 205, a churner's TV listed as broken on the day its third phone left, over 25 hours).
#: Tenth pass: 0.8 until then. The simulated households' days vary by 45-155 % of their normal, so a healthy
#: household's two-day mean is under 0.8 on about a fifth of days; the broken boxes that left were missed on those
#: days. Over ten seeds (two of them, 241 and 247, held out until they were scored at 0.8): at 0.8, 65 of 67 entries
#: right and 65 of 76 broken boxes found; at 0.6, 71 of 76 and 71 of 76; at 0.5, 71 of 78 and 71 of 76. Every wrong
#: entry at 0.6 is a churning household's TV (right home, other kind; the entry says how far the household is down).
#: Held-out seeds 251, 253 and 257, scored once at 0.6: 27 of 32 entries right (all five wrong ones churners'
#: devices), 27 of 30 broken boxes found (docs/analytics.md, section 8, tenth pass).
HOUSEHOLD_LEAVING_RELATIVE = 0.6
#: Below this the entry says the rest of the household is down too (the call may be a retention call).
HOUSEHOLD_DOWN_RELATIVE = 0.8
#: A failed try: an hour of the judged day in which the device's streaming (gaming) applications opened at least
#: TRY_MIN_NEW_FLOWS new connections but moved at most TRY_MAX_BYTES_PER_FLOW per connection. A stream moves tens of
#: MB a minute over a few long connections; an app that cannot play opens short ones (a handshake and an error reply,
#: a few kB each) each time someone asks it to; an idle app's check-ins open one now and then (tens of kB each). At 3
#: such connections an hour, the check-ins of healthy TVs made two such hours on 2-3 healthy device-days of seeds 217
#: and 223 (all on their coarse history days, one connection per 15-minute sample); at 4 and 5, none, and the broken
#: TVs' days were the same at 3, 4 and 5.
TRY_MIN_NEW_FLOWS = 4
TRY_MAX_BYTES_PER_FLOW = 20_000
#: Hours with failed tries that list a device still on the Wi-Fi on its first silent day: someone wanted to watch
#: and could not. Without them a device still on the Wi-Fi is not listed: until the ninth pass two silent days in its
#: usual hours (people at home, nothing streamed all day) listed it too, and on seeds 127, 205, 211 and 217 that
#: listed two healthy TVs that skipped two evenings and no broken one the tries had not found.
TRY_MIN_HOURS = 2
#: A device that left the home network is listed on the days after it left while it has been gone for at most this
#: long when the judged day begins: its habit is taken from the days before it left (activity_job), so it could be
#: listed for as long as its history lasts, but the list names fresh changes. Two days give a box that left on a day
#: its household was quiet (a day the household-leaving check cannot tell from a churner's first days) a second look.
LISTED_GONE_FOR = timedelta(days=2)
#: Floors of the spread (in the quantity's unit) so that a perfectly regular history does not explode z.
FLOOR_BYTES = 5_000_000.0
FLOOR_FLOWS = 10.0
FLOOR_DESTS = 20.0

ACTIONS: dict[str, str] = {
    "smtp_spam": "Call the customer: this computer is probably infected with spam-sending malware. Suggest a "
                 "malware scan and a password change; consider blocking outbound port 25 for the home meanwhile.",
    "destination_spread": "Call the customer: this device suddenly talks to far more Internet addresses than "
                          "ever (typical of malware or a compromised camera/IoT device). Suggest a scan or a reset.",
    "streaming_device_silent": "Offer help: the streaming device stopped working or lost its connection. Ask "
                               "whether it still connects; walk through re-joining the Wi-Fi or a restart.",
    "gaming_device_silent": "Offer help: the games console went silent. Ask whether it still connects to the "
                            "Wi-Fi or cable; check for a connectivity or NAT problem.",
    "usage_fading": "Retention: the household uses the service far less than it used to (silent churn risk). "
                    "Have a retention specialist call with a check-up offer.",
}


def _z(value: float, base: Baseline | None, floor: float) -> tuple[float, bool]:
    """z-score of a value against its baseline, and whether that baseline is the home's own."""
    if base is None:
        return 0.0, True
    return base.z(value, floor, 0.25), base.source == "own"


def _unusual(z: float, own: bool) -> bool:
    return z >= (Z_UNUSUAL if own else Z_UNUSUAL_PEERS)


def _smtp(home: HomeActivity, d: DeviceActivity) -> ActivityChange | None:
    for a in d.apps:
        if a.app != "smtp":
            continue
        unusual: list[tuple[HourActivity, float]] = []
        for h in a.hours:
            z_flows, own = _z(h.new_flows, h.base_new_flows, FLOOR_FLOWS)
            z_up, _ = _z(h.bytes_up, h.base_bytes_up, FLOOR_BYTES)
            z = max(z_flows, z_up)
            if _unusual(z, own) and h.new_flows >= SMTP_MIN_HOUR_NEW_FLOWS:
                unusual.append((h, z))
        flows = sum(h.new_flows for h in a.hours)
        up = sum(h.bytes_up for h in a.hours)
        dests = max((h.dests for h in a.hours), default=0.0)
        if len(unusual) < MIN_UNUSUAL_HOURS or (flows < SMTP_MIN_NEW_FLOWS and up < SMTP_MIN_BYTES_UP):
            return None
        normal = sum(h.base_new_flows.median for h in a.hours if h.base_new_flows is not None)
        zmax = max(z for _, z in unusual)
        text = (f"The {d.label} started sending mail directly to mail servers (SMTP): {flows:.0f} new mail "
                f"connections and {human_bytes(up)} sent in the last 24 hours, up to {dests:.0f} different servers "
                f"in a minute; it normally opens about {normal:.0f} a day. Unusual in {len(unusual)} of "
                f"{len(a.hours)} hours (up to {zmax:.0f} times its usual variation).")
        return ActivityChange(home.home_id, "smtp_spam", d.mac, "smtp", round(zmax, 1), len(unusual),
                              f"New heavy outbound mail (SMTP) from the {d.label}",
                              (Reason("smtp_outbound", text, {"mac": d.mac, "new_flows": flows, "bytes_up": up,
                                                              "max_dests_per_minute": dests, "normal_new_flows": normal,
                                                              "z": round(zmax, 1), "unusual_hours": len(unusual)}),),
                              ACTIONS["smtp_spam"], unusual[0][0].hour)
    return None


def _spread(home: HomeActivity, d: DeviceActivity) -> ActivityChange | None:
    unusual: list[tuple[HourActivity, float]] = []
    for h in d.dests_hours:
        z, own = _z(h.dests, h.base_dests, FLOOR_DESTS)
        if _unusual(z, own) and h.dests >= SPREAD_MIN_DESTS:
            unusual.append((h, z))
    if len(unusual) < MIN_UNUSUAL_HOURS:
        return None
    peak = max(h.dests for h, _ in unusual)
    normal = median([h.base_dests.median for h, _ in unusual if h.base_dests is not None] or [0.0])
    zmax = max(z for _, z in unusual)
    text = (f"The {d.label} contacted up to {peak:.0f} different Internet addresses a minute, against about "
            f"{normal:.0f} normally at those hours; unusual in {len(unusual)} of {len(d.dests_hours)} hours "
            f"(up to {zmax:.0f} times its usual variation).")
    return ActivityChange(home.home_id, "destination_spread", d.mac, None, round(zmax, 1), len(unusual),
                          f"Sudden spread to many new destinations from the {d.label}",
                          (Reason("destination_spread", text, {"mac": d.mac, "peak_dests_per_minute": peak,
                                                               "normal_dests_per_minute": normal, "z": round(zmax, 1),
                                                               "unusual_hours": len(unusual)}),),
                          ACTIONS["destination_spread"], unusual[0][0].hour)


def _expected(hours: Iterable[HourActivity]) -> tuple[float, float, float]:
    """Expected bytes (sum of medians), observed bytes, and the spread of the sum, over some hours."""
    exp = obs = var = 0.0
    for h in hours:
        obs += h.bytes
        if h.base_bytes is not None:
            exp += h.base_bytes.median
            var += h.base_bytes.scale(FLOOR_BYTES, 0.25) ** 2
    return exp, obs, var ** 0.5


def _household_share(home: HomeActivity, except_mac: str) -> float:
    """How active the rest of the household was against its normal (1.0 = as usual)."""
    exp = obs = 0.0
    if home.device_days:
        for mac, (o, e) in home.device_days.items():
            if mac != except_mac:
                obs += o
                exp += e
        return obs / exp if exp > 0 else 1.0
    for d in home.devices:
        if d.mac == except_mac:
            continue
        for a in d.apps:
            e, o, _ = _expected(a.hours)
            exp += e
            obs += o
    return obs / exp if exp > 0 else 1.0


@dataclass(frozen=True, slots=True)
class _Expectation:
    """What a device normally streams (plays) over the judged window, and what it did."""

    expected: float
    observed: float
    spread: float
    active_hours: int  # its usual hours (0: judged over the whole day)
    wording: str
    first: datetime | None
    hours: tuple[datetime, ...] = ()  # the hours of the judged day it is judged over (its usual ones, or all)


def _usual_hours(d: DeviceActivity, by_hour: dict[datetime, list[HourActivity]], active_bytes: float
                 ) -> _Expectation | None:
    """The device's habit judged hour by hour: the hours in which it normally streams (plays)."""
    active = [hs for hs in by_hour.values()
              if sum(h.base_bytes.median for h in hs if h.base_bytes is not None and h.base_bytes.source == "own")
              >= active_bytes]
    if len(active) < SILENT_MIN_EXPECTED_HOURS:
        return None
    exp, obs, spread = _expected(h for hs in active for h in hs)
    # The whole device, not only the app: a TV that switched from Netflix to YouTube did not go silent.
    dev_exp, dev_obs, _ = _expected(h for a in d.apps for h in a.hours)
    if dev_exp > 0 and dev_obs > 0.25 * dev_exp:
        return None
    return _Expectation(exp, obs, spread, len(active),
                        f"normally about {human_bytes(exp)} during {len(active)} of these hours",
                        min(hs[0].hour for hs in active), tuple(sorted(hs[0].hour for hs in active)))


def _usual_days(home: HomeActivity, d: DeviceActivity, kind: str, by_hour: dict[datetime, list[HourActivity]],
                active_bytes: float) -> _Expectation | None:
    """The habit judged over whole days, for a device that streams every day but at no fixed hour (the film at
    19:00 one day, at 22:00 the next: no single hour's median reaches the bar, the day's does)."""
    days = d.habit_bytes.get(kind, ())
    if not days:
        return None
    base = baseline_of(days)
    if base.median < SILENT_MIN_EXPECTED_HOURS * active_bytes:
        return None
    obs = sum(h.bytes for hs in by_hour.values() for h in hs)
    dev_today, dev_normal = home.device_days.get(d.mac, (obs, base.median))
    if dev_normal > 0 and dev_today > 0.25 * dev_normal:
        return None  # the whole device was busy: it only changed service
    first = min(by_hour) if by_hour else None
    return _Expectation(base.median, obs, base.scale(FLOOR_BYTES, 0.25), 0,
                        f"normally about {human_bytes(base.median)} a day", first, tuple(sorted(by_hour)))


def is_failed_try(hour_bytes: float, new_flows: float) -> bool:
    """Whether an hour of a device's apps of a group (bytes both ways, new connections) was a failed try: someone
    asked the app to play and it could not (see TRY_MIN_NEW_FLOWS)."""
    return new_flows >= TRY_MIN_NEW_FLOWS and hour_bytes <= TRY_MAX_BYTES_PER_FLOW * new_flows


def failed_try_hours(by_hour: dict[datetime, list[HourActivity]]) -> tuple[datetime, ...]:
    """The hours of the judged day in which the device's apps of the group opened connections that carried (almost)
    nothing."""
    return tuple(sorted(hour for hour, hs in by_hour.items()
                        if is_failed_try(sum(h.bytes for h in hs), sum(h.new_flows for h in hs))))


def _left_with_the_people(d: DeviceActivity) -> bool:
    """The device left the home network within LEFT_TOGETHER of the household's last phone, tablet or laptop."""
    return d.gone_since is not None and d.people_gone_since is not None and \
        abs(d.gone_since - d.people_gone_since) <= LEFT_TOGETHER


def _silent(home: HomeActivity, d: DeviceActivity, group: frozenset[str], kind: str, active_bytes: float,
            what: str) -> ActivityChange | None:
    if d.own_history < MIN_OWN_HISTORY or not allows_finding(home.segment, kind):
        return None
    active_days, days = d.habit.get(kind, (d.own_history, d.own_history))
    if days < MIN_OWN_HISTORY or active_days < SILENT_HABIT_SHARE * days:
        return None  # not a daily habit: a day without it is normal
    by_hour: dict[datetime, list[HourActivity]] = {}
    for a in d.apps:
        if a.app in group:
            for h in a.hours:
                by_hour.setdefault(h.hour, []).append(h)
    left = d.associated is False
    if left and d.gone_since is not None and home.start is not None and home.start - d.gone_since > LISTED_GONE_FOR:
        return None  # gone for days: it was judged on the days after it left
    tries = () if left else failed_try_hours(by_hour)
    tried = len(tries) >= TRY_MIN_HOURS
    if not left and (not tried or kind not in SILENT_WHILE_CONNECTED):
        return None  # on the Wi-Fi and nobody asked it to play (TRY_MIN_HOURS): not used, not broken
    e = _usual_hours(d, by_hour, active_bytes) or _usual_days(home, d, kind, by_hour, active_bytes)
    if e is None or e.expected <= 0 or e.observed > SILENT_MAX_SHARE * e.expected:
        return None
    if left and _left_with_the_people(d):
        return None  # a portable player that went on holiday with the phones and laptops
    rest = household_relative(home.daily_bytes, home.fleet_fade_ratio, home.device_days.get(d.mac, (0.0, 0.0))[1])
    if left and (d.others_left > 0 or (rest is not None and rest < HOUSEHOLD_LEAVING_RELATIVE)
                 or people_left_one_by_one(home.people_gone)):
        return None  # the household is leaving, not the device failing: the fading check judges the home
    others = _household_share(home, d.mac)
    if others < (HOUSEHOLD_ACTIVE_SHARE_LEFT if left else HOUSEHOLD_ACTIVE_SHARE):
        return None  # the whole home is quiet: a day away or a holiday, not this device
    other_bytes = sum(h.bytes for a in d.apps if a.app not in group for h in a.hours)
    if any(h in home.incident_hours for h in tries):
        return None  # the network could not carry its streams when they tried: the incident is the finding
    day_bytes = sum(h.bytes for hs in by_hour.values() for h in hs)
    z = (e.observed - e.expected) / e.spread if e.spread > 0 else -99.0
    if tried:
        try_flows = sum(h.new_flows for t in tries for h in by_hour[t])
        state = (f"It is still connected, and in {len(tries)} hours ({', '.join(f'{t:%H}:00' for t in tries)} UTC) "
                 f"its apps opened {try_flows:.0f} connections that carried almost nothing (someone tried to play "
                 f"and it could not)")
    elif d.gone_since is not None:
        state = f"The gateway has not seen it on the home network since {d.gone_since:%d %b %H:%M} UTC"
    else:
        state = "It has left the Wi-Fi"
    text = (f"The {d.label} {what} on {active_days} of its last {days} comparable days, {e.wording}, but moved "
            f"only {human_bytes(e.observed)} of it in the last 24 hours. {state}, while the rest of the household "
            f"was online ({others:.0%} of its normal use).")
    if left and rest is not None and rest < HOUSEHOLD_DOWN_RELATIVE:
        text += (f" The rest of the household used {rest:.0%} of its normal over the last two days: ask whether it "
                 f"is moving its things elsewhere, too.")
    data: dict[str, Number] = {
        "mac": d.mac, "expected_bytes": round(e.expected), "observed_bytes": round(e.observed),
        "expected_active_hours": e.active_hours, "household_share": round(others, 2), "z": round(z, 1),
        "habit_days": active_days, "history_days": days, "left_wifi": str(left).lower(),
        "other_bytes": round(other_bytes), "judged_over": "hours" if e.active_hours else "day",
        "household_relative": round(rest, 2) if rest is not None else "unknown",
        "other_devices_left": d.others_left, "day_bytes": round(day_bytes), "failed_try_hours": len(tries)}
    if d.gone_since is not None:
        data["last_seen"] = d.gone_since.isoformat()
    return ActivityChange(home.home_id, kind, d.mac, None, round(z, 1), e.active_hours,
                          f"The {d.label} has gone silent", (Reason(kind, text, data),), ACTIONS[kind], e.first)


def judge_home(home: HomeActivity) -> list[ActivityChange]:
    """Every activity change of one home over the judged day, most unusual first."""
    found: list[ActivityChange] = []
    for d in home.devices:
        smtp = _smtp(home, d)
        if smtp:
            found.append(smtp)
        spread = _spread(home, d)
        if spread and not smtp:  # a spambot also spreads; one entry per infected device is enough
            found.append(spread)
        if d.device_class not in NOT_SILENT_DEVICES:
            for group, kind, floor, what in ((STREAMING_APPS, "streaming_device_silent", STREAMING_ACTIVE_HOUR_BYTES,
                                              "streamed"),
                                             (GAMING_APPS, "gaming_device_silent", GAMING_ACTIVE_HOUR_BYTES,
                                              "played online games")):
                silent = _silent(home, d, group, kind, floor, what)
                if silent:
                    found.append(silent)
                    break
    fading = fading_change(home, ACTIONS["usage_fading"]) if home.fading_candidate else None
    if fading:
        found.append(fading)
    return sorted(found, key=lambda c: -c.magnitude)


def daily_list(homes: Iterable[HomeActivity]) -> list[ActivityChange]:
    """The Pro-Alert list for a day: every change of every home, homes with the most unusual change first."""
    changes = [c for h in homes for c in judge_home(h)]
    return sorted(changes, key=lambda c: (-c.magnitude, c.home_id))
