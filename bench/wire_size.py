"""Bytes per home per day on the wire, by codec, and what encoding a report costs the agent.

For a typical home (8 devices, 6 on Wi-Fi, 2 wired) and a busy one (40 devices: 24 Wi-Fi, 16 wired, guests),
one day at 60 s sampling / 300 s reporting (288 reports, each one aggregated record per radio, station,
(device, app), probe target and health, the device inventory in full hourly and as changes otherwise),
each report compressed on its own as the agent sends it:

    (a) raw JSON  (b) JSON+zlib  (c) JSON+zstd  (d) JSON+zstd+dictionary (the newest shipped one)
    (e) JSON+zstd+home dictionary: the fleet dictionary followed by the home's newest full-inventory report of
        the day before, as `porchlight dictionaries issue` makes it (porchlight_wire.home_dictionary)

Each home is simulated for two days; the figures are of the second day (the first gives the reference).
The evaluated homes (seeds < 1000) are not the ones the dictionary was trained on (seeds 1000-1119).

    .venv/bin/python bench/wire_size.py            # schema 1.1 as the agent sends it
    .venv/bin/python bench/wire_size.py --variants # plus levels, the 1.0 layout, options and proposals
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from machine import describe

sys.path.insert(0, str(Path(__file__).resolve().parent))

import zstandard
from homes import BUSY, TYPICAL, Profile, SyntheticHome
from porchlight_cloud.dictionaries import train
from porchlight_wire import HOME_DICT_MIN_ID, HomeDictionary
from porchlight_wire.codec import DEFAULT_ZLIB_LEVEL, DEFAULT_ZSTD_LEVEL, DictionaryStore, Encoder, json_bytes
from porchlight_wire.schema import DIAGNOSIS_ONLY
from train_dictionary import DICT_SIZE, training_samples

REPORTS_PER_DAY = 288
HOMES = {TYPICAL.name: (1, 2, 3), BUSY.name: (11, 12)}

Transform = Callable[[dict[str, Any]], dict[str, Any]]

#: Schema proposal: header fields that only change with software or hardware, sent with full inventories.
IDENTITY_FIELDS = ("model", "firmware", "agent_version")
#: The dictionary 1.0 agents compress with (16 KiB, trained on schema 1.0 at level 9).
SCHEMA_1_0_DICTIONARY = 202611231


def machine() -> str:
    """The machine the figures were measured on, with the compression libraries' versions."""
    return f"{describe()}, zstandard {zstandard.__version__}, zlib {zlib.ZLIB_VERSION}"


def day(profile: Profile, seed: int, **options: Any) -> list[dict[str, Any]]:
    """One day of reports of one home."""
    return list(SyntheticHome(profile, seed, **options).reports(REPORTS_PER_DAY))


