"""Apply the numbered SQL migrations in store/migrations/ in order, each exactly once.

Each file ``NNN_name.sql`` runs in its own transaction together with its row in ``schema_migrations``.
A migration that has landed is never edited: its checksum is recorded and a changed file stops ``migrate``.
A session advisory lock lets several processes call migrate() at once safely.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from importlib import resources

import psycopg

log = logging.getLogger(__name__)
_NAME = re.compile(r"^(\d{3})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x706C6D67  # "plmg": the advisory lock all migrators take


class MigrationError(Exception):
    """The migrations on disk disagree with the ones applied (edited, renumbered or missing)."""


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        """SHA-256 of the file's text: a landed migration must never change."""
        return hashlib.sha256(self.sql.encode()).hexdigest()


def available() -> list[Migration]:
    """The migration files shipped with this package, in version order."""
    folder = resources.files("porchlight_cloud.store") / "migrations"
    found: list[Migration] = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text(encoding="utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migration files share a number: {versions}")
    return found


def migrate(url: str) -> list[str]:
    """Bring the database at ``url`` up to date; return the names of the migrations applied now."""
    applied_now: list[str] = []
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("SET client_min_messages = warning")
        conn.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        try:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {row[0]: (row[1], row[2]) for row in
                    conn.execute("SELECT version, name, checksum FROM schema_migrations")}
            for migration in available():
                if migration.version in done:
                    name, checksum = done[migration.version]
                    if checksum != migration.checksum:
                        raise MigrationError(
                            f"migration {migration.version:03d}_{name} was edited after it was applied; "
                            "add a new numbered migration instead"
                        )
                    continue
                with conn.transaction():
                    conn.execute(migration.sql)
                    conn.execute(
                        "INSERT INTO schema_migrations (version, name, checksum) VALUES (%s, %s, %s)",
                        (migration.version, migration.name, migration.checksum),
                    )
                label = f"{migration.version:03d}_{migration.name}"
                log.info("event=migration_applied migration=%s", label)
                applied_now.append(label)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))
    return applied_now
