"""Record files: MQTT messages (topic + payload) stored for replay, one length-prefixed record after another.

Layout::

    file    = magic b"PLSIMREC" + version byte (1) + record*
    record  = end_ts (u32 BE) + topic length (u16 BE) + payload length (u32 BE) + topic (UTF-8) + payload

``end_ts`` is the report's end (seconds), so several files can be merged back into time order. The
payload is the exact wire message (8-byte envelope + compressed JSON).
"""

from __future__ import annotations

import heapq
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

MAGIC = b"PLSIMREC"
VERSION = 1
_HEAD = struct.Struct(">IHI")
SUFFIX = ".plrec"


class RecordFileError(ValueError):
    """A record file is not one, or is truncated."""


@dataclass(frozen=True, slots=True)
class Record:
    """One stored MQTT message."""

    end_ts: int
    topic: str
    payload: bytes


class RecordWriter:
    """Appends records to a new file (buffered); use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh: BinaryIO = open(self.path, "wb")  # noqa: SIM115 - closed by close()/__exit__
        self._fh.write(MAGIC + bytes([VERSION]))
        self.count = 0
        self.bytes = 0

    def write(self, end_ts: int, topic: str, payload: bytes) -> None:
        """Append one message."""
        raw_topic = topic.encode("utf-8")
        self._fh.write(_HEAD.pack(end_ts, len(raw_topic), len(payload)))
        self._fh.write(raw_topic)
        self._fh.write(payload)
        self.count += 1
        self.bytes += len(payload)

    def close(self) -> None:
        """Flush and close the file."""
        self._fh.close()

    def __enter__(self) -> RecordWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_records(path: str | Path) -> Iterator[Record]:
    """Every record of one file, in file order; RecordFileError on a bad magic or a truncated record."""
    with open(path, "rb", buffering=1 << 20) as fh:
        head = fh.read(len(MAGIC) + 1)
        if head[: len(MAGIC)] != MAGIC:
            raise RecordFileError(f"{path}: not a Porchlight record file")
        if head[len(MAGIC)] != VERSION:
            raise RecordFileError(f"{path}: record file version {head[len(MAGIC)]} is not supported")
        while True:
            raw = fh.read(_HEAD.size)
            if not raw:
                return
            if len(raw) < _HEAD.size:
                raise RecordFileError(f"{path}: truncated record header")
            end_ts, topic_len, payload_len = _HEAD.unpack(raw)
            body = fh.read(topic_len + payload_len)
            if len(body) < topic_len + payload_len:
                raise RecordFileError(f"{path}: truncated record")
            yield Record(end_ts, body[:topic_len].decode("utf-8"), body[topic_len:])


def record_files(directory: str | Path) -> list[Path]:
    """The record files in a directory, sorted by name."""
    return sorted(Path(directory).glob(f"*{SUFFIX}"))


def merged(paths: Iterable[str | Path]) -> Iterator[Record]:
    """Records of several files merged into end-time order (ties keep file order)."""
    streams = [read_records(p) for p in paths]
    return heapq.merge(*streams, key=lambda r: r.end_ts)