def two_days(profile: Profile, seed: int, **options: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The last full-inventory report of a home's first day (its home dictionary's reference) and its
    second day of reports."""
    docs = list(SyntheticHome(profile, seed, **options).reports(2 * REPORTS_PER_DAY))
    first, second = docs[:REPORTS_PER_DAY], docs[REPORTS_PER_DAY:]
    reference = [d for d in first if d["header"].get("inventory") == "full"][-1]
    return reference, second


def sizes(bodies: list[bytes], dictionary: bytes, level: int = DEFAULT_ZSTD_LEVEL,
          reference: bytes | None = None) -> dict[str, int]:
    """Total bytes of the bodies under each codec (each message compressed on its own, plus the envelope);
    with a ``reference``, also under the home dictionary made of it."""
    plain = zstandard.ZstdCompressor(level=level, write_content_size=True)
    with_dict = zstandard.ZstdCompressor(level=level, write_content_size=True,
                                         dict_data=zstandard.ZstdCompressionDict(dictionary))
    env = 8 * len(bodies)
    out = {
        "raw": sum(map(len, bodies)) + env,
        "zlib": sum(len(zlib.compress(b, DEFAULT_ZLIB_LEVEL)) for b in bodies) + env,
        "zstd": sum(len(plain.compress(b)) for b in bodies) + env,
        "dict": sum(len(with_dict.compress(b)) for b in bodies) + env,
    }
    if reference is not None:
        home = HomeDictionary(HOME_DICT_MIN_ID, 1, "bench", reference)
        own = Encoder(home.content(dictionary), zstd_level=level, raw_dict_id=home.dict_id)
        out["home"] = sum(len(own.encode_body(b)) for b in bodies)
    return out


def per_home_day(profile: Profile, dictionary: bytes, transform: Callable[[], Transform] | None = None,
                 level: int = DEFAULT_ZSTD_LEVEL, **options: Any) -> dict[str, float]:
    """Mean bytes per home per day over the evaluation homes of a profile (``transform`` makes one
    transform per home)."""
    totals = []
    for seed in HOMES[profile.name]:
        reference, docs = two_days(profile, seed, **options)
        if transform is not None:
            per_home = transform()
            docs = [per_home(d) for d in [reference, *docs]]
            reference, docs = docs[0], docs[1:]
        totals.append(sizes([json_bytes(d) for d in docs], dictionary, level, json_bytes(reference)))
    return {k: statistics.mean(t[k] for t in totals) for k in totals[0]}


def encode_cost_ms(docs: list[dict[str, Any]], compress: Callable[[bytes], bytes]) -> float:
    """Mean CPU milliseconds to serialize and compress one report."""
    start = time.process_time()
    for doc in docs:
        compress(json_bytes(doc))
    return (time.process_time() - start) * 1000 / len(docs)


@contextmanager
def every_column() -> Iterator[None]:
    """Build reports as schema 1.0 agents do: periodic reports with the diagnosis-only columns too."""
    with mock.patch.dict(DIAGNOSIS_ONLY, {key: frozenset() for key in DIAGNOSIS_ONLY}):
        yield


def identity_with_full_inventory(doc: dict[str, Any]) -> dict[str, Any]:
    """Schema proposal: model, firmware and agent version only in reports with a full inventory."""
    if doc["header"].get("inventory") == "full":
        return doc
    return {**doc, "header": {k: v for k, v in doc["header"].items() if k not in IDENTITY_FIELDS}}


def device_numbers() -> Transform:
    """Schema proposal (not shipped): stations, apps and events name a device by a per-home number that the
    devices section maps to its MAC. One transform per home: numbers are given in order of first sight."""
    numbers: dict[str, int] = {}

    def number(mac: str | None) -> int | None:
        return None if mac is None else 0 if mac == "" else numbers.setdefault(mac, len(numbers) + 1)

    def transform(doc: dict[str, Any]) -> dict[str, Any]:
        out = dict(doc)
        for key in ("stations", "apps", "events"):
            if key in out and "mac" in out[key]:
                columns = dict(out[key])
                columns["dev"] = [number(m) for m in columns.pop("mac")]
                out[key] = columns
        if "devices" in out:
            out["devices"] = {**out["devices"], "dev": [number(m) for m in out["devices"]["mac"]]}
        return out
    return transform


def own_dictionary(transform: Callable[[], Transform] | None = None, size: int = DICT_SIZE, **options: Any) -> bytes:
    """A dictionary trained on the training homes in a variant's own format (a fair comparison)."""
    return train(training_samples(transform, **options), dict_id=999_999, size=size)


def print_table(title: str, rows: Iterable[tuple[str, dict[str, float]]]) -> None:
    """One block of figures."""
    print(f"\n{title}")
    print(f"  {'home':44s} {'(a) raw':>10s} {'(b) zlib':>10s} {'(c) zstd':>10s} {'(d) +dict':>10s} {'d/b':>6s}"
          f" {'d/report':>9s} {'(e) +home':>10s} {'e/b':>6s} {'e/report':>9s}")
    for label, s in rows:
        print(f"  {label:44s} {s['raw'] / 1000:8.0f}KB {s['zlib'] / 1000:8.0f}KB {s['zstd'] / 1000:8.0f}KB "
              f"{s['dict'] / 1000:8.0f}KB {s['dict'] / s['zlib']:6.2f} {s['dict'] / REPORTS_PER_DAY:8.0f}B "
              f"{s['home'] / 1000:8.0f}KB {s['home'] / s['zlib']:6.2f} {s['home'] / REPORTS_PER_DAY:8.0f}B")


