"""Sequence gaps per boot: opened by jumps, shrunk, split and closed by late reports."""

from porchlight_cloud.ingest.gaps import advance, missing


def test_in_order_reports_leave_no_gap():
    assert advance(-1, [], [0, 1, 2]) == (2, [])


def test_a_jump_opens_a_gap_and_a_first_report_past_zero_too():
    assert advance(2, [], [5]) == (5, [(3, 4)])
    assert advance(-1, [], [3]) == (3, [(0, 2)])


def test_late_reports_split_shrink_and_close_a_gap():
    top, gaps = advance(9, [(3, 8)], [5])
    assert (top, gaps) == (9, [(3, 4), (6, 8)])
    assert advance(top, gaps, [3, 4, 6, 7, 8]) == (9, [])


def test_missing_counts_every_number_left_out():
    assert missing([(3, 4), (6, 8)]) == 5
