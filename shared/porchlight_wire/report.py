"""Build columnar reports from records, and read records back out of them."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from .schema import DIAGNOSIS_ONLY, SCHEMA_VERSION, SECTIONS_BY_KEY

_NOTHING: frozenset[str] = frozenset()


def is_diagnosis(header: Mapping[str, Any]) -> bool:
    """True for a diagnosis report, the one kind that carries the diagnosis-only columns."""
    return header.get("kind") == "diagnosis"


def to_columns(section_key: str, records: Sequence[Mapping[str, Any]], *,
               omit: frozenset[str] = _NOTHING) -> dict[str, list[Any]]:
    """Turn records (dicts keyed by field name) into a columnar section.

    Columns of the schema that are null in every record are left out, and so are the columns named in
    ``omit``; keys that are not in the schema are carried as extra columns (the schema keeps unknown columns).
    """
    section = SECTIONS_BY_KEY[section_key]
    names = [name for name in section.names if name not in omit]
    known = set(section.names)
    for record in records:
        for key in record:
            if key not in known:
                known.add(key)
                names.append(key)
    columns: dict[str, list[Any]] = {}
    for name in names:
        column = [record.get(name) for record in records]
        if any(value is not None for value in column):
            columns[name] = column
    return columns


def build_report(header: Mapping[str, Any], sections: Mapping[str, Sequence[Mapping[str, Any]]], *,
                 every_column: bool = False) -> dict[str, Any]:
    """A complete report document: schema version, header and the non-empty columnar sections.

    A periodic report (any kind but 'diagnosis') leaves out the diagnosis-only columns (schema 1.1) unless
    ``every_column`` asks for the layout of schema 1.0 agents (tests and benchmarks of 1.0 reports).
    """
    doc: dict[str, Any] = {"schema": SCHEMA_VERSION, "header": dict(header)}
    diagnosis = every_column or is_diagnosis(header)
    for key, records in sections.items():
        if key not in SECTIONS_BY_KEY:
            raise KeyError(f"unknown section {key!r}")
        if records:
            doc[key] = to_columns(key, records, omit=_NOTHING if diagnosis else DIAGNOSIS_ONLY[key])
    return doc


def section_length(columns: Mapping[str, Sequence[Any]]) -> int:
    """Number of records in a columnar section (0 when it has no columns)."""
    for column in columns.values():
        return len(column)
    return 0


def iter_records(doc: Mapping[str, Any], section_key: str) -> Iterator[dict[str, Any]]:
    """Yield the records of one section as dicts, every schema field present (None when absent)."""
    columns = doc.get(section_key) or {}
    schema_names = SECTIONS_BY_KEY[section_key].names
    names = list(schema_names) + [k for k in columns if k not in schema_names]
    n = section_length(columns)
    empty: list[Any] = [None] * n
    cols = [columns.get(name, empty) for name in names]
    for i in range(n):
        yield {name: col[i] for name, col in zip(names, cols, strict=False)}
