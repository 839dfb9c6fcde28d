"""Request dependencies shared by the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import psycopg
from fastapi import Request

from .db import Database


def connection(request: Request) -> Iterator[psycopg.Connection[Any]]:
    """A pooled database connection for the duration of one request."""
    database: Database = request.app.state.db
    with database.connection() as conn:
        yield conn
