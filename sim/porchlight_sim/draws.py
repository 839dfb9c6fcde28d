"""Counter-based random draws for the lockstep engine: a number is a hash of (home, row, time, purpose).

The lockstep engine draws millions of numbers per simulated minute, a few array operations per batch. Each
draw is ``splitmix64(row key ^ salt(ts, purpose))``: a row key is fixed per (home, row within the home), so a
home's numbers depend neither on the other homes nor on how the fleet is split across worker processes, and
the same seed gives the same numbers on every run.
"""

from __future__ import annotations

import hashlib

import numpy as np
from numpy.typing import NDArray

from .randomness import NORMAL

_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 2.0 ** -53
_NORMAL = np.array(NORMAL, dtype=np.float64)

#: Draw purposes of the lockstep engine: every draw of a sample has its own stream.
(P_CONNECT, P_DISCONNECT, P_DROP, P_DROP_AT, P_DROP_BACK, P_SPELL, P_SHARE, P_NOISE, P_SB_TALK, P_SB_SIZE,
 P_FLOWS, P_NEW, P_DESTS, P_SPAM1, P_SPAM2, P_SPAM3, P_SPAM4, P_SPAM5, P_BUSY, P_SIGNAL, P_NOISE_ST, P_RXMCS,
 P_RETRY, P_TXPK, P_RXPK, P_INACTIVE, P_RADIO_BUSY, P_HOP1, P_HOP2, P_HOP3, P_HOP4, P_HOP5, P_DNS1, P_DNS2,
 P_CPU1, P_CPU2, P_LOAD, P_MEM, P_CONNTRACK, P_AGENT, P_RSS, P_ROAM, P_TRY, P_TRY_FLOWS, P_TRY_DOWN,
 P_TRY_UP) = range(1, 47)
P_LOST = 100  # + target x 8 + probe
P_TARGET = 200  # + target x 4 + draw

U64 = NDArray[np.uint64]
F64 = NDArray[np.float64]


def _mix_int(x: int) -> int:
    x &= _MASK
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK
    return x ^ (x >> 31)


def _mix(x: U64) -> U64:
    x = x ^ (x >> np.uint64(30))
    x *= _M1
    x ^= x >> np.uint64(27)
    x *= _M2
    x ^= x >> np.uint64(31)
    return x


def home_key(seed: int, home_id: str) -> int:
    """A home's 64-bit key (SHA-256 of seed and id: the same in every process)."""
    return int.from_bytes(hashlib.sha256(f"lockstep:{seed}:{home_id}".encode()).digest()[:8], "big")


def row_keys(home_keys: list[int], local_index: list[int]) -> U64:
    """Keys of rows (one per entity), from their home's key and their index within the home."""
    keys = np.array(home_keys, dtype=np.uint64)
    local = np.array(local_index, dtype=np.uint64) + np.uint64(1)
    return _mix(keys ^ (local * np.uint64(_GOLDEN)))


class Draws:
    """Uniform and normal draws for rows at one sample time; every ``purpose`` is its own stream."""

    def __init__(self, ts: int) -> None:
        self.ts = ts

    def _bits(self, keys: U64, purpose: int) -> U64:
        salt = np.uint64(_mix_int(self.ts * 0x100000001B3 + purpose * _GOLDEN + 0x51ED27))
        return _mix(keys ^ salt)

    def uniform(self, keys: U64, purpose: int) -> F64:
        """U[0, 1) per row."""
        return (self._bits(keys, purpose) >> np.uint64(11)).astype(np.float64) * _TO_UNIT

    def normal(self, keys: U64, purpose: int, sigma: float = 1.0) -> F64:
        """N(0, sigma) per row, from the same 4096-quantile table the per-sample path uses."""
        return _NORMAL[(self._bits(keys, purpose) >> np.uint64(52)).astype(np.intp)] * sigma

    def small(self, keys: U64, purpose: int, n: int) -> NDArray[np.int64]:
        """An integer in [0, n) per row."""
        return ((self._bits(keys, purpose) >> np.uint64(11)).astype(np.float64) * (_TO_UNIT * n)).astype(np.int64)
