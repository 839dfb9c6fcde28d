"""Home dictionaries: a zstd dictionary the cloud issues to one gateway, made of its own recent report.

A fleet dictionary (trained on many homes) predicts what every report shares: keys, app ids, the shape. It
cannot predict what is particular to one home and repeats in every one of its reports: its MACs, host names,
addresses, which (device, app) pairs it has, the typical values of its stations. For a busy home (40 devices)
those are most of the bytes a fleet dictionary leaves, so the cloud can issue that gateway a *home
dictionary*: zstd raw content made of the fleet dictionary it builds on (``base_id``) followed by one of the
gateway's own recent reports (``reference``, the JSON body of a report with a full inventory). zstd then
compresses each new report as a set of references into that content.

Ids of home dictionaries are at or above ``HOME_DICT_MIN_ID`` (2^31); fleet dictionaries stay below it, so
an id says which kind it is. A home dictionary is only valid for the gateway it was issued to: the cloud
refuses a message that uses another gateway's (``ForeignDictionaryError``).

On the command channel (``set_dictionary``) the reference travels zlib-compressed and base64-encoded, with
the CRC-32 of the whole composed content, so a gateway whose copy of the base differs refuses it instead of
sending frames the cloud cannot open.
"""

from __future__ import annotations

import base64
import binascii
import zlib
from dataclasses import dataclass
from typing import Any, Final

from .errors import CommandError

HOME_DICT_MIN_ID: Final = 2**31
HOME_DICT_MAX_ID: Final = 2**32 - 1
#: Largest reference a home dictionary may carry (bytes of JSON): a busy home's full report is ~11 KB.
MAX_REFERENCE_BYTES: Final = 64 * 1024


def is_home_dictionary_id(dict_id: int) -> bool:
    """True for the id range of home dictionaries."""
    return HOME_DICT_MIN_ID <= dict_id <= HOME_DICT_MAX_ID


@dataclass(frozen=True, slots=True)
class HomeDictionary:
    """One gateway's dictionary: ``base`` fleet dictionary content followed by ``reference``."""

    dict_id: int
    base_id: int
    gateway_id: str
    reference: bytes

    def __post_init__(self) -> None:
        if not is_home_dictionary_id(self.dict_id):
            raise ValueError(f"home dictionary id {self.dict_id} is outside {HOME_DICT_MIN_ID}-{HOME_DICT_MAX_ID}")
        if is_home_dictionary_id(self.base_id) or self.base_id <= 0:
            raise ValueError(f"base {self.base_id} is not a fleet dictionary id")
        if not self.reference or len(self.reference) > MAX_REFERENCE_BYTES:
            raise ValueError(f"reference of {len(self.reference)} bytes (1-{MAX_REFERENCE_BYTES} allowed)")

    def content(self, base: bytes) -> bytes:
        """The raw dictionary content both sides compress with: the base's bytes, then the reference."""
        return base + self.reference

    def crc32(self, base: bytes) -> int:
        """CRC-32 of the composed content (the check a gateway runs before using it)."""
        return zlib.crc32(self.reference, zlib.crc32(base))

    def command_args(self, base: bytes) -> dict[str, Any]:
        """The arguments of the ``set_dictionary`` command that installs this dictionary on its gateway."""
        return {"dict_id": self.dict_id, "base_id": self.base_id,
                "reference": base64.b64encode(zlib.compress(self.reference, 9)).decode("ascii"),
                "crc32": self.crc32(base)}


def from_command_args(args: dict[str, Any], gateway_id: str) -> tuple[HomeDictionary, int]:
    """The dictionary and expected CRC-32 in a ``set_dictionary`` command; CommandError when malformed."""
    try:
        packed = base64.b64decode(args["reference"], validate=True)
    except (binascii.Error, ValueError):
        raise CommandError("set_dictionary: reference is not base64") from None
    inflater = zlib.decompressobj()
    try:
        reference = inflater.decompress(packed, MAX_REFERENCE_BYTES + 1)
    except zlib.error as exc:
        raise CommandError(f"set_dictionary: reference is not zlib data ({exc})") from None
    if len(reference) > MAX_REFERENCE_BYTES or inflater.unconsumed_tail:
        raise CommandError(f"set_dictionary: reference inflates beyond {MAX_REFERENCE_BYTES} bytes")
    if not inflater.eof:
        raise CommandError("set_dictionary: reference is truncated")
    crc = args["crc32"]
    if not 0 <= crc <= 0xFFFFFFFF:
        raise CommandError("set_dictionary: crc32 must be an unsigned 32-bit integer")
    try:
        return HomeDictionary(args["dict_id"], args["base_id"], gateway_id, reference), crc
    except ValueError as exc:
        raise CommandError(f"set_dictionary: {exc}") from None
