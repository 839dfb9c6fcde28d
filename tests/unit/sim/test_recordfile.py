"""Record files: length-prefixed topic + payload, merged back into time order for replay."""

from __future__ import annotations

from pathlib import Path

import pytest
from porchlight_sim.recordfile import Record, RecordFileError, RecordWriter, merged, read_records


def test_records_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "a.plrec"
    with RecordWriter(path) as w:
        w.write(100, "porchlight/v1/h1/gw-1/report", b"PL\x01\x02abc")
        w.write(160, "porchlight/v1/h2/gw-2/report", b"")
    assert list(read_records(path)) == [Record(100, "porchlight/v1/h1/gw-1/report", b"PL\x01\x02abc"),
                                        Record(160, "porchlight/v1/h2/gw-2/report", b"")]


def test_files_merge_into_time_order(tmp_path: Path) -> None:
    for name, times in (("a.plrec", (1, 4, 9)), ("b.plrec", (2, 3, 10))):
        with RecordWriter(tmp_path / name) as w:
            for t in times:
                w.write(t, f"t/{name}", b"x")
    assert [r.end_ts for r in merged(sorted(tmp_path.glob("*.plrec")))] == [1, 2, 3, 4, 9, 10]


def test_a_truncated_or_foreign_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.plrec"
    with RecordWriter(path) as w:
        w.write(1, "t", b"payload")
    path.write_bytes(path.read_bytes()[:-3])
    with pytest.raises(RecordFileError, match="truncated"):
        list(read_records(path))
    other = tmp_path / "b.plrec"
    other.write_bytes(b"hello")
    with pytest.raises(RecordFileError, match="not a Porchlight record file"):
        list(read_records(other))
