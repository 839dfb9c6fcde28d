"""The shape of each application's traffic: packet sizes and how many flows and destinations it opens.

Application ids are the ones the agent's classification tables report (``apps.app`` in the wire schema).
Rates are not here: how much a device sends depends on what it is doing (see rhythms.py).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AppShape:
    """Per active minute of one device using one application."""

    app: str
    pkt_down_bytes: int
    pkt_up_bytes: int
    flows: float
    new_flows: float
    dests: float


APPS: dict[str, AppShape] = {s.app: s for s in (
    AppShape("netflix", 1400, 90, 3.0, 0.6, 2.0),
    AppShape("youtube", 1350, 110, 3.0, 0.8, 2.5),
    AppShape("disney", 1400, 90, 3.0, 0.6, 2.0),
    AppShape("spotify", 1200, 120, 2.0, 0.3, 1.5),
    AppShape("zoom", 1000, 950, 4.0, 0.3, 3.0),
    AppShape("teams", 1000, 900, 6.0, 0.8, 4.0),
    AppShape("facetime", 1000, 950, 2.0, 0.2, 2.0),
    AppShape("gaming", 300, 180, 2.0, 0.2, 1.5),
    AppShape("steam", 1450, 80, 6.0, 0.5, 4.0),
    AppShape("cloud_backup", 200, 1400, 4.0, 0.8, 3.0),
    AppShape("smtp", 120, 900, 1.0, 1.0, 1.0),
    AppShape("web", 1100, 200, 14.0, 6.0, 9.0),
    AppShape("quic", 1200, 180, 8.0, 3.0, 6.0),
    AppShape("dns", 180, 80, 2.0, 2.0, 1.0),
    AppShape("ntp", 90, 90, 1.0, 1.0, 1.0),
    AppShape("unclassified", 400, 300, 2.0, 0.4, 1.5),
)}

#: Applications whose silence on a streaming device means it stopped working.
STREAMING_APPS: frozenset[str] = frozenset({"netflix", "youtube", "disney"})
