"""The zstd_dictionaries table: every compression dictionary the cloud ever issued, by id."""

from __future__ import annotations

from typing import Any

import psycopg
from porchlight_wire import DictionaryStore
from porchlight_wire.codec import dictionary_id


def add(conn: psycopg.Connection[Any], data: bytes) -> int:
    """Keep a dictionary (idempotent); return its id."""
    dict_id = dictionary_id(data)
    with conn.transaction():
        conn.execute("INSERT INTO zstd_dictionaries (dict_id, data) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (dict_id, data))
    return dict_id


def load_into(conn: psycopg.Connection[Any], store: DictionaryStore) -> int:
    """Add every stored dictionary to ``store`` (after the shipped ones); return how many were added."""
    with conn.transaction():
        rows = conn.execute("SELECT data FROM zstd_dictionaries ORDER BY created_at, dict_id").fetchall()
    known = set(store.ids())
    added = 0
    for (data,) in rows:
        if dictionary_id(bytes(data)) not in known:
            store.add(bytes(data))
            added += 1
    return added
