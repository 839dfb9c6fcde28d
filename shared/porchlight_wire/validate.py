"""Validate a decoded report against the schema.

Validation is one pass over each column with C-level type collection (``set(map(type, column))``), so a
report of a few hundred values costs tens of microseconds: the cloud validates every report it stores.
"""

from __future__ import annotations

import re
from typing import Any

from .errors import SchemaError, UnsupportedVersionError
from .schema import (
    ACCEPTED_MAJORS,
    BOOL,
    FLOAT,
    HEADER,
    INT,
    INVENTORY_MODES,
    MAX_LIST_ITEMS,
    MAX_RECORDS_PER_SECTION,
    MAX_STRING_LENGTH,
    REPORT_KINDS,
    SECTIONS,
    STR,
    STR_LIST,
    Section,
)

_NONE = type(None)
_ALLOWED_TYPES: dict[str, frozenset[type]] = {
    INT: frozenset({int, _NONE}),
    FLOAT: frozenset({int, float, _NONE}),
    STR: frozenset({str, _NONE}),
    BOOL: frozenset({bool, _NONE}),
    STR_LIST: frozenset({list, _NONE}),
}
ID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_VERSION_PATTERN = re.compile(r"^(\d+)\.(\d+)$")


def schema_major(doc: dict[str, Any]) -> int:
    """Return the major version a report declares; raise UnsupportedVersionError if it is not accepted."""
    version = doc.get("schema")
    match = _VERSION_PATTERN.match(version) if isinstance(version, str) else None
    if match is None:
        raise UnsupportedVersionError(f"schema version {version!r} is not of the form MAJOR.MINOR")
    major = int(match.group(1))
    if major not in ACCEPTED_MAJORS:
        raise UnsupportedVersionError(
            f"schema version {version} is not accepted (majors {', '.join(map(str, ACCEPTED_MAJORS))})"
        )
    return major


def validate_report(doc: Any) -> dict[str, Any]:
    """Check a decoded report and return it unchanged; raise SchemaError listing every problem.

    Unknown top-level keys, header keys and columns are kept and not checked: within a major version a newer
    agent may add them. Missing optional columns mean "all null".
    """
    if not isinstance(doc, dict):
        raise SchemaError(["report: top level is not an object"])
    schema_major(doc)
    problems: list[str] = []
    header = doc.get("header")
    if not isinstance(header, dict):
        problems.append("header: missing or not an object")
    else:
        _check_header(header, problems)
    for section in SECTIONS:
        body = doc.get(section.key)
        if body is None:
            continue
        if not isinstance(body, dict):
            problems.append(f"{section.key}: not an object of columns")
            continue
        _check_section(section, body, problems)
    if problems:
        raise SchemaError(problems)
    return doc


def _check_header(header: dict[str, Any], problems: list[str]) -> None:
    for field in HEADER.fields:
        value = header.get(field.name)
        if value is None:
            if field.required:
                problems.append(f"header.{field.name}: required")
            continue
        if type(value) not in _ALLOWED_TYPES[field.type]:
            problems.append(f"header.{field.name}: expected {field.type}, got {type(value).__name__}")
        elif field.type == STR and len(value) > MAX_STRING_LENGTH:
            problems.append(f"header.{field.name}: longer than {MAX_STRING_LENGTH} characters")
    for key in ("home_id", "gateway_id"):
        value = header.get(key)
        if isinstance(value, str) and not ID_PATTERN.match(value):
            problems.append(f"header.{key}: must match [A-Za-z0-9._-]{{1,64}}")
    kind = header.get("kind")
    if kind is not None and kind not in REPORT_KINDS:
        problems.append(f"header.kind: {kind!r} is not one of {sorted(REPORT_KINDS)}")
    inventory = header.get("inventory")
    if inventory is not None and inventory not in INVENTORY_MODES:
        problems.append(f"header.inventory: {inventory!r} is not one of {sorted(INVENTORY_MODES)}")
    seq = header.get("seq")
    if type(seq) is int and seq < 0:
        problems.append("header.seq: negative")
    start, end = header.get("start_ts"), header.get("end_ts")
    if type(start) is int and type(end) is int and end < start:
        problems.append("header.end_ts: before start_ts")
    flags = header.get("flags")
    if isinstance(flags, list) and not all(type(f) is str for f in flags):
        problems.append("header.flags: items must be strings")


def _check_section(section: Section, body: dict[str, Any], problems: list[str]) -> None:
    length: int | None = None
    for field in section.fields:
        column = body.get(field.name)
        if column is None:
            if field.required:
                problems.append(f"{section.key}.{field.name}: required column missing")
            continue
        if type(column) is not list:
            problems.append(f"{section.key}.{field.name}: column is not an array")
            continue
        if length is None:
            length = len(column)
            if length > MAX_RECORDS_PER_SECTION:
                problems.append(f"{section.key}: more than {MAX_RECORDS_PER_SECTION} records")
                return
        elif len(column) != length:
            problems.append(f"{section.key}.{field.name}: {len(column)} values, expected {length}")
            continue
        seen = set(map(type, column))
        if not seen <= _ALLOWED_TYPES[field.type]:
            bad = sorted(t.__name__ for t in seen - _ALLOWED_TYPES[field.type])
            problems.append(f"{section.key}.{field.name}: expected {field.type}, got {', '.join(bad)}")
            continue
        if field.required and _NONE in seen:
            problems.append(f"{section.key}.{field.name}: null in a required column")
        if field.type == STR and max(map(len, filter(None, column)), default=0) > MAX_STRING_LENGTH:
            problems.append(f"{section.key}.{field.name}: a value is longer than {MAX_STRING_LENGTH}")
        elif field.type == STR_LIST:
            _check_str_lists(section, field.name, column, problems)


def _check_str_lists(section: Section, name: str, column: list[Any], problems: list[str]) -> None:
    for items in column:
        if items is None:
            continue
        if len(items) > MAX_LIST_ITEMS or not all(type(i) is str and len(i) <= MAX_STRING_LENGTH for i in items):
            problems.append(f"{section.key}.{name}: each value must be a list of at most "
                            f"{MAX_LIST_ITEMS} strings")
            return
