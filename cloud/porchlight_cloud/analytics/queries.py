"""The analytics SQL, one named .sql file per query in sql/, loaded once."""

from __future__ import annotations

from functools import cache
from importlib import resources


@cache
def sql(name: str) -> str:
    """The text of ``sql/<name>.sql``; FileNotFoundError names the missing file."""
    path = resources.files("porchlight_cloud.analytics") / "sql" / f"{name}.sql"
    return path.read_text(encoding="utf-8")
