"""Open one MQTT message into a Summary or a Rejected, fetching a zstd dictionary the worker lacks.

The decoder knows the fleet dictionaries it was started with. A message may name one issued later (a new
fleet dictionary, or a home dictionary the cloud gave one busy gateway): the opener then fetches it once
and tries again, so a dictionary issued after the worker started never sends good reports to quarantine.
Fleet dictionaries are reloaded at most every DICTIONARY_RELOAD_S, so a flood of reports naming an id
nobody issued costs one query per interval, not one per message.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Final

import psycopg
from porchlight_wire import (
    Decoder,
    DictionaryStore,
    UnknownDictionaryError,
    WireError,
    is_home_dictionary_id,
    parse_envelope,
)

from ..config import Settings
from ..store import dictionaries as dictionaries_store
from .decode import Incoming, decode
from .errors import InternalDecodeError
from .rows import Summary, summarize
from .writer import Rejected

log = logging.getLogger(__name__)
DICTIONARY_RELOAD_S: Final = 30.0


class Opener:
    """The decoding stage of an ingest worker; used from one thread (the decoder's)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.dictionaries = DictionaryStore.shipped()
        self.decoder = Decoder(self.dictionaries, max_message_bytes=settings.max_message_bytes,
                               max_body_bytes=settings.max_body_bytes)
        self._loaded_at = 0.0
        self._conn: psycopg.Connection[Any] | None = None

    def load(self, conn: psycopg.Connection[Any]) -> None:
        """Take every dictionary the database holds (at start and after each database reconnect)."""
        added = dictionaries_store.load_into(conn, self.dictionaries)
        self._loaded_at = time.monotonic()
        if added:
            log.info("event=dictionaries_loaded added=%d known=%d", added, len(self.dictionaries.ids()))

    def open(self, incoming: Incoming) -> Summary | Rejected:
        """Decode, validate and summarise one message; a Rejected (the quarantine reason) when it is bad."""
        root = self.settings.topic_root
        try:
            try:
                return summarize(decode(incoming, self.decoder, root))
            except UnknownDictionaryError:
                if self._fetch_home_dictionary(incoming.payload):
                    return summarize(decode(incoming, self.decoder, root))
                if time.monotonic() - self._loaded_at < DICTIONARY_RELOAD_S:
                    raise
                self._loaded_at = time.monotonic()  # throttled even when the query fails
                self.load(self._connection())  # a fleet dictionary issued after we started: look again once
                return summarize(decode(incoming, self.decoder, root))
        except WireError as exc:
            return Rejected(incoming, exc.reason, str(exc))
        except psycopg.Error as exc:
            log.warning("event=dictionary_reload_failed error=%r", str(exc)[:200])
            return Rejected(incoming, UnknownDictionaryError.reason, "dictionary reload failed")
        except Exception as exc:
            log.exception("event=decode_bug topic=%s", incoming.topic)
            return Rejected(incoming, InternalDecodeError.reason, f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Close the opener's own database connection, if it opened one."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _connection(self) -> psycopg.Connection[Any]:
        # Its own connection: the writer's is inside a batch transaction on another thread.
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(self.settings.db_url, autocommit=True, connect_timeout=5)
        return self._conn


    def _fetch_home_dictionary(self, payload: bytes) -> bool:
        """Fetch the home dictionary a message names; True when it is now known."""
        try:
            dict_id = parse_envelope(payload)[0].dict_id
        except WireError:
            return False
        if not is_home_dictionary_id(dict_id):
            return False
        home = dictionaries_store.home(self._connection(), dict_id)
        if home is None:
            return False
        try:
            self.dictionaries.add_home(home)
        except UnknownDictionaryError:
            return False     # its base is newer than this worker's fleet dictionaries: the reload finds it
        return True
