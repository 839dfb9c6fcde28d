"""The gateway models in the simulated fleet, their radios and the firmware versions each one runs.

Model strings are what OpenWrt writes to /tmp/sysinfo/model; firmware strings are DISTRIB_RELEASE and
DISTRIB_REVISION joined by a space, as the agent's health collector reports them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RadioSpec:
    """One radio of a model: band, channel width in use and spatial streams."""

    band: str
    width_mhz: int
    nss: int
    tx_power_dbm: float


@dataclass(frozen=True, slots=True)
class GatewayModel:
    """A gateway hardware model with its fleet share and the firmware versions it runs (with shares)."""

    name: str
    share: float
    standard: str
    radios: tuple[RadioSpec, ...]
    mem_total_kb: int
    cores: int
    #: Forwarding capacity: the CPU share rises with throughput relative to this.
    capacity_mbps: float
    firmwares: tuple[tuple[str, float], ...]

    @property
    def bands(self) -> tuple[str, ...]:
        """Bands the model's radios serve."""
        return tuple(r.band for r in self.radios)

    def radio(self, band: str) -> RadioSpec:
        """The radio serving ``band``; KeyError when the model has none."""
        for spec in self.radios:
            if spec.band == band:
                return spec
        raise KeyError(band)


FW_23_05_2 = "23.05.2 r23630-842932a63d"
FW_23_05_3 = "23.05.3 r23809-234f1a2efa"
FW_23_05_4 = "23.05.4 r24012-d8dd03c46f"
FW_23_05_5 = "23.05.5 r24106-10cc5fcd00"
FW_24_10_0 = "24.10.0 r28427-6df0e3d02a"
FW_24_10_1 = "24.10.1 r28597-0425664679"
FW_24_10_2 = "24.10.2 r28739-d9340319c6"

MODELS: tuple[GatewayModel, ...] = (
    GatewayModel(
        "Linksys E8450 (UBI)", 0.30, "ax",
        (RadioSpec("2.4", 20, 2, 20.0), RadioSpec("5", 80, 4, 23.0)),
        mem_total_kb=502_636, cores=2, capacity_mbps=900.0,
        firmwares=((FW_23_05_3, 0.20), (FW_23_05_5, 0.65), (FW_24_10_0, 0.15)),
    ),
    GatewayModel(
        "GL.iNet GL-MT6000", 0.25, "ax",
        (RadioSpec("2.4", 20, 4, 20.0), RadioSpec("5", 160, 4, 23.0)),
        mem_total_kb=1_013_596, cores=4, capacity_mbps=2300.0,
        firmwares=((FW_23_05_4, 0.30), (FW_23_05_5, 0.55), (FW_24_10_0, 0.15)),
    ),
    GatewayModel(
        "Xiaomi Redmi Router AX6000", 0.20, "ax",
        (RadioSpec("2.4", 20, 2, 20.0), RadioSpec("5", 160, 4, 23.0)),
        mem_total_kb=498_432, cores=4, capacity_mbps=2000.0,
        firmwares=((FW_23_05_2, 0.15), (FW_23_05_5, 0.70), (FW_24_10_0, 0.15)),
    ),
    GatewayModel(
        "Zyxel EX5601-T0 ubootmod", 0.15, "ax",
        (RadioSpec("2.4", 20, 4, 20.0), RadioSpec("5", 160, 4, 23.0)),
        mem_total_kb=1_013_596, cores=4, capacity_mbps=2300.0,
        firmwares=((FW_23_05_3, 0.35), (FW_23_05_5, 0.65)),
    ),
    GatewayModel(
        "Bananapi BPI-R4", 0.10, "be",
        (RadioSpec("2.4", 20, 4, 20.0), RadioSpec("5", 160, 4, 23.0), RadioSpec("6", 320, 2, 21.0)),
        mem_total_kb=4_022_612, cores=4, capacity_mbps=8000.0,
        firmwares=((FW_24_10_0, 0.60), (FW_24_10_1, 0.40)),
    ),
)

MODELS_BY_NAME: dict[str, GatewayModel] = {m.name: m for m in MODELS}

#: Releases that do not exist anywhere in the fleet yet: fault scenarios roll these out mid-run.
NEW_RELEASES: tuple[str, ...] = (FW_24_10_2, "24.10.3 r28872-6a8e2d1f4c", "25.04.0-rc1 r29051-1fd5c7e98b")

#: Radio interface names as OpenWrt 23.05+ names them, by band.
RADIO_IFACE: dict[str, str] = {"2.4": "phy0-ap0", "5": "phy1-ap0", "6": "phy2-ap0"}

#: Primary channels a radio may sit on, by band (the 6 GHz ones are preferred scanning channels).
CHANNELS: dict[str, tuple[int, ...]] = {
    "2.4": (1, 6, 11),
    "5": (36, 44, 52, 100, 116, 149),
    "6": (37, 69, 101, 133),
}
