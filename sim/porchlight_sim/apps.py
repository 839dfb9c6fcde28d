"""The shape of each application's traffic: packet sizes and how many flows and destinations it opens.

Application ids are the ones the agent's shipped classification tables report (agent/porchlight_agent/data/
app_tables.json: ports, resolver names, address prefixes); generic HTTPS to hosts no table knows is
``unclassified``, as the agent reports it.
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
    AppShape("disneyplus", 1400, 90, 3.0, 0.6, 2.0),
    AppShape("primevideo", 1400, 90, 3.0, 0.6, 2.0),
    AppShape("spotify", 1200, 120, 2.0, 0.3, 1.5),
    AppShape("zoom", 1000, 950, 4.0, 0.3, 3.0),
    AppShape("teams", 1000, 900, 6.0, 0.8, 4.0),
    AppShape("facetime", 1000, 950, 2.0, 0.2, 2.0),
    AppShape("whatsapp", 500, 350, 2.0, 0.3, 1.5),
    AppShape("instagram", 1300, 110, 6.0, 1.5, 4.0),
    AppShape("tiktok", 1350, 100, 6.0, 2.0, 5.0),
    AppShape("facebook", 1200, 150, 8.0, 2.0, 5.0),
    AppShape("google", 1100, 200, 8.0, 3.0, 5.0),
    AppShape("gaming", 300, 180, 2.0, 0.2, 1.5),
    AppShape("icloud", 200, 1400, 4.0, 0.8, 3.0),
    AppShape("windows_update", 1450, 80, 6.0, 0.5, 3.0),
    AppShape("smtp", 120, 900, 1.0, 1.0, 1.0),
    AppShape("email", 800, 300, 2.0, 0.3, 1.5),
    AppShape("quic", 1200, 180, 6.0, 2.0, 4.0),
    AppShape("dns", 180, 80, 2.0, 2.0, 1.0),
    AppShape("ntp", 90, 90, 1.0, 1.0, 1.0),
    AppShape("unclassified", 700, 300, 4.0, 1.2, 3.0),
)}

#: Applications whose silence on a streaming device means it stopped working.
STREAMING_APPS: frozenset[str] = frozenset({"netflix", "youtube", "disneyplus", "primevideo"})
