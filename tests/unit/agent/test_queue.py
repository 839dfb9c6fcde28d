"""The on-disk report queue: crash-safe writes, bounds with counted drops, and the (boot_id, seq) counter."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from porchlight_agent.queue import QueueLimits, QueueLockedError, ReportQueue, Ticket

NOW = 1_700_000_000
ROOMY = QueueLimits(max_bytes=1_000_000, max_count=1000, max_age_s=86400)


def message(n: int, size: int = 50) -> bytes:
    return b"PL\x01\x00\x00\x00\x00\x00" + bytes([n % 256]) * size


def put(queue: ReportQueue, n: int, now: float = NOW, size: int = 50) -> Ticket:
    ticket = queue.reserve(now)
    queue.commit(ticket, message(n, size), now)
    return ticket


def test_a_new_queue_starts_a_random_boot_id_at_seq_zero(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as q1:
        first = q1.reserve(NOW)
    with ReportQueue(tmp_path / "other", ROOMY) as q2:
        other = q2.reserve(NOW)
    assert first.seq == 0 and other.seq == 0
    assert len(first.boot_id) == 16 and first.boot_id != other.boot_id


def test_seq_keeps_increasing_across_restarts_with_the_same_boot_id(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        a = put(queue, 1)
        b = put(queue, 2)
        queue.remove(b.seq)
        queue.remove(a.seq)
    with ReportQueue(tmp_path, ROOMY) as queue:
        c = put(queue, 3)
    assert (a.seq, b.seq, c.seq) == (0, 1, 2)
    assert a.boot_id == c.boot_id


def test_a_reserved_seq_is_never_reused_even_when_its_report_was_never_written(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        lost = queue.reserve(NOW)  # the agent dies before commit
    with ReportQueue(tmp_path, ROOMY) as queue:
        assert queue.reserve(NOW).seq == lost.seq + 1


def test_entries_come_out_oldest_first_and_survive_a_restart(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        for n in range(5):
            put(queue, n)
    with ReportQueue(tmp_path, ROOMY) as queue:
        entries = queue.oldest(10)
        assert [e.seq for e in entries] == [0, 1, 2, 3, 4]
        assert [queue.read(e) for e in entries] == [message(n) for n in range(5)]
        assert [e.seq for e in queue.oldest(2, exclude={0})] == [1, 2]


def test_a_partial_temp_file_from_a_crash_is_removed_and_the_queue_stays_readable(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        put(queue, 1)
    (tmp_path / ".000000000001-0-1700000000.msg.1234.tmp").write_bytes(b"PL\x01\x02half")
    with ReportQueue(tmp_path, ROOMY) as queue:
        assert [e.seq for e in queue] == [0]
        assert queue.invalid_removed == 1
    assert not list(tmp_path.glob("*.tmp"))


def test_an_entry_that_is_not_a_wire_message_is_discarded_on_open(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        put(queue, 1)
    (tmp_path / "000000000007-0-1700000000.msg").write_bytes(b"garbage")
    (tmp_path / "000000000008-0-1700000000.msg").write_bytes(b"")
    with ReportQueue(tmp_path, ROOMY) as queue:
        assert [e.seq for e in queue] == [0]
        assert queue.invalid_removed == 2


def test_a_corrupt_state_file_starts_a_new_boot_id_after_the_highest_queued_seq(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        old = [put(queue, n) for n in range(3)]
    (tmp_path / "state.json").write_text("{not json")
    with ReportQueue(tmp_path, ROOMY) as queue:
        fresh = queue.reserve(NOW)
    assert fresh.boot_id != old[0].boot_id
    assert fresh.seq == 3


def test_when_full_by_count_the_oldest_is_dropped_and_the_next_report_carries_the_count(tmp_path: Path) -> None:
    drops: list[tuple[int, str]] = []
    limits = QueueLimits(max_bytes=1_000_000, max_count=3, max_age_s=86400)
    with ReportQueue(tmp_path, limits, on_drop=lambda n, why: drops.append((n, why))) as queue:
        for n in range(3):
            put(queue, n)
        ticket = put(queue, 3)
        assert [e.seq for e in queue] == [1, 2, 3]
        assert drops == [(1, "full")]
        assert ticket.dropped_reports == 1
        queue.remove(1)  # the broker acknowledged one: there is room again
        assert put(queue, 4).dropped_reports == 0  # each drop is reported exactly once


def test_a_report_awaiting_its_puback_is_not_dropped_when_the_queue_is_full(tmp_path: Path) -> None:
    limits = QueueLimits(max_bytes=1_000_000, max_count=3, max_age_s=86400)
    with ReportQueue(tmp_path, limits) as queue:
        for n in range(3):
            put(queue, n)
        queue.mark_sending(0)  # on the wire: it may still arrive, so it must not also count as lost
        ticket = put(queue, 3)
        assert [e.seq for e in queue] == [0, 2, 3]
        assert ticket.dropped_reports == 1
        queue.clear_sending()  # the connection went: it is an ordinary queued report again
        put(queue, 4)
        assert [e.seq for e in queue] == [2, 3, 4]


def test_a_dropped_report_hands_its_own_drop_count_on(tmp_path: Path) -> None:
    limits = QueueLimits(max_bytes=1_000_000, max_count=2, max_age_s=86400)
    with ReportQueue(tmp_path, limits) as queue:
        put(queue, 0)
        put(queue, 1)
        carried = put(queue, 2)  # drops seq 0; carries 1
        assert carried.dropped_reports == 1
        third = put(queue, 3)  # drops seq 1, which carried nothing
        last = put(queue, 4)  # drops seq 2: itself plus the 1 it carried
        assert (third.dropped_reports, last.dropped_reports) == (1, 2)
        # The reports that survive account for every report dropped (seq 0, 1 and 2).
        assert sum(e.drops for e in queue) == 3
        assert queue.pending_drops == 0


def test_when_over_max_bytes_the_oldest_reports_are_dropped_never_the_new_one(tmp_path: Path) -> None:
    limits = QueueLimits(max_bytes=400, max_count=1000, max_age_s=86400)
    with ReportQueue(tmp_path, limits) as queue:
        for n in range(3):
            put(queue, n, size=100)  # 108 bytes each
        put(queue, 3, size=200)
        assert [e.seq for e in queue] == [2, 3]
        assert queue.size_bytes <= 400
        assert queue.pending_drops == 2


def test_reports_older_than_max_age_are_dropped_as_too_old(tmp_path: Path) -> None:
    drops: list[tuple[int, str]] = []
    limits = QueueLimits(max_bytes=1_000_000, max_count=1000, max_age_s=3600)
    with ReportQueue(tmp_path, limits, on_drop=lambda n, why: drops.append((n, why))) as queue:
        put(queue, 0, now=NOW)
        put(queue, 1, now=NOW + 1800)
        queue.prune(NOW + 3601)
        assert [e.seq for e in queue] == [1]
        assert drops == [(1, "too_old")]


def test_reports_stamped_before_the_clock_was_set_are_not_aged_out(tmp_path: Path) -> None:
    limits = QueueLimits(max_bytes=1_000_000, max_count=1000, max_age_s=3600)
    with ReportQueue(tmp_path, limits) as queue:
        put(queue, 0, now=86_400)  # 1970: the gateway booted without NTP
        queue.prune(NOW)
        assert len(queue) == 1


def test_drop_counts_survive_a_restart(tmp_path: Path) -> None:
    limits = QueueLimits(max_bytes=1_000_000, max_count=1, max_age_s=86400)
    with ReportQueue(tmp_path, limits) as queue:
        put(queue, 0)
        queue.reserve(NOW)  # drops seq 0, then the agent dies before commit
    with ReportQueue(tmp_path, limits) as queue:
        assert queue.reserve(NOW).dropped_reports == 1


def test_removing_an_acknowledged_report_deletes_its_file(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        ticket = put(queue, 0)
        queue.remove(ticket.seq)
        queue.remove(ticket.seq)  # a second PUBACK for the same report is harmless
        assert len(queue) == 0 and queue.size_bytes == 0
    assert not list(tmp_path.glob("*.msg"))


def test_a_second_process_cannot_open_the_same_queue(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY), pytest.raises(QueueLockedError, match="--queue-dir"):
        ReportQueue(tmp_path, ROOMY).open()


def test_only_wire_messages_can_be_queued(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue, pytest.raises(ValueError):
        queue.commit(queue.reserve(NOW), b"{}", NOW)


def test_the_state_file_is_plain_json_with_boot_id_and_next_seq(tmp_path: Path) -> None:
    with ReportQueue(tmp_path, ROOMY) as queue:
        ticket = put(queue, 0)
    state = json.loads((tmp_path / "state.json").read_text())
    assert state == {"boot_id": ticket.boot_id, "next_seq": 1, "pending_drops": 0}
    assert oct(os.stat(tmp_path / "state.json").st_mode & 0o777) == "0o600"
