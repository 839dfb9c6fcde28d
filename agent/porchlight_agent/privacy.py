"""MAC addresses as they leave the gateway: normalised, and with hashing on, a per-home keyed hash.

With a home key the agent never sends a device's real MAC: it sends ``'h:'`` + the first 16 hex digits of
HMAC-SHA256(home key, normalised MAC). The same device keeps the same pseudonym within a home (so trends
still join up) but cannot be matched across homes or looked up in a vendor registry.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from typing import Final

__all__ = ["MacHasher", "is_locally_administered", "normalize_mac"]

_MAC_RE: Final = re.compile(r"^[0-9a-f]{2}([:-]?)[0-9a-f]{2}(?:\1[0-9a-f]{2}){4}$")
_CACHE_LIMIT: Final = 4096


def normalize_mac(text: str) -> str | None:
    """Lower-case, colon-separated form of a MAC (``AA-BB-CC-...``, ``aabb.cc...`` without dots are
    accepted); None when the text is not a MAC."""
    raw = text.strip().lower()
    if len(raw) == 17 and raw[2] == ":" and raw[5] == ":" and _MAC_RE.match(raw):
        return raw  # the common case, already normal
    if not _MAC_RE.match(raw):
        return None
    digits = raw.replace(":", "").replace("-", "")
    return ":".join(digits[i:i + 2] for i in range(0, 12, 2))


def is_locally_administered(mac: str) -> bool:
    """Whether the MAC's U/L bit is set: randomised (private Wi-Fi addresses) or assigned by software."""
    try:
        return bool(int(mac[0:2], 16) & 0x02)
    except ValueError:
        return False


class MacHasher:
    """Turns a MAC into what the report carries: itself (no key) or its keyed hash (with a home key)."""

    __slots__ = ("_cache", "_key")

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("the MAC hashing key must be at least 16 bytes")
        self._key = key
        self._cache: dict[str, str] = {}

    @property
    def enabled(self) -> bool:
        """True when MACs are reported hashed (the report header then carries the flag ``mac_hashed``)."""
        return self._key is not None

    def __call__(self, mac: str) -> str:
        """The reported form of ``mac`` (expects a normalised MAC; '' stays '')."""
        if self._key is None or not mac:
            return mac
        hashed = self._cache.get(mac)
        if hashed is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            digest = hmac.new(self._key, mac.encode("ascii"), hashlib.sha256).hexdigest()
            hashed = self._cache[mac] = "h:" + digest[:16]
        return hashed