def variants(dictionary: bytes) -> None:
    """Levels, dictionary sizes, the 1.0 layout, agent options and schema proposals (each proposal with a
    dictionary trained on its own format)."""
    both = (TYPICAL, BUSY)
    print_table("zstd level (shipped dictionary)", [(f"{p.name}, level {lvl}", per_home_day(p, dictionary, level=lvl))
                                                    for p in both for lvl in (3, 9, 19)])
    print_table("dictionary size (trained here on the same homes)",
                [(f"{p.name}, {size // 1024} KiB", per_home_day(p, d))
                 for size in (16384, 32768) for d in [own_dictionary(size=size)] for p in both])
    old = DictionaryStore.shipped().raw(SCHEMA_1_0_DICTIONARY)
    with every_column():
        print_table("schema 1.0 layout (every column in periodic reports), its dictionary",
                    [(f"{p.name}, level {lvl}", per_home_day(p, old, level=lvl)) for p in both for lvl in (9, 19)])
    quantised = own_dictionary(counter_digits=3)
    print_table("agent option counter_digits=3: traffic counters keep 3 significant digits",
                [(f"{p.name}, 3 digits, own dictionary", per_home_day(p, quantised, counter_digits=3)) for p in both])
    always_full = own_dictionary(full_every_s=0)
    print_table("what header.inventory 'changes' saves (full inventory in every report instead)",
                [(f"{p.name}, full every report", per_home_day(p, always_full, full_every_s=0)) for p in both])
    for title, transform in (
        ("schema proposal B: model, firmware, agent_version only in reports with a full inventory",
         lambda: identity_with_full_inventory),
        ("schema proposal (not shipped): per-home device numbers instead of MACs in stations, apps, events",
         device_numbers),
    ):
        own = own_dictionary(transform)
        print_table(title, [(p.name, per_home_day(p, own, transform)) for p in both])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--variants", action="store_true", help="also agent options and schema proposals")
    args = parser.parse_args()
    store = DictionaryStore.shipped()
    newest = store.newest()
    if newest is None:
        print("no shipped dictionary: run bench/train_dictionary.py first", file=sys.stderr)
        return 1
    dictionary = store.raw(newest)
    print(f"machine: {machine()}")
    print(f"dictionary {newest} ({len(dictionary)} B), zstd level {DEFAULT_ZSTD_LEVEL}, zlib level "
          f"{DEFAULT_ZLIB_LEVEL}; {REPORTS_PER_DAY} reports/day, 60 s sampling, 300 s reporting")
    print_table("bytes per home per day (schema 1.1, as the agent sends it)",
                [(f"{p.name} ({len(HOMES[p.name])} homes, {p.devices} devices)", per_home_day(p, dictionary))
                 for p in (TYPICAL, BUSY)])

    docs = day(TYPICAL, 1)[:96] + day(BUSY, 11)[:48]
    print(f"\nagent CPU per report (serialize + compress, mean of {len(docs)} typical/busy reports, this machine):")
    codecs: list[tuple[str, Callable[[bytes], bytes]]] = [("zlib 9", lambda b: zlib.compress(b, 9))]
    for level in (3, 9, 15, 19):
        codecs.append((f"zstd {level} + dict", zstandard.ZstdCompressor(
            level=level, dict_data=zstandard.ZstdCompressionDict(dictionary)).compress))
    for name, fn in codecs:
        print(f"  {name:16s} {encode_cost_ms(docs, fn):6.2f} ms")
    reference, busy = two_days(BUSY, 11)
    home = HomeDictionary(HOME_DICT_MIN_ID, newest, "bench", json_bytes(reference))
    fleet = Encoder(dictionary)
    own = Encoder(home.content(dictionary), raw_dict_id=home.dict_id)
    print(f"  busy home, {len(busy[:96])} reports, level {DEFAULT_ZSTD_LEVEL}: fleet dictionary "
          f"{encode_cost_ms(busy[:96], fleet.encode_body):.2f} ms, home dictionary "
          f"{encode_cost_ms(busy[:96], own.encode_body):.2f} ms")
    start = time.process_time()
    day(TYPICAL, 1)
    build_ms = (time.process_time() - start) * 1000 / REPORTS_PER_DAY
    print(f"  (simulating a typical home for 5 minutes and building its report with the agent's SamplingLoop: "
          f"{build_ms:.2f} ms)")

    if args.variants:
        variants(dictionary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
