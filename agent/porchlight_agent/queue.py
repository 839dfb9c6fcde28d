"""Crash-safe, bounded on-disk store and forward for encoded reports, with the report sequence counter.

Every report is one file, written to a temporary name, fsynced and renamed into place, so a power cut
mid-write loses at most the report being written and never corrupts the queue. The file name carries
what the queue needs without opening the file: ``<seq:012d>-<drops>-<created_ts>.msg``, where ``drops`` is
the ``dropped_reports`` count the report's header carries (so a report that is itself dropped hands its
count on to the next one and no drop is ever forgotten).

The sequence state (``state.json``: boot_id, next seq, drops not yet carried by a report) lives in the same
directory and is replaced the same crash-safe way; a new queue directory gets a new random boot_id, so
``(boot_id, seq)`` names each report exactly once, strictly increasing across agent restarts.

One process owns a queue directory at a time (an exclusive ``flock`` on ``.lock``).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["Entry", "QueueError", "QueueLimits", "QueueLockedError", "ReportQueue", "Ticket", "atomic_write"]

log = logging.getLogger("porchlight.queue")

_ENTRY_NAME = re.compile(r"^(\d{12})-(\d+)-(\d+)\.msg$")
_STATE_FILE: Final = "state.json"
_LOCK_FILE: Final = ".lock"
_TMP_SUFFIX: Final = ".tmp"
#: Reports stamped before this (2020-01-01) were made with an unsynchronised clock: their age is unknown.
SANE_EPOCH: Final = 1_577_836_800
_MIN_ENTRY_BYTES: Final = 8  # the wire envelope


class QueueError(Exception):
    """The queue directory cannot be used (not creatable, not writable)."""


class QueueLockedError(QueueError):
    """Another agent process owns this queue directory."""


@dataclass(frozen=True, slots=True)
class QueueLimits:
    """Bounds of the queue: total bytes, number of reports, and age of the oldest report."""

    max_bytes: int
    max_count: int
    max_age_s: int


@dataclass(frozen=True, slots=True)
class Entry:
    """One queued report."""

    seq: int
    drops: int
    created_ts: int
    size: int

    @property
    def name(self) -> str:
        """The entry's file name."""
        return f"{self.seq:012d}-{self.drops}-{self.created_ts}.msg"


