"""Operational endpoints: liveness and Prometheus metrics."""

from __future__ import annotations

from typing import Annotated, Any

import psycopg
from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse, PlainTextResponse

from ...ingest import metrics
from ...store import workers
from ..deps import connection

router = APIRouter()
Conn = Annotated[psycopg.Connection[Any], Depends(connection)]


@router.get("/healthz")
def healthz(conn: Conn) -> JSONResponse:
    """200 when the database answers."""
    conn.execute("SELECT 1")
    return JSONResponse({"status": "ok"})


@router.get("/metrics", response_class=PlainTextResponse)
def prometheus_metrics(conn: Conn) -> PlainTextResponse:
    """Ingest metrics of all workers, summed, in the Prometheus text format."""
    snapshots, live = workers.snapshots(conn)
    return PlainTextResponse(metrics.render(snapshots, live), media_type="text/plain; version=0.0.4")
