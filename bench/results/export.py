"""Export the store to CSV or JSON (one row per cell, every run-record field) and read such files back.

The exports are what `augbench compare` and the committed baselines use, so reading them restores the
record's types (ids stay strings even when they look like numbers).
"""

from __future__ import annotations

import json
import sqlite3
import typing
from pathlib import Path

import pandas as pd

from bench.core.errors import UsageError
from bench.results.record import RunRecord, record_fields

FORMATS = ("csv", "json")
_SQLITE_MAGIC = b"SQLite format 3\x00"


def _base_type(name: str) -> type:
    hint = typing.get_type_hints(RunRecord)[name]
    return [t for t in typing.get_args(hint) or (hint,) if t is not type(None)][0]


def columns() -> list[str]:
    """The run record's fields, in declaration order: the columns of every export."""
    return [f.name for f in record_fields()]


def conform(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with exactly the record's columns in record order (absent ones as missing values)."""
    return frame.reindex(columns=columns())


def _plain(value: object) -> object:
    """numpy scalars as Python numbers for json."""
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot export {type(value).__name__} to json")


def write_export(frame: pd.DataFrame, path: str | Path, fmt: str) -> None:
    """Write `frame` (store rows) to `path` as csv or json.

    Raises:
        UsageError: an unknown format or a path that cannot be written.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    frame = conform(frame)
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            frame.to_csv(path, index=False)
        else:
            # json.dumps writes floats with repr, which round-trips exactly (pandas' to_json rounds to 15 digits).
            records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
            path.write_text(json.dumps(records, indent=1, default=_plain) + "\n")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _bool(value: object) -> bool | None:
    # csv holds "True"/"False", sqlite 0/1, json true/false.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = conform(frame)
    for name in frame.columns:
        kind = _base_type(name)
        if kind is str:
            frame[name] = frame[name].map(lambda v: None if v is None or (isinstance(v, float) and pd.isna(v)) else str(v))
        elif kind is bool:
            frame[name] = frame[name].map(_bool)
        elif kind is float:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype(float)
        else:
            frame[name] = pd.to_numeric(frame[name], errors="coerce").astype("Int64")
    return frame


def read_rows(path: str | Path) -> pd.DataFrame:
    """Rows of a store (.sqlite), a csv export or a json export, with the record's columns and types.

    Raises:
        UsageError: the file is missing, unreadable, or none of the three.
    """
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"no such file: {path}")
    try:
        with path.open("rb") as handle:
            head = handle.read(len(_SQLITE_MAGIC))
        if head == _SQLITE_MAGIC:
            from bench.results.store import Store

            with Store(path) as store:
                return _typed(store.frame())
        if path.suffix.lower() == ".csv":
            frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
        else:
            frame = pd.DataFrame(json.loads(path.read_text()))
    except (OSError, ValueError, UnicodeDecodeError, sqlite3.Error, pd.errors.ParserError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    missing = {"run_id", "task", "method", "seed", "fraction", "profile", "status"} - set(frame.columns)
    if missing:
        raise UsageError(f"{path} is not an augbench export (missing columns: {', '.join(sorted(missing))})")
    return _typed(frame)
