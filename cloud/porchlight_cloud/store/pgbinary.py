"""PostgreSQL binary array encoding for the COPY hot path (pure).

psycopg's generic list dumper costs ~10 us an array in Python; these encoders build the same
``array_recv`` wire format with one struct.pack call. The bytes are sent through COPY as the column's
binary value (declared as bytea to psycopg, which passes bytes through untouched).
"""

from __future__ import annotations

import struct
from collections.abc import Sequence
from functools import cache
from typing import Final

INT2_OID: Final = 21
INT4_OID: Final = 23
FLOAT4_OID: Final = 700
_CODES: Final = {INT2_OID: ("h", 2), INT4_OID: ("i", 4), FLOAT4_OID: ("f", 4)}


@cache
def _format(oid: int, n: int) -> struct.Struct:
    code = _CODES[oid][0]
    return struct.Struct(">5i" + ("i" + code) * n)


def encode(values: Sequence[float | None] | None, oid: int) -> bytes | None:
    """One-dimensional array of int2/int4/float4 (by element oid) in binary format; None stays NULL."""
    if values is None:
        return None
    n = len(values)
    if n == 0:
        return struct.pack(">3i", 0, 0, oid)
    code, size = _CODES[oid]
    if None not in values:
        flat: list[float] = [1, 0, oid, n, 1]
        for v in values:
            flat.append(size)
            flat.append(v)  # type: ignore[arg-type]
        return _format(oid, n).pack(*flat)
    parts = [struct.pack(">5i", 1, 1, oid, n, 1)]
    item = struct.Struct(">i" + code)
    null = struct.pack(">i", -1)
    for v in values:
        parts.append(null if v is None else item.pack(size, v))
    return b"".join(parts)


def int2s(values: Sequence[int | None] | None) -> bytes | None:
    """smallint[] binary value."""
    return encode(values, INT2_OID)


def int4s(values: Sequence[int | None] | None) -> bytes | None:
    """integer[] binary value."""
    return encode(values, INT4_OID)


def float4s(values: Sequence[float | None] | None) -> bytes | None:
    """real[] binary value."""
    return encode(values, FLOAT4_OID)
