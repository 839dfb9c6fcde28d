"""Device class from the hints the gateway sees: host name, vendor, DHCP vendor class, Wi-Fi taxonomy.

Each matching rule of data/device_hints.json is evidence for one class; evidence for a class combines as
1 - prod(1 - weight), and a competing class lowers the winner's confidence. With no evidence the class is
'unknown' with confidence 0.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

__all__ = ["DEFAULT_HINTS", "Classification", "DeviceClassifier"]

DEFAULT_HINTS: Final = Path(__file__).resolve().parent.parent / "data" / "device_hints.json"


@dataclass(frozen=True, slots=True)
class Classification:
    """A device class, its confidence (0-1) and the evidence that led to it."""

    device_class: str
    confidence: float
    reasons: tuple[str, ...] = ()


def _rules(doc: dict[str, Any], key: str) -> list[tuple[re.Pattern[str], str, float]]:
    return [(re.compile(r["match"], re.IGNORECASE), r["class"], float(r["weight"])) for r in doc.get(key, [])]


class DeviceClassifier:
    """Classifies devices with a hints table (replaceable: build a new classifier from a new document)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.version = str(doc.get("version", ""))
        self._hostname = _rules(doc, "hostname")
        self._dhcp = _rules(doc, "dhcp_vendor_class")
        self._taxonomy = _rules(doc, "taxonomy")
        self._vendor = {r["vendor"]: (r["class"], float(r["weight"])) for r in doc.get("vendor", [])}
        randomised = doc.get("randomised_mac") or {}
        self._randomised = (randomised["class"], float(randomised["weight"])) if randomised else None

    @classmethod
    def load(cls, path: Path = DEFAULT_HINTS) -> DeviceClassifier:
        """The hints table shipped with the agent."""
        return cls(json.loads(path.read_text(encoding="utf-8")))

    def classify(self, *, hostname: str | None = None, vendor: str | None = None,
                 dhcp_vendor_class: str | None = None, signature: str | None = None,
                 randomised: bool = False) -> Classification:
        """The most likely class with its confidence."""
        evidence: list[tuple[str, float, str]] = []
        if hostname:
            evidence += [(c, w, f"hostname~{p.pattern}") for p, c, w in self._hostname if p.search(hostname)]
        if vendor and vendor in self._vendor:
            cls_, weight = self._vendor[vendor]
            evidence.append((cls_, weight, f"vendor={vendor}"))
        if dhcp_vendor_class:
            evidence += [(c, w, f"dhcp~{p.pattern}") for p, c, w in self._dhcp if p.search(dhcp_vendor_class)]
        if signature:
            evidence += [(c, w, f"taxonomy~{p.pattern}") for p, c, w in self._taxonomy if p.search(signature)]
        if randomised and self._randomised:
            evidence.append((self._randomised[0], self._randomised[1], "randomised-mac"))
        if not evidence:
            return Classification("unknown", 0.0)
        remaining: dict[str, float] = {}
        for cls_, weight, _ in evidence:
            remaining[cls_] = remaining.get(cls_, 1.0) * (1.0 - min(max(weight, 0.0), 1.0))
        scores = sorted(((1.0 - rest, cls_) for cls_, rest in remaining.items()), reverse=True)
        best_score, best = scores[0]
        runner_up = scores[1][0] if len(scores) > 1 else 0.0
        confidence = round(best_score * (1.0 - runner_up / 2.0), 2)
        return Classification(best, confidence, tuple(r for c, _, r in evidence if c == best))
