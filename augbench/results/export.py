"""Export the store to CSV or JSON (one row per cell, every run-record field) and read such files back.

The exports are what `augbench compare` and the committed baselines use, so reading them restores the
record's types (ids stay strings even when they look like numbers). In a JSON export the fields that
hold JSON text (configs, per-corruption accuracies, the validation curve) are nested objects and lists,
so tools can read them without decoding a string twice; CSV keeps them as text. Older JSON exports
(strings there too, like the committed baselines) still read.
"""

from __future__ import annotations

import json
import sqlite3
import sys
import typing
from pathlib import Path
from typing import Any, Callable

import pandas as pd

from augbench.config.cell import canonical_json
from augbench.core.errors import UsageError
from augbench.results.record import RunRecord, record_fields

FORMATS = ("csv", "json")
STDOUT = "-"  # the --output that writes the export to standard output
_SQLITE_MAGIC = b"SQLite format 3\x00"

# The record's fields that hold JSON text, each with the spelling its writer uses (the sweep: canonical_json
# for the configs, json.dumps for val_curve; the robustness evaluation: sorted keys for corruption_json).
# read_rows spells every source's value this way, so a store, a CSV and a JSON export (nested or, from
# older versions, strings) of the same rows read back equal.
JSON_FIELDS: dict[str, Callable[[Any], str]] = {
    "method_params": canonical_json, "task_params": canonical_json, "train_config": canonical_json,
    "eval_config": canonical_json, "corruption_json": lambda v: json.dumps(v, sort_keys=True), "val_curve": json.dumps,
    "library_versions": lambda v: json.dumps(v, sort_keys=True), "guard_json": lambda v: json.dumps(v, sort_keys=True),
    "exec_policy": lambda v: json.dumps(v, sort_keys=True),
}


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


def _parsed(text: str) -> dict | list | None:
    """The object or list `text` encodes; None for text that is not a JSON object or list (kept as text)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _nested(name: str, value: object) -> object:
    """A JSON-text field's value as the object it encodes, for the JSON export; any other text stays text."""
    if name not in JSON_FIELDS or not isinstance(value, str):
        return value
    parsed = _parsed(value)
    return value if parsed is None else parsed


def export_text(frame: pd.DataFrame, fmt: str) -> str:
    """`frame` (store rows) as the text of a csv or json export.

    Raises:
        UsageError: an unknown format.
    """
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format {fmt!r}; choose from {', '.join(FORMATS)}")
    frame = conform(frame)
    if fmt == "csv":
        return frame.to_csv(index=False)
    # json.dumps writes floats with repr, which round-trips exactly (pandas' to_json rounds to 15 digits).
    records = frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    records = [{name: _nested(name, value) for name, value in row.items()} for row in records]
    return json.dumps(records, indent=1, default=_plain) + "\n"


def write_export(frame: pd.DataFrame, path: str | Path, fmt: str) -> None:
    """Write `frame` (store rows) to `path` as csv or json; `path` "-" (STDOUT) writes to standard output.

    Raises:
        UsageError: an unknown format or a path that cannot be written.
    """
    text = export_text(frame, fmt)
    if str(path) == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None


def _bool(value: object) -> bool | None:
    # csv holds "True"/"False", sqlite 0/1, json true/false.
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1")
    return bool(value)


def _json_text(name: str, value: object) -> str | None:
    """A JSON-text field in its writer's spelling, from a nested object (new JSON export) or from text (a
    store, a CSV or an older JSON export); text that is not a JSON object or list is kept as it is."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if isinstance(value, str):
        parsed = _parsed(value)
        if parsed is None:
            return value
        value = parsed
    return JSON_FIELDS[name](value)


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = conform(frame)
    for name in frame.columns:
        kind = _base_type(name)
        if name in JSON_FIELDS:
            frame[name] = frame[name].map(lambda v, name=name: _json_text(name, v))
        elif kind is str:
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
            from augbench.results.store import Store

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
