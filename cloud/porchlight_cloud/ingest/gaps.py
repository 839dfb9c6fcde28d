"""Sequence-gap bookkeeping per boot (pure): which report numbers never arrived.

A boot's reports are numbered 0, 1, 2, ...; the store keeps the highest number seen (``max_seq``) and the
ranges below it that are still missing. A number past ``max_seq + 1`` opens a gap; a late report inside a
gap shrinks, splits or closes it.
"""

from __future__ import annotations

from collections.abc import Iterable

Gap = tuple[int, int]  # inclusive range of missing sequence numbers


def advance(max_seq: int, gaps: Iterable[Gap], seqs: Iterable[int]) -> tuple[int, list[Gap]]:
    """Apply newly stored sequence numbers; return the new high-water mark and the still-open gaps."""
    open_gaps = sorted(gaps)
    for seq in sorted(set(seqs)):
        if seq > max_seq:
            if seq > max_seq + 1:
                open_gaps.append((max_seq + 1, seq - 1))
            max_seq = seq
            continue
        for i, (low, high) in enumerate(open_gaps):
            if low <= seq <= high:
                pieces = [(lo, hi) for lo, hi in ((low, seq - 1), (seq + 1, high)) if lo <= hi]
                open_gaps[i:i + 1] = pieces
                break
    return max_seq, sorted(open_gaps)


def missing(gaps: Iterable[Gap]) -> int:
    """How many reports the gaps leave out."""
    return sum(high - low + 1 for low, high in gaps)
