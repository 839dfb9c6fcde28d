"""The zstd_dictionaries table: every compression dictionary the cloud ever issued, by id, fleet and home
(see porchlight_wire.home_dictionary); and gateway_references, what home dictionaries are made of."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import psycopg
from porchlight_wire import DictionaryStore, HomeDictionary
from porchlight_wire.codec import dictionary_id
from porchlight_wire.home_dictionary import is_home_dictionary_id


def add(conn: psycopg.Connection[Any], data: bytes) -> int:
    """Keep a fleet dictionary (idempotent); return its id.

    Ids from 2^31 up belong to home dictionaries, which the cloud numbers itself (see ``add_home``): a trained
    dictionary carrying one is refused here rather than by the table's check constraint."""
    dict_id = dictionary_id(data)
    if is_home_dictionary_id(dict_id):
        raise ValueError(f"dictionary id {dict_id} is in the home dictionary range (2^31 and up); "
                         "train fleet dictionaries with an id below 2^31")
    with conn.transaction():
        conn.execute("INSERT INTO zstd_dictionaries (dict_id, data) VALUES (%s, %s) ON CONFLICT DO NOTHING",
                     (dict_id, data))
    return dict_id


def load_into(conn: psycopg.Connection[Any], store: DictionaryStore) -> int:
    """Add every stored dictionary to ``store`` (after the shipped ones); return how many were added."""
    with conn.transaction():
        rows = conn.execute("SELECT data FROM zstd_dictionaries WHERE kind = 'fleet' "
                            "ORDER BY created_at, dict_id").fetchall()
    known = set(store.ids())
    added = 0
    for (data,) in rows:
        if dictionary_id(bytes(data)) not in known:
            store.add(bytes(data))
            added += 1
    return added


def keep_references(cur: psycopg.Cursor[Any], rows: Sequence[tuple[int, datetime, bytes]]) -> None:
    """Keep each gateway's newest full-inventory report as it arrived: (gateway_key, end_ts, payload)."""
    if rows:
        cur.executemany(
            "INSERT INTO gateway_references (gateway_key, end_ts, payload) VALUES (%s, %s, %s) "
            "ON CONFLICT (gateway_key) DO UPDATE SET end_ts = excluded.end_ts, payload = excluded.payload "
            "WHERE gateway_references.end_ts < excluded.end_ts", sorted(rows, key=lambda r: r[0]))


def reference_of(conn: psycopg.Connection[Any], gateway_id: str) -> tuple[datetime, bytes] | None:
    """The newest full-inventory report of one gateway as it arrived: (end_ts, message), or None."""
    row = conn.execute("SELECT r.end_ts, r.payload FROM gateway_references r JOIN gateways g USING (gateway_key) "
                       "WHERE g.gateway_id = %s", (gateway_id,)).fetchone()
    return None if row is None else (row[0], bytes(row[1]))


def add_home(conn: psycopg.Connection[Any], base_id: int, gateway_id: str, reference: bytes) -> HomeDictionary:
    """Issue a new home dictionary (a fresh id from its own range) and keep it; return it."""
    with conn.transaction():
        (dict_id,) = conn.execute("SELECT nextval('home_dictionary_ids')").fetchone() or (None,)
        home = HomeDictionary(int(dict_id), base_id, gateway_id, reference)
        conn.execute("INSERT INTO zstd_dictionaries (dict_id, data, kind, base_id, gateway_id) "
                     "VALUES (%s, %s, 'home', %s, %s)", (home.dict_id, reference, base_id, gateway_id))
    return home


def home(conn: psycopg.Connection[Any], dict_id: int) -> HomeDictionary | None:
    """One home dictionary by id, or None when no such dictionary was ever issued."""
    row = conn.execute("SELECT base_id, gateway_id, data FROM zstd_dictionaries WHERE dict_id = %s AND kind = 'home'",
                       (dict_id,)).fetchone()
    return None if row is None else HomeDictionary(dict_id, row[0], row[1], bytes(row[2]))


def latest_homes(conn: psycopg.Connection[Any]) -> dict[str, tuple[int, datetime]]:
    """gateway_id -> (dict_id, created_at) of the newest home dictionary issued to each gateway."""
    rows = conn.execute("SELECT DISTINCT ON (gateway_id) gateway_id, dict_id, created_at FROM zstd_dictionaries "
                        "WHERE kind = 'home' ORDER BY gateway_id, created_at DESC, dict_id DESC").fetchall()
    return {gateway_id: (dict_id, created) for gateway_id, dict_id, created in rows}
