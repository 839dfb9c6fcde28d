"""Turning cumulative counters into per-interval deltas that are never negative."""

from __future__ import annotations

from typing import Final

_WRAP_BITS: Final = 32
_WRAP: Final = 1 << _WRAP_BITS
_HALF: Final = 1 << (_WRAP_BITS - 1)


def counter_delta(previous: int | None, current: int | None, *, reset: bool = False) -> int | None:
    """The increase of a cumulative counter between two readings.

    * no current reading -> None; no previous reading -> None (the first sample has no interval);
    * ``reset`` (the caller knows the counter restarted: reboot, reassociation) -> ``current``;
    * a 32-bit counter that wrapped (previous in 32-bit range, and the wrapped increase is under half the
      range) -> the wrapped increase;
    * any other decrease is a reset: the counter restarts from ``current``. Never negative.
    """
    if current is None or previous is None:
        return None
    if reset:
        return current
    if current >= previous:
        return current - previous
    if previous < _WRAP:
        wrapped = current + _WRAP - previous
        if wrapped < _HALF:
            return wrapped
    return current
