"""Kinds of home devices: vendor, real OUIs, host names as they appear in DHCP leases, Wi-Fi capability.

OUIs are IEEE assignments of the named vendor (checked against the Wireshark manufacturer database).
Host-name templates use ``{owner}`` (a first name), ``{mac6}`` (last six hex digits of the MAC, upper
case), ``{hex8}`` (eight random hex digits) and ``{n}`` (a small number); None means the device sends no
host name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceKind:
    """A make of device: who makes it, its OUIs, how it names itself and what its Wi-Fi can do."""

    device_class: str
    vendor: str
    ouis: tuple[str, ...]
    hostnames: tuple[str | None, ...]
    standard: str
    nss: int
    bands: tuple[str, ...]
    tx_power_dbm: float
    #: Share of such devices plugged in by cable rather than Wi-Fi.
    wired_share: float = 0.0
    #: Share that use a private (randomised, locally administered) MAC on the home network.
    private_mac_share: float = 0.0


_ALL = ("2.4", "5", "6")
_DUAL = ("2.4", "5")
_LOW = ("2.4",)

KINDS: dict[str, tuple[tuple[DeviceKind, float], ...]] = {
    "phone": (
        (DeviceKind("phone", "Apple", ("f0:18:98", "ac:bc:32", "3c:22:fb", "a4:83:e7", "dc:a9:04"),
                    ("{owner}s-iPhone", "iPhone"), "ax", 2, _ALL, 15.0, private_mac_share=0.55), 0.45),
        (DeviceKind("phone", "Samsung", ("84:25:db", "8c:79:f5", "00:16:32"),
                    ("Galaxy-S23", "Galaxy-A54", "Galaxy-S24-Ultra", "{owner}s-S22"), "ax", 2, _ALL, 15.0,
                    private_mac_share=0.45), 0.30),
        (DeviceKind("phone", "Google", ("f4:f5:d8", "3c:5a:b4"), ("Pixel-8", "Pixel-7a"), "ax", 2, _ALL, 15.0,
                    private_mac_share=0.6), 0.12),
        (DeviceKind("phone", "Xiaomi", ("64:09:80", "f8:a4:5f", "28:6c:07"), ("Redmi-Note-12", "POCO-X5"),
                    "ax", 2, _DUAL, 15.0, private_mac_share=0.3), 0.13),
    ),
    "laptop": (
        (DeviceKind("laptop", "Apple", ("f4:0f:24", "88:66:a5", "b8:e8:56"),
                    ("{owner}s-MacBook-Air", "{owner}s-MBP", "MacBook-Pro"), "ax", 2, _ALL, 17.0,
                    private_mac_share=0.2), 0.35),
        (DeviceKind("laptop", "Intel", ("3c:a9:f4", "a4:c3:f0", "f8:63:3f", "8c:8d:28"),
                    ("LAPTOP-{hex8}", "DESKTOP-{hex8}"), "ax", 2, _DUAL, 17.0, private_mac_share=0.1), 0.50),
        (DeviceKind("laptop", "Dell", ("b8:ca:3a", "f4:8e:38"), ("DESKTOP-{hex8}",), "ac", 2, _DUAL, 17.0), 0.15),
    ),
    "desktop": (
        (DeviceKind("desktop", "Intel", ("00:1b:21", "a4:c3:f0"), ("DESKTOP-{hex8}",), "ax", 2, _DUAL, 18.0,
                    wired_share=0.55), 0.6),
        (DeviceKind("desktop", "Dell", ("b8:ca:3a", "f4:8e:38"), ("DESKTOP-{hex8}", "{owner}-PC"), "ac", 2, _DUAL,
                    18.0, wired_share=0.6), 0.4),
    ),
    "tablet": (
        (DeviceKind("tablet", "Apple", ("f0:18:98", "a4:83:e7"), ("{owner}s-iPad", "iPad"), "ax", 2, _DUAL, 15.0,
                    private_mac_share=0.5), 0.6),
        (DeviceKind("tablet", "Samsung", ("84:25:db", "8c:79:f5"), ("Galaxy-Tab-S9", "Galaxy-Tab-A8"), "ax", 2,
                    _DUAL, 15.0, private_mac_share=0.3), 0.25),
        (DeviceKind("tablet", "Amazon", ("f0:27:2d", "74:c2:46"), ("amazon-{hex8}",), "ac", 1, _DUAL, 14.0), 0.15),
    ),
    "tv": (
        (DeviceKind("tv", "LG Electronics", ("a8:23:fe", "c8:08:e9"), ("LGwebOSTV", "LG-OLED-TV"), "ac", 2, _DUAL,
                    18.0, wired_share=0.25), 0.45),
        (DeviceKind("tv", "Samsung", ("8c:79:f5", "84:25:db"), ("Samsung-TV", "QE55Q70", "Samsung"), "ac", 2, _DUAL,
                    18.0, wired_share=0.25), 0.55),
    ),
    "streamer": (
        (DeviceKind("streamer", "Roku", ("b0:a7:37", "dc:3a:5e", "cc:6d:a0"), ("Roku-Ultra", "Roku-Express"),
                    "ac", 2, _DUAL, 16.0), 0.30),
        (DeviceKind("streamer", "Google", ("f4:f5:d8", "54:60:09", "f8:0f:f9"), ("Chromecast", "Google-TV"), "ac",
                    2, _DUAL, 16.0), 0.30),
        (DeviceKind("streamer", "Amazon", ("f0:27:2d", "44:65:0d", "fc:65:de"), ("amazon-{hex8}", "Fire-TV-Stick"),
                    "ac", 2, _DUAL, 16.0), 0.30),
        (DeviceKind("streamer", "Apple", ("f0:18:98", "3c:22:fb"), ("Living-Room", "Apple-TV"), "ax", 2, _DUAL,
                    17.0, wired_share=0.3), 0.10),
    ),
    "console": (
        (DeviceKind("console", "Sony Interactive Entertainment", ("00:d9:d1", "70:9e:29", "bc:60:a7"),
                    ("PS5-{n}", "PS4-{n}"), "ax", 2, _DUAL, 18.0, wired_share=0.35), 0.45),
        (DeviceKind("console", "Microsoft", ("7c:ed:8d", "98:5f:d3", "c8:3f:26"), ("XBOX", "Xbox-Series-X"), "ax",
                    2, _DUAL, 18.0, wired_share=0.35), 0.30),
        (DeviceKind("console", "Nintendo", ("98:b6:e9", "7c:bb:8a", "e8:4e:ce"), (None,), "ac", 1, _DUAL, 15.0),
         0.25),
    ),
    "speaker": (
        (DeviceKind("speaker", "Sonos", ("00:0e:58", "5c:aa:fd", "94:9f:3e", "b8:e9:37"), ("Sonos-{mac6}",), "n",
                    1, _DUAL, 15.0, wired_share=0.1), 0.30),
        (DeviceKind("speaker", "Amazon", ("68:54:fd", "74:c2:46", "fc:65:de"), ("amazon-{hex8}",), "ac", 1, _DUAL,
                    14.0), 0.45),
        (DeviceKind("speaker", "Google", ("f4:f5:d8", "54:60:09"), ("Google-Nest-Mini", "Google-Home"), "ac", 1,
                    _DUAL, 14.0), 0.25),
    ),
    "camera": (
        (DeviceKind("camera", "Ring", ("34:3e:a4", "9c:76:13"), ("RingDoorbell-{n}", "RingStickUpCam-{n}"), "n",
                    1, _LOW, 13.0), 0.35),
        (DeviceKind("camera", "Wyze Labs", ("2c:aa:8e",), ("WYZE-CAM-{mac6}",), "n", 1, _LOW, 13.0), 0.25),
        (DeviceKind("camera", "TP-Link", ("50:c7:bf", "b0:be:76"), ("C200_{mac6}", "Tapo_C110_{mac6}"), "n", 1,
                    _LOW, 13.0), 0.25),
        (DeviceKind("camera", "Hikvision", ("c0:56:e3",), ("HIKVISION",), "n", 1, _LOW, 14.0, wired_share=0.5),
         0.15),
    ),
    "iot": (
        (DeviceKind("iot", "Espressif", ("24:0a:c4", "30:ae:a4", "84:f3:eb", "a4:cf:12", "bc:dd:c2", "ec:fa:bc"),
                    ("ESP_{mac6}", "tasmota-{mac6}", "shelly1pm-{mac6}", None), "n", 1, _LOW, 11.0), 0.55),
        (DeviceKind("iot", "Philips Lighting", ("00:17:88",), ("Philips-hue",), "n", 1, _LOW, 12.0,
                    wired_share=0.9), 0.12),
        (DeviceKind("iot", "Nest Labs", ("18:b4:30",), ("Nest-Thermostat", "Nest-Protect"), "n", 1, _LOW, 12.0),
         0.13),
        (DeviceKind("iot", "TP-Link", ("50:c7:bf", "b0:be:76"), ("HS103", "KP115", "Tapo_P100_{mac6}"), "n", 1,
                    _LOW, 12.0), 0.20),
    ),
    "printer": (
        (DeviceKind("printer", "HP", ("3c:d9:2b", "a0:d3:c1", "9c:8e:99"), ("HP{mac6}",), "n", 1, _LOW, 14.0,
                    wired_share=0.2), 1.0),
    ),
    "nas": (
        (DeviceKind("nas", "Synology", ("00:11:32",), ("DiskStation", "DS220plus"), "ac", 2, _DUAL, 17.0,
                    wired_share=0.9), 0.6),
        (DeviceKind("nas", "Raspberry Pi", ("b8:27:eb", "dc:a6:32", "e4:5f:01"), ("raspberrypi", "homeassistant"),
                    "ac", 1, _DUAL, 14.0, wired_share=0.6), 0.4),
    ),
}

FIRST_NAMES: tuple[str, ...] = (
    "Anna", "Ben", "Chloe", "David", "Emma", "Finn", "Grace", "Hugo", "Isla", "Jack", "Kara", "Liam", "Lena",
    "Maya", "Marco", "Noah", "Olivia", "Omar", "Priya", "Ravi", "Sara", "Tom", "Yusuf", "Zoe",
)


def vendor_of(mac: str, known: dict[str, str]) -> str | None:
    """The vendor of a MAC from an OUI table; None for a private (locally administered) address."""
    if int(mac[:2], 16) & 0x02:
        return None
    return known.get(mac[:8])


def oui_table() -> dict[str, str]:
    """OUI (``aa:bb:cc``) to vendor name for every kind above."""
    table: dict[str, str] = {}
    for options in KINDS.values():
        for kind, _ in options:
            for oui in kind.ouis:
                table.setdefault(oui, kind.vendor)
    return table
