"""A small bounded pool of database connections for the API's request threads."""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg


class Database:
    """Hands out autocommit connections, at most ``size`` at once; broken ones are replaced."""

    def __init__(self, url: str, size: int = 8) -> None:
        self.url = url
        self._idle: queue.LifoQueue[psycopg.Connection[Any]] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def connection(self) -> Iterator[psycopg.Connection[Any]]:
        """A connection for one request; returned to the pool afterwards unless it broke."""
        self._slots.acquire()
        conn: psycopg.Connection[Any] | None = None
        try:
            try:
                conn = self._idle.get_nowait()
            except queue.Empty:
                conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5,
                                       application_name="porchlight-api")
            yield conn
        finally:
            if conn is not None and not conn.closed and conn.info.transaction_status == \
                    psycopg.pq.TransactionStatus.IDLE:
                self._idle.put(conn)
            elif conn is not None:
                conn.close()
            self._slots.release()

    def close(self) -> None:
        """Close the idle connections."""
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return
