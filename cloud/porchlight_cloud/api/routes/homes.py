"""Homes: one home with its gateways and devices, and its stored measurements over time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query

from ...store import homes as homes_store
from ...store import samples as samples_store
from ..deps import connection

router = APIRouter(tags=["homes"])
Conn = Annotated[psycopg.Connection[Any], Depends(connection)]
MAX_RANGE = timedelta(days=31)
DEFAULT_RANGE = timedelta(hours=24)


def _utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


@router.get("/homes/{home_id}")
def get_home(home_id: str, conn: Conn) -> dict[str, Any]:
    """The home, its gateway(s) and its devices."""
    home = homes_store.home_detail(conn, home_id)
    if home is None:
        raise HTTPException(404, f"home {home_id!r} is not known")
    return home


@router.get("/homes/{home_id}/samples")
def get_samples(
    home_id: str,
    conn: Conn,
    since: Annotated[datetime | None, Query(description="start (inclusive), ISO 8601 or epoch seconds")] = None,
    until: Annotated[datetime | None, Query(description="end (exclusive), default now")] = None,
    kind: Annotated[list[str] | None, Query(description=f"any of {', '.join(samples_store.KINDS)}")] = None,
) -> dict[str, Any]:
    """The home's stored measurements in [since, until), per kind; default the last 24 hours, every kind."""
    until = _utc(until) or datetime.now(UTC)
    since = _utc(since) or until - DEFAULT_RANGE
    if since >= until:
        raise HTTPException(422, "since must be before until")
    if until - since > MAX_RANGE:
        raise HTTPException(422, f"a range of at most {MAX_RANGE.days} days")
    kinds = tuple(dict.fromkeys(k for value in (kind or samples_store.KINDS) for k in value.split(",") if k))
    unknown = [k for k in kinds if k not in samples_store.KINDS]
    if unknown:
        raise HTTPException(422, f"unknown kind(s) {unknown}; known: {', '.join(samples_store.KINDS)}")
    key = homes_store.home_key(conn, home_id)
    if key is None:
        raise HTTPException(404, f"home {home_id!r} is not known")
    return {"home_id": home_id, "since": since, "until": until,
            "samples": samples_store.home_samples(conn, key, since, until, kinds)}
