"""Issue home dictionaries: one gateway's recent full report on top of the newest fleet dictionary.

Who gets one: gateways whose newest full-inventory report (kept by ingest in ``gateway_references``) is big
on the wire, i.e. busy homes, where a fleet dictionary leaves the most (many MACs, host names and
(device, app) pairs that repeat in every report of that home and no other). A gateway is issued a new one
when its reference is ``refresh_days`` newer than the dictionary it has, so a home that changed (new
devices) is caught up, and one that did not costs nothing. Each issued dictionary is kept before the command
leaves (``store.dictionaries.add_home``), so a worker can always open what the gateway sends with it.

    porchlight dictionaries issue --send            # every eligible gateway
    porchlight dictionaries issue --gateway gw-1 --send
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

import psycopg
from porchlight_wire import Decoder, DictionaryStore, HomeDictionary, UnknownDictionaryError, WireError
from porchlight_wire.codec import parse_envelope
from porchlight_wire.home_dictionary import MAX_REFERENCE_BYTES, is_home_dictionary_id

from .commands import CommandOutcome, CommandSender, GatewayRef
from .store import dictionaries as dictionaries_store

__all__ = ["Candidate", "candidates", "issue", "send"]

log = logging.getLogger("porchlight.cloud.home_dictionaries")

#: A full report that takes this many bytes on the wire with the fleet dictionary marks a busy home
#: (a typical 8-device home's is ~0.9 KB, a 40-device home's ~2.5 KB; bench/wire_size.py).
DEFAULT_MIN_PAYLOAD_BYTES: Final = 1_500
DEFAULT_REFRESH_DAYS: Final = 7


@dataclass(frozen=True, slots=True)
class Candidate:
    """A gateway that should get a (new) home dictionary, and why."""

    home_id: str
    gateway_id: str
    reference_ts: datetime
    payload_bytes: int
    current_dict_id: int | None


def candidates(conn: psycopg.Connection[Any], *, gateway_ids: Sequence[str] | None = None,
               min_payload_bytes: int = DEFAULT_MIN_PAYLOAD_BYTES,
               refresh_days: float = DEFAULT_REFRESH_DAYS) -> list[Candidate]:
    """Gateways with a reference worth a dictionary: the named ones (any size), or every gateway whose
    reference is at least ``min_payload_bytes`` on the wire; either way only when it has no home
    dictionary yet or its reference is ``refresh_days`` newer than the one it has."""
    rows = conn.execute(
        "SELECT h.home_id, g.gateway_id, r.end_ts, octet_length(r.payload) FROM gateway_references r "
        "JOIN gateways g USING (gateway_key) JOIN homes h ON h.home_key = g.home_key "
        "WHERE (%(ids)s::text[] IS NULL AND octet_length(r.payload) >= %(min)s) OR g.gateway_id = ANY(%(ids)s) "
        "ORDER BY g.gateway_id", {"ids": list(gateway_ids) if gateway_ids is not None else None,
                                  "min": min_payload_bytes}).fetchall()
    latest = dictionaries_store.latest_homes(conn)
    out = []
    for home_id, gateway_id, end_ts, size in rows:
        current = latest.get(gateway_id)
        if current is not None and end_ts - current[1] < timedelta(days=refresh_days):
            continue
        out.append(Candidate(home_id, gateway_id, end_ts, size, current[0] if current else None))
    return out


def _reference_body(conn: psycopg.Connection[Any], payload: bytes, gateway_id: str, decoder: Decoder) -> bytes:
    """The JSON body of a kept message (compressed with a fleet or an earlier home dictionary)."""
    dict_id = parse_envelope(payload)[0].dict_id
    if is_home_dictionary_id(dict_id):
        try:
            decoder.dictionaries.home(dict_id)
        except UnknownDictionaryError:
            home = dictionaries_store.home(conn, dict_id)
            if home is not None:
                decoder.dictionaries.add_home(home)
    return decoder.body(payload, gateway_id)[1]


def issue(conn: psycopg.Connection[Any], chosen: Sequence[Candidate],
          store: DictionaryStore | None = None) -> list[tuple[Candidate, HomeDictionary]]:
    """Make and keep a home dictionary for each candidate (on the newest fleet dictionary); skip, with a
    warning, a reference that no longer decodes or is too large."""
    if store is None:
        store = DictionaryStore.shipped()
        dictionaries_store.load_into(conn, store)
    base_id = store.newest()
    if base_id is None:
        raise UnknownDictionaryError("no fleet dictionary to build home dictionaries on")
    decoder = Decoder(store)
    issued = []
    for candidate in chosen:
        kept = dictionaries_store.reference_of(conn, candidate.gateway_id)
        if kept is None:
            continue
        try:
            body = _reference_body(conn, kept[1], candidate.gateway_id, decoder)
        except WireError as exc:
            log.warning("event=home_dictionary_skipped gateway=%s reason=%s", candidate.gateway_id, exc)
            continue
        if len(body) > MAX_REFERENCE_BYTES:
            log.warning("event=home_dictionary_skipped gateway=%s reason=reference of %d bytes",
                        candidate.gateway_id, len(body))
            continue
        issued.append((candidate, dictionaries_store.add_home(conn, base_id, candidate.gateway_id, body)))
    return issued


def send(sender: CommandSender, issued: Sequence[tuple[Candidate, HomeDictionary]], store: DictionaryStore,
         *, timeout_s: float = 30.0, ttl_s: int = 86_400) -> dict[str, CommandOutcome]:
    """Send each gateway its ``set_dictionary`` command; gateway_id -> outcome (ack or timeout)."""
    outcomes: dict[str, CommandOutcome] = {}
    for candidate, home in issued:
        ref = GatewayRef(candidate.home_id, candidate.gateway_id)
        got = sender.send(ref, "set_dictionary", home.command_args(store.raw(home.base_id)),
                          ttl_s=ttl_s, timeout_s=timeout_s)
        outcomes[candidate.gateway_id] = got[ref]
    return outcomes
