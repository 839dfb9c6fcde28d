"""Training the zstd dictionaries that agents compress reports with.

A dictionary is trained on the compact JSON bodies of representative reports (the ones a fleet actually
sends, or the synthetic homes of ``bench/homes.py`` before there is a fleet), gets an id that is never
reused (``YYYYMMDD`` and a one-digit serial, so ids sort by issue date), and is shipped to agents as
``porchlight_wire/dictionaries/<id>.zdict``. The cloud keeps every dictionary it ever issued: an agent may
compress with an old one for as long as it runs old software.

    python -m porchlight_cloud.dictionaries train --samples reports.jsonl --out shared/porchlight_wire/dictionaries
    python -m porchlight_cloud.dictionaries evaluate --dictionary 202611230.zdict --samples other.jsonl
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import zstandard
from porchlight_wire.codec import DEFAULT_ZSTD_LEVEL, dictionary_id, json_bytes

__all__ = ["DEFAULT_DICT_SIZE", "Evaluation", "evaluate", "new_dict_id", "read_samples", "train"]

DEFAULT_DICT_SIZE: Final = 12 * 1024
_MAX_ID: Final = 2**32 - 1


def new_dict_id(today: dt.date, issued: Iterable[int] = ()) -> int:
    """The next dictionary id: ``YYYYMMDD * 10 + serial``, above every id already issued that day."""
    base = int(today.strftime("%Y%m%d")) * 10
    taken = [i for i in issued if base <= i < base + 10]
    dict_id = max(taken) + 1 if taken else base
    if dict_id >= base + 10 or dict_id > _MAX_ID:
        raise ValueError(f"no dictionary id left for {today.isoformat()}: ten were issued that day")
    return dict_id


def train(samples: Sequence[bytes], *, dict_id: int, size: int = DEFAULT_DICT_SIZE,
          level: int = DEFAULT_ZSTD_LEVEL, threads: int = 0) -> bytes:
    """Train a zstd dictionary of ``size`` bytes on report bodies, tuned for compression ``level``."""
    if len(samples) < 50:
        raise ValueError(f"{len(samples)} samples are too few to train on (give hundreds)")
    trained = zstandard.train_dictionary(size, list(samples), dict_id=dict_id, level=level, steps=16,
                                         threads=threads or -1)
    data: bytes = trained.as_bytes()
    if dictionary_id(data) != dict_id:
        raise RuntimeError("zstd did not keep the requested dictionary id")
    return data


@dataclass(frozen=True, slots=True)
class Evaluation:
    """Total bytes of a sample set: raw, zstd alone and zstd with the dictionary."""

    samples: int
    raw: int
    zstd: int
    zstd_dict: int

    @property
    def gain(self) -> float:
        """zstd-with-dictionary size as a share of plain zstd size."""
        return self.zstd_dict / self.zstd if self.zstd else 1.0


def evaluate(dictionary: bytes, samples: Sequence[bytes], *, level: int = DEFAULT_ZSTD_LEVEL) -> Evaluation:
    """Compress each sample alone, with and without the dictionary (use samples not trained on)."""
    plain = zstandard.ZstdCompressor(level=level)
    with_dict = zstandard.ZstdCompressor(level=level, dict_data=zstandard.ZstdCompressionDict(dictionary))
    return Evaluation(len(samples), sum(map(len, samples)), sum(len(plain.compress(s)) for s in samples),
                      sum(len(with_dict.compress(s)) for s in samples))


def read_samples(path: Path) -> list[bytes]:
    """Report bodies from a JSON-lines file (one report per line), re-serialized compactly as the agent does."""
    samples = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                samples.append(json_bytes(json.loads(line)))
    return samples


def main(argv: Sequence[str] | None = None) -> int:
    """Train or evaluate a dictionary from the command line."""
    parser = argparse.ArgumentParser(prog="python -m porchlight_cloud.dictionaries",
                                     description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train a dictionary and write <id>.zdict")
    t.add_argument("--samples", type=Path, required=True, help="JSON lines, one report per line")
    t.add_argument("--out", type=Path, required=True, help="directory for <id>.zdict")
    t.add_argument("--size", type=int, default=DEFAULT_DICT_SIZE)
    t.add_argument("--dict-id", type=int, help="default: YYYYMMDD0 + serial, after the ids already in --out")
    t.add_argument("--level", type=int, default=DEFAULT_ZSTD_LEVEL)
    e = sub.add_parser("evaluate", help="compare zstd with and without a dictionary on held-out reports")
    e.add_argument("--dictionary", type=Path, required=True)
    e.add_argument("--samples", type=Path, required=True)
    e.add_argument("--level", type=int, default=DEFAULT_ZSTD_LEVEL)
    args = parser.parse_args(argv)
    samples = read_samples(args.samples)
    if args.command == "train":
        issued = [int(p.stem) for p in args.out.glob("*.zdict") if p.stem.isdigit()]
        dict_id = args.dict_id or new_dict_id(dt.date.today(), issued)
        data = train(samples, dict_id=dict_id, size=args.size, level=args.level)
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / f"{dict_id}.zdict"
        target.write_bytes(data)
        print(f"wrote {target} ({len(data)} bytes, trained on {len(samples)} reports)")
        return 0
    result = evaluate(args.dictionary.read_bytes(), samples, level=args.level)
    print(f"{result.samples} reports: raw {result.raw} B, zstd {result.zstd} B, zstd+dict {result.zstd_dict} B "
          f"({result.gain:.0%} of zstd)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
