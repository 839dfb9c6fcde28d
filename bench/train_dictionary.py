"""Train the zstd dictionary shipped in porchlight_wire/dictionaries from synthetic homes (bench/homes.py).

Training homes use seeds 1000-1119 (two typical homes for each busy one, each starting at a different time
of day, 24 consecutive reports each, so about one in twelve carries a full inventory as on a real gateway);
wire_size.py evaluates on seeds below 1000, so no evaluated report was trained on. 202611231 was trained
on schema 1.0 reports with --size 16384 at level 9; 202612041 on schema 1.1 periodic reports, 64 KiB, level 19.

    .venv/bin/python bench/train_dictionary.py --dict-id 202612041
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from homes import BUSY, TYPICAL, SyntheticHome
from porchlight_cloud.dictionaries import train
from porchlight_wire.codec import json_bytes

OUT = Path(__file__).resolve().parents[1] / "shared" / "porchlight_wire" / "dictionaries"
TRAIN_SEEDS = range(1000, 1120)
REPORTS_PER_HOME = 24
DICT_SIZE = 64 * 1024


def training_samples(transform: Any = None, **options: Any) -> list[bytes]:
    """Report bodies of the training homes (``options`` go to SyntheticHome; ``transform()``, called once
    per home, gives the function applied to each of that home's reports)."""
    samples = []
    for seed in TRAIN_SEEDS:
        start = 1_700_000_100 + (seed * 7919 % 86400) // 300 * 300
        home = SyntheticHome(BUSY if seed % 3 == 0 else TYPICAL, seed, start_ts=start, **options)
        docs = home.reports(REPORTS_PER_HOME)
        per_home = transform() if transform else None
        samples.extend(json_bytes(per_home(doc) if per_home else doc) for doc in docs)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dict-id", type=int, required=True, help="never reuse an id the cloud has issued")
    parser.add_argument("--size", type=int, default=DICT_SIZE)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    t0 = time.perf_counter()
    samples = training_samples()
    data = train(samples, dict_id=args.dict_id, size=args.size)
    target = args.out / f"{args.dict_id}.zdict"
    target.write_bytes(data)
    print(f"wrote {target}: {len(data)} bytes from {len(samples)} reports in {time.perf_counter() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
