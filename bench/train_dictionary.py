"""Train the zstd dictionary shipped in porchlight_wire/dictionaries from synthetic homes (bench/homes.py).

Training homes use seeds 1000-1119 (two typical homes for each busy one, each starting at a different time
of day); wire_size.py evaluates on seeds below 1000, so no evaluated report was trained on.

    .venv/bin/python bench/train_dictionary.py --dict-id 202611230
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from homes import BUSY, TYPICAL, SyntheticHome
from porchlight_cloud.dictionaries import DEFAULT_DICT_SIZE, train
from porchlight_wire.codec import json_bytes

OUT = Path(__file__).resolve().parents[1] / "shared" / "porchlight_wire" / "dictionaries"
TRAIN_SEEDS = range(1000, 1120)
REPORTS_PER_HOME = 24


def training_samples() -> list[bytes]:
    """Report bodies of the training homes."""
    samples = []
    for seed in TRAIN_SEEDS:
        start = 1_700_000_100 + (seed * 7919 % 86400) // 300 * 300
        home = SyntheticHome(BUSY if seed % 3 == 0 else TYPICAL, seed, start_ts=start)
        samples.extend(json_bytes(doc) for doc in home.reports(REPORTS_PER_HOME))
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dict-id", type=int, required=True, help="never reuse an id the cloud has issued")
    parser.add_argument("--size", type=int, default=DEFAULT_DICT_SIZE)
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
