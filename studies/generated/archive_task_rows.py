"""Move one task's rows out of the generated-data study's stores after the task itself changed, so the study's
page (summary.py, which reads every results/generated/*.sqlite beside the baseline) never groups the earlier
task's rows with the new one's at the same fraction. Nothing is deleted: each store's rows of the task are
copied, whole, into results/generated/earlier-tasks/<store>-<TAG>.sqlite (committed; summary.py reads only the top folder) first, then removed from the store.
Issue 33 (2026-12-07): FSDD moved from 32-band maps at 300/600 recordings to 16-band maps at 150/300.

    .venv/bin/python studies/generated/archive_task_rows.py fsdd mel32
"""

from __future__ import annotations

import glob
import sqlite3
import sys
from pathlib import Path


def main(task: str, tag: str) -> None:
    out_dir = Path("results/generated/earlier-tasks")
    for path in sorted(glob.glob("results/generated/*.sqlite")):
        source = sqlite3.connect(path)
        count = source.execute("select count(*) from runs where task = ?", (task,)).fetchone()[0]
        if not count:
            source.close()
            continue
        out_dir.mkdir(parents=True, exist_ok=True)
        archive_path = out_dir / f"{Path(path).stem}-{tag}.sqlite"
        if archive_path.exists():
            sys.exit(f"{archive_path} exists already: nothing moved from {path}")
        archive = sqlite3.connect(archive_path)
        source.backup(archive)  # the whole store, schema and all; then keep only the task's rows in the copy
        archive.execute("delete from runs where task != ?", (task,))
        archive.commit()
        archive.execute("vacuum")
        kept = archive.execute("select count(*) from runs").fetchone()[0]
        archive.close()
        if kept != count:
            sys.exit(f"{archive_path}: {kept} rows copied where {path} holds {count}; {path} left as it was")
        source.execute("delete from runs where task = ?", (task,))
        source.commit()
        source.execute("pragma wal_checkpoint(truncate)")
        source.close()
        print(f"{path}: {count} {task} rows moved to {archive_path}")


if __name__ == "__main__":
    main(*sys.argv[1:])
