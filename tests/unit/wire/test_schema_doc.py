"""SCHEMA.md is the published contract: it must say exactly what the code enforces."""

from pathlib import Path

from porchlight_wire import SECTIONS, schema_doc

SCHEMA_MD = Path(__file__).resolve().parents[3] / "shared" / "SCHEMA.md"


def test_schema_md_is_generated_from_the_code_and_up_to_date() -> None:
    assert SCHEMA_MD.read_text(encoding="utf-8") == schema_doc.render(), (
        "shared/SCHEMA.md is stale: run `.venv/bin/python -m porchlight_wire.schema_doc > shared/SCHEMA.md`"
    )


def test_every_field_states_its_type_and_meaning_and_counters_state_a_unit() -> None:
    for section in SECTIONS:
        for field in section.fields:
            assert field.doc, f"{section.key}.{field.name} has no description"
            assert field.type in {"int", "float", "str", "bool", "list[str]"}
            if field.name.endswith(("_bytes", "_ms", "_s", "_dbm", "_pct", "_mbps", "_kb")):
                assert field.unit, f"{section.key}.{field.name} names a unit but declares none"


def test_field_names_are_unique_within_each_section() -> None:
    for section in SECTIONS:
        assert len(set(section.names)) == len(section.names), section.key
