"""The results store: a SQLite file with one row per cell, keyed by the config hash.

The driver is the only writer of a sweep; each row is written in one transaction, so an interrupted
(even SIGKILLed) sweep leaves either a whole row or none. Several sweeps may share one store: the
file is in WAL mode and writers wait for each other (see `Store`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import typing
from pathlib import Path
from typing import Any, Iterator

import pandas as pd

from augbench.core.errors import UsageError
from augbench.results.record import SCHEMA_VERSION, RunRecord, record_fields

DEFAULT_STORE = Path("results/runs.sqlite")

# How long a writer waits for another sweep's transaction before giving up. A transaction is one
# INSERT (milliseconds), so a minute only runs out when another process holds the store open in a
# write transaction for good, e.g. a `sqlite3` shell left inside BEGIN.
BUSY_TIMEOUT_S = 60.0

_SQL_TYPES = {int: "INTEGER", float: "REAL", str: "TEXT", bool: "INTEGER"}


def _sql_type(annotation: Any) -> str:
    hints = typing.get_type_hints(RunRecord)
    base = [t for t in typing.get_args(hints[annotation]) or (hints[annotation],) if t is not type(None)][0]
    return _SQL_TYPES[base]


class Store:
    """Open (creating if needed) the store at `path`.

    Concurrency: two sweeps (processes) on one machine may write the same store at once and lose no
    row. The file is switched to WAL journaling, so readers (a report, another sweep's `done_ids`)
    never block the writer nor see a half-written row; every write starts with `BEGIN IMMEDIATE`,
    which takes the write lock up front, and the connection's busy timeout makes a second writer
    wait for it instead of failing (a deferred transaction that upgrades to a write lock can fail
    at once with "database is locked" whatever the timeout). WAL needs shared memory between the
    processes, so the store must sit on a local disk of the machine that runs the drivers, which
    is where the driver-only-writer design puts it (workers on other machines return records,
    they never open the store).

    Raises:
        UsageError: the path cannot be created or written, is not a store, or has another schema version.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._conn = sqlite3.connect(self.path, isolation_level=None, timeout=BUSY_TIMEOUT_S)  # transactions are explicit
            self._use_wal()
            version = self._conn.execute("PRAGMA user_version").fetchone()[0]
            tables = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            if "runs" not in tables:
                if tables:
                    raise UsageError(f"store {self.path} is a SQLite file of something else (tables: {', '.join(sorted(tables))})")
                self._create()
            elif version < SCHEMA_VERSION:
                self._migrate(version)
            elif version != SCHEMA_VERSION:
                raise UsageError(f"store {self.path} has schema version {version}; this augbench writes version {SCHEMA_VERSION}")
        except (sqlite3.Error, OSError) as exc:
            raise UsageError(f"cannot use store {self.path}: {exc}") from None

    def _use_wal(self) -> None:
        """Switch the file to WAL (persistent: once per file); a read-only file keeps its mode and stays readable."""
        try:
            self._conn.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            pass  # read-only file or directory: reads still work, and writes fail in check_writable

    def _create(self) -> None:
        columns = []
        for f in record_fields():
            column = f"{f.name} {_sql_type(f.name)}"
            if f.name == "run_id":
                column += " PRIMARY KEY"
            columns.append(column)
        with self._transaction():
            self._conn.execute(f"CREATE TABLE runs ({', '.join(columns)})")
            self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def _migrate(self, version: int) -> None:
        """Bring a store of an older schema version up to this one by adding the record's missing columns.

        Every schema change so far only added fields, so old rows stay valid with the new fields NULL (their
        `schema_version` column still says what wrote them). A store that cannot be written (a read-only
        published copy) is left as it is: it stays readable, its missing columns read as missing values, and
        a sweep into it fails in `check_writable`.
        """
        present = {r[1] for r in self._conn.execute("PRAGMA table_info(runs)")}
        missing = [f.name for f in record_fields() if f.name not in present]
        try:
            with self._transaction():
                for name in missing:
                    self._conn.execute(f"ALTER TABLE runs ADD COLUMN {name} {_sql_type(name)}")
                self._conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.OperationalError as exc:
            if "readonly" not in str(exc):
                raise

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def check_writable(self) -> None:
        """Fail early (before a sweep spends time) when the store cannot be written."""
        try:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                self._conn.execute("CREATE TABLE _augbench_write_probe (x)")
            finally:
                self._conn.execute("ROLLBACK")
        except sqlite3.Error as exc:
            raise UsageError(f"cannot write store {self.path}: {exc}") from None

    def done_ids(self) -> set[str]:
        """Config hashes of cells that finished with status ok (failed cells are retried)."""
        return {r[0] for r in self._conn.execute("SELECT run_id FROM runs WHERE status = 'ok'")}

    def is_done(self, run_id: str) -> bool:
        """Whether the cell finished with status ok (maybe by another sweep since this one started)."""
        return self._conn.execute("SELECT 1 FROM runs WHERE run_id = ? AND status = 'ok'", (run_id,)).fetchone() is not None

    def put(self, record: RunRecord) -> None:
        """Insert or replace the row of `record.run_id`, in one transaction."""
        values = record.as_dict()
        names = list(values)
        placeholders = ", ".join("?" for _ in names)
        with self._transaction():
            self._conn.execute(f"INSERT OR REPLACE INTO runs ({', '.join(names)}) VALUES ({placeholders})", [values[n] for n in names])

    def records(self) -> list[dict[str, Any]]:
        """All rows as dicts, missing values as None (pandas would turn them into NaN)."""
        cursor = self._conn.execute("SELECT * FROM runs ORDER BY task, method, fraction, seed")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row)) for row in cursor]

    def frame(self) -> pd.DataFrame:
        """All rows as a DataFrame with the record's columns."""
        frame = pd.read_sql_query("SELECT * FROM runs ORDER BY task, method, fraction, seed", self._conn)
        for name in ("git_dirty", "gen_cache_hit"):  # SQLite keeps booleans as 0/1
            if name in frame:
                frame[name] = frame[name].map(lambda v: None if pd.isna(v) else bool(v))
        return frame

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
