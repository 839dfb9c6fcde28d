"""Values fitted to the store's column types (pure): range checks that quarantine, clamps that do not.

A counter or a time the store cannot hold (out of the integer column's range) makes the report invalid:
SchemaError, so it goes to quarantine instead of failing the whole batch's COPY. A measurement that only
overflows its compact smallint (a 4,000 ms RTT in 0.1 ms units) is clamped, because the measurement is real.
"""

from __future__ import annotations

import math
from typing import Any, Final

from porchlight_wire import SchemaError

I2_MAX: Final = 32767
I4_MAX: Final = 2**31 - 1
I8_MAX: Final = 2**63 - 1
F4_MAX: Final = 3.0e38
MAX_EPOCH: Final = 2**33      # year 2242


def checked_int(value: int, limit: int, where: str) -> int:
    """``value`` when it fits a signed integer column of magnitude ``limit``; SchemaError naming ``where``."""
    if -limit - 1 <= value <= limit:
        return value
    raise SchemaError([f"{where}: {value} is out of range"])


def checked_epoch(value: int, where: str) -> int:
    """A Unix time (seconds) the store's timestamps can hold, or SchemaError."""
    if 0 <= value < MAX_EPOCH:
        return value
    raise SchemaError([f"{where}: {value} is not a Unix time the store can hold"])


def checked_opt_int(value: int | None, limit: int, where: str) -> int | None:
    """As checked_int; an absent value stays absent."""
    return None if value is None else checked_int(value, limit, where)


def smallint(value: float | None, scale: int = 1) -> int | None:
    """A measurement as a smallint in 1/scale units, clamped to the smallint range (3276.7 ms at scale 10)."""
    if value is None:
        return None
    try:
        scaled = round(value * scale)
    except (OverflowError, ValueError):     # infinity, NaN
        return None
    return scaled if -I2_MAX - 1 <= scaled <= I2_MAX else (I2_MAX if scaled > 0 else -I2_MAX - 1)


def real4(value: float | None, where: str) -> float | None:
    """A finite value a ``real`` column can hold, or SchemaError (absent stays absent)."""
    if value is None:
        return None
    if math.isfinite(value) and -F4_MAX < value < F4_MAX:
        return float(value)
    raise SchemaError([f"{where}: {value} is out of range"])


def column_or_nones(columns: dict[str, list[Any]], name: str, n: int) -> list[Any]:
    """A report section's column, or ``n`` Nones when the agent left that optional column out."""
    column = columns.get(name)
    return column if column is not None else [None] * n


def mean_or_none(total: float, count: int) -> float | None:
    """``total / count``; None when nothing was counted."""
    return total / count if count else None
