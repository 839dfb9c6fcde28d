"""MAC addresses as they leave the gateway: normalised, and with hashing on, a per-home keyed hash.

With a home key the agent never sends a device's real MAC: it sends ``'h:'`` + the first 16 hex digits of
HMAC-SHA256(home key, normalised MAC). The same device keeps the same pseudonym within a home (so trends
still join up) but cannot be matched across homes or looked up in a vendor registry.
"""

from __future__ import annotations

import re
from typing import Any, Final

# The builtin SHA-256 rather than hashlib/hmac: importing those maps OpenSSL's libcrypto, several MB of
# resident memory on a gateway for one hash function. test_inventory checks the result against hmac.
try:
    from _sha2 import sha256 as _sha256  # Python 3.12+
except ImportError:  # pragma: no cover - depends on the Python version
    try:
        from _sha256 import sha256 as _sha256  # Python 3.11
    except ImportError:
        from hashlib import sha256 as _sha256

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

    __slots__ = ("_cache", "_inner", "_key", "_outer")

    def __init__(self, key: bytes | None = None) -> None:
        if key is not None and len(key) < 16:
            raise ValueError("the MAC hashing key must be at least 16 bytes")
        self._key = key
        self._cache: dict[str, str] = {}
        self._inner: Any = None
        self._outer: Any = None
        if key is not None:
            block = (_sha256(key).digest() if len(key) > 64 else key).ljust(64, b"\0")
            self._inner = _sha256(bytes(b ^ 0x36 for b in block))  # RFC 2104 HMAC
            self._outer = _sha256(bytes(b ^ 0x5C for b in block))

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
            inner = self._inner.copy()
            inner.update(mac.encode("ascii"))
            outer = self._outer.copy()
            outer.update(inner.digest())
            hashed = self._cache[mac] = "h:" + outer.hexdigest()[:16]
        return hashed
