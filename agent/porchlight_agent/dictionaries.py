"""Which dictionary the agent compresses with: the newest shipped fleet dictionary, or the home dictionary
the cloud issued to this gateway (``set_dictionary``), kept in the data directory across restarts.

A home dictionary is only taken when everything needed to use it is here: zstandard, ``codec auto``, the
fleet dictionary it builds on, and a composed content whose CRC-32 matches the cloud's. Otherwise the agent
keeps its current codec and says why (the command's ``failed`` reason, or a warning at start).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Final

from porchlight_wire.codec import DictionaryStore, Encoder, zstd_available
from porchlight_wire.errors import CommandError, WireError
from porchlight_wire.home_dictionary import from_command_args

from .queue import atomic_write

__all__ = ["HOME_DICTIONARY_FILE", "HomeDictionaryRefused", "home_encoder", "load_home_dictionary",
           "make_encoder", "store_home_dictionary"]

log = logging.getLogger("porchlight.dictionaries")

HOME_DICTIONARY_FILE: Final = "home_dictionary.json"


class HomeDictionaryRefused(Exception):
    """A home dictionary this agent cannot use; the message says why."""


def home_encoder(args: dict[str, Any], gateway_id: str, codec: str, zstd_level: int,
                 store: DictionaryStore | None = None) -> Encoder:
    """An encoder for the home dictionary in ``set_dictionary`` arguments; HomeDictionaryRefused if unusable."""
    if not zstd_available():
        raise HomeDictionaryRefused("zstandard is not installed here: reports go as zlib")
    if codec != "auto":
        raise HomeDictionaryRefused(f"codec is set to {codec!r}, not 'auto'")
    try:
        home, crc = from_command_args(args, gateway_id)
    except CommandError as exc:
        raise HomeDictionaryRefused(str(exc)) from None
    store = store or DictionaryStore.shipped()
    try:
        base = store.raw(home.base_id)
    except WireError:
        raise HomeDictionaryRefused(f"base dictionary {home.base_id} is not on this gateway") from None
    if home.crc32(base) != crc:
        raise HomeDictionaryRefused(f"content check failed: crc32 {home.crc32(base)} here, {crc} from the cloud")
    return Encoder(home.content(base), zstd_level=zstd_level, raw_dict_id=home.dict_id)


def store_home_dictionary(data_dir: Path, args: dict[str, Any]) -> Path:
    """Persist ``set_dictionary`` arguments (replaced atomically) so the next start uses them too."""
    path = data_dir / HOME_DICTIONARY_FILE
    data_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(args, separators=(",", ":")).encode())
    return path


def load_home_dictionary(data_dir: Path) -> dict[str, Any] | None:
    """The stored ``set_dictionary`` arguments, or None."""
    try:
        doc = json.loads((data_dir / HOME_DICTIONARY_FILE).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def make_encoder(data_dir: Path, gateway_id: str, codec: str, zstd_level: int) -> Encoder:
    """The stored home dictionary if it is usable, else the newest shipped fleet dictionary, else plain
    zstd, else zlib (as the codec option allows)."""
    if codec in ("zlib", "json"):
        return Encoder(prefer=codec)
    store = DictionaryStore.shipped()
    stored = load_home_dictionary(data_dir)
    if stored is not None:
        try:
            return home_encoder(stored, gateway_id, codec, zstd_level, store)
        except (HomeDictionaryRefused, KeyError, TypeError) as exc:
            log.warning("event=stored_home_dictionary_refused error=%r", str(exc))
    newest = store.newest()
    dictionary = store.raw(newest) if newest is not None else None
    return Encoder(dictionary, zstd_level=zstd_level, prefer=codec)