@dataclass(frozen=True, slots=True)
class Ticket:
    """What the next report's header needs from the queue: its id, the drops it carries, the backlog."""

    boot_id: str
    seq: int
    dropped_reports: int
    queue_depth: int


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes, *, pause_half_way: Callable[[], None] | None = None) -> None:
    """Write ``data`` to ``path`` via a temporary file, fsync and rename: readers see all of it or none."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{_TMP_SUFFIX}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if pause_half_way is not None:
            half = len(data) // 2
            os.write(fd, data[:half])
            os.fsync(fd)
            pause_half_way()
            data = data[half:]
        view = memoryview(data)
        while view:
            written = os.write(fd, view)
            view = view[written:]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


class ReportQueue:
    """Bounded FIFO of encoded reports on disk; safe to use from the sampling and the network thread.

    ``on_drop(count, reason)`` is called (in the caller's thread) whenever reports are dropped because the
    queue is full or they are too old; reason is ``full`` or ``too_old``.
    """

    def __init__(
        self,
        directory: Path,
        limits: QueueLimits,
        *,
        on_drop: Callable[[int, str], None] | None = None,
        pause_in_write: int = 0,
    ) -> None:
        self.directory = directory
        self.limits = limits
        self.on_drop = on_drop
        self._pause_in_write = pause_in_write
        self._writes = 0
        self._lock = threading.RLock()
        self._entries: OrderedDict[int, Entry] = OrderedDict()
        self._sending: set[int] = set()  # entries sent and awaiting their PUBACK
        self._bytes = 0
        self._lock_fd: int | None = None
        self.boot_id = ""
        self._next_seq = 0
        self._pending_drops = 0
        self.invalid_removed = 0

    # ---- opening -------------------------------------------------------------------------------------

    def open(self) -> ReportQueue:
        """Create or recover the directory: take the lock, remove partial writes and invalid entries, load
        the sequence state (or start a new boot_id). Raises QueueError / QueueLockedError."""
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.directory / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise QueueError(f"queue directory {self.directory}: {exc.strerror}; set queue_dir to a writable "
                             f"directory") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            raise QueueLockedError(f"queue directory {self.directory} is in use by another porchlight-agent; "
                                   f"stop it or pass --queue-dir") from None
        self._lock_fd = fd
        self._scan()
        self._load_state()
        log.info("event=queue_open dir=%s boot_id=%s next_seq=%d depth=%d bytes=%d invalid_removed=%d",
                 self.directory, self.boot_id, self._next_seq, len(self._entries), self._bytes,
                 self.invalid_removed)
        return self

    def close(self) -> None:
        """Release the directory lock."""
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def __enter__(self) -> ReportQueue:
        return self if self._lock_fd is not None else self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _scan(self) -> None:
        found: list[Entry] = []
        for name in os.listdir(self.directory):
            path = self.directory / name
            if name.endswith(_TMP_SUFFIX):
                # A write that never reached its rename: the report it held was never acknowledged as queued.
                self._unlink(path)
                self.invalid_removed += 1
                continue
            match = _ENTRY_NAME.match(name)
            if match is None:
                continue
            try:
                size = path.stat().st_size
                with open(path, "rb") as fh:
                    magic = fh.read(2)
            except OSError:
                continue
            if size < _MIN_ENTRY_BYTES or magic != b"PL":
                log.warning("event=queue_invalid_entry file=%s size=%d", name, size)
                self._unlink(path)
                self.invalid_removed += 1
                continue
            found.append(Entry(int(match[1]), int(match[2]), int(match[3]), size))
        for entry in sorted(found, key=lambda e: e.seq):
            self._entries[entry.seq] = entry
            self._bytes += entry.size

    def _load_state(self) -> None:
        state: dict[str, object] = {}
        try:
            loaded = json.loads((self.directory / _STATE_FILE).read_bytes())
            if isinstance(loaded, dict):
                state = loaded
        except (OSError, ValueError):
            state = {}
        boot_id, next_seq, pending = state.get("boot_id"), state.get("next_seq"), state.get("pending_drops", 0)
        highest = next(reversed(self._entries), -1)
        if isinstance(boot_id, str) and boot_id and isinstance(next_seq, int) and isinstance(pending, int):
            self.boot_id = boot_id
            self._next_seq = max(next_seq, highest + 1)
            self._pending_drops = pending
        else:
            # os.urandom, not secrets: secrets pulls in hashlib/OpenSSL, ~3.7 MB of RSS on the gateway.
            self.boot_id = os.urandom(8).hex()
            self._next_seq = highest + 1
            self._pending_drops = 0
            self._save_state()

    def _save_state(self) -> None:
        doc = {"boot_id": self.boot_id, "next_seq": self._next_seq, "pending_drops": self._pending_drops}
        atomic_write(self.directory / _STATE_FILE, json.dumps(doc).encode())

    # ---- writing --------------------------------------------------------------------------------------

    def reserve(self, now: float) -> Ticket:
        """Make room for one more report and allocate its sequence number (persisted before it is used)."""
        with self._lock:
            self._drop_too_old(now)
            excess = len(self._entries) + 1 - self.limits.max_count
            if excess > 0:
                self._drop_oldest(excess, "full")
            seq = self._next_seq
            self._next_seq += 1
            self._save_state()
            return Ticket(self.boot_id, seq, self._pending_drops, len(self._entries))

    def commit(self, ticket: Ticket, message: bytes, now: float) -> Entry:
        """Store the encoded report of ``ticket`` durably; then drop the oldest reports if over max_bytes."""
        if len(message) < _MIN_ENTRY_BYTES or message[:2] != b"PL":
            raise ValueError("only wire messages (with the PL envelope) can be queued")
        entry = Entry(ticket.seq, ticket.dropped_reports, int(now), len(message))
        self._writes += 1
        pause = self._pause if self._pause_in_write and self._writes == self._pause_in_write else None
        atomic_write(self.directory / entry.name, message, pause_half_way=pause)
        with self._lock:
            self._entries[entry.seq] = entry
            self._bytes += entry.size
            self._pending_drops = max(self._pending_drops - ticket.dropped_reports, 0)
            self._save_state()
            over = self._bytes - self.limits.max_bytes
            if over > 0:
                count = 0
                for seq, old in self._entries.items():
                    if seq == entry.seq or over <= 0:
                        break
                    over -= old.size
                    count += 1
                if count:
                    self._drop_oldest(count, "full")
        return entry

    def _pause(self) -> None:
        (self.directory / ".paused-in-write").write_text(str(os.getpid()))
        while True:  # test hook: wait here to be killed
            time.sleep(3600)

    # ---- reading and acknowledging --------------------------------------------------------------------

    def oldest(self, limit: int, exclude: set[int] | frozenset[int] = frozenset()) -> list[Entry]:
        """Up to ``limit`` of the oldest entries whose seq is not in ``exclude`` (e.g. already in flight)."""
        with self._lock:
            out: list[Entry] = []
            for seq, entry in self._entries.items():
                if len(out) >= limit:
                    break
                if seq not in exclude:
                    out.append(entry)
            return out

    def read(self, entry: Entry) -> bytes | None:
        """The message of an entry; None when it has gone (dropped meanwhile) or cannot be read."""
        try:
            return (self.directory / entry.name).read_bytes()
        except OSError:
            with self._lock:
                self._forget(entry.seq)
            return None

    def mark_sending(self, seq: int) -> None:
        """The publisher sent this entry and waits for its PUBACK: dropping it now would count a report as
        lost that may well arrive, so the drop policy passes over it."""
        with self._lock:
            self._sending.add(seq)

    def clear_sending(self) -> None:
        """The connection is gone: nothing is in flight any more (unacknowledged entries go out again)."""
        with self._lock:
            self._sending.clear()

    def remove(self, seq: int) -> None:
        """Delete an entry the broker has acknowledged."""
        with self._lock:
            self._sending.discard(seq)
            entry = self._forget(seq)
        if entry is not None:
            self._unlink(self.directory / entry.name)

    def prune(self, now: float) -> None:
        """Drop reports older than max_age_s."""
        with self._lock:
            self._drop_too_old(now)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    @property
    def size_bytes(self) -> int:
        """Total bytes of the queued reports."""
        with self._lock:
            return self._bytes

    @property
    def pending_drops(self) -> int:
        """Reports dropped that no queued report's header carries yet."""
        with self._lock:
            return self._pending_drops

    def __iter__(self) -> Iterator[Entry]:
        with self._lock:
            return iter(list(self._entries.values()))

    # ---- dropping -------------------------------------------------------------------------------------

    def _drop_too_old(self, now: float) -> None:
        if now < SANE_EPOCH:
            return
        cutoff = now - self.limits.max_age_s
        count = 0
        for entry in self._entries.values():
            # An entry stamped before the clock was set has an unknown age: keep it, the count limits apply.
            if entry.created_ts >= cutoff or entry.created_ts < SANE_EPOCH:
                break
            count += 1
        if count:
            self._drop_oldest(count, "too_old")

    def _drop_oldest(self, count: int, reason: str) -> None:
        dropped = 0
        for seq in [s for s in self._entries if s not in self._sending][:count]:
            entry = self._forget(seq)
            if entry is None:
                continue
            self._unlink(self.directory / entry.name)
            # The dropped report's own header count must reach the cloud through a later report.
            self._pending_drops += 1 + entry.drops
            dropped += 1
        if dropped:
            self._save_state()
            log.warning("event=queue_drop count=%d reason=%s depth=%d", dropped, reason, len(self._entries))
            if self.on_drop is not None:
                self.on_drop(dropped, reason)

    def _forget(self, seq: int) -> Entry | None:
        entry = self._entries.pop(seq, None)
        if entry is not None:
            self._bytes -= entry.size
        return entry

    @staticmethod
    def _unlink(path: Path) -> None:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
