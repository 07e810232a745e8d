"""Several processes writing one store at once lose no row; readers never see a partial one."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from augbench.results.store import Store

REPO = Path(__file__).resolve().parent.parent

# A writer process: `count` rows with its own seeds, each put in its own transaction, as fast as it can.
WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {tests!r})
    from fixture_records import make_record
    from augbench.results.store import Store
    name, count, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    with Store(path) as store:
        for seed in range(count):
            store.put(make_record(method=name, seed=seed, clean_acc=seed / count))
""")


def spawn(code: str, *args: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    return subprocess.Popen([sys.executable, "-c", code, *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_concurrent_writers_lose_no_rows_and_readers_see_only_whole_rows(tmp_path):
    path = tmp_path / "runs.sqlite"
    Store(path).close()  # created once, as a sweep's plan step does before its cells run
    count = 150
    code = WRITER.format(tests=str(REPO / "tests"))
    writers = [spawn(code, name, str(count), str(path)) for name in ("none", "classic", "gan")]
    seen = 0
    with Store(path) as reader:  # reads while the writers write: every row it sees is complete
        while any(w.poll() is None for w in writers):
            for row in reader.records():
                assert row["status"] == "ok" and row["clean_acc"] is not None and row["finished_at"] is not None
            seen = max(seen, len(reader.done_ids()))
            time.sleep(0.01)
    for writer in writers:
        out, err = writer.communicate()
        assert writer.returncode == 0, err
    with Store(path) as store:
        rows = store.records()
    assert len(rows) == 3 * count
    assert sorted((r["method"], r["seed"]) for r in rows) == sorted((m, s) for m in ("none", "classic", "gan") for s in range(count))
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_a_writer_waits_for_another_writers_transaction(tmp_path):
    """A put while another process holds the write lock waits for its commit (busy timeout) instead of failing."""
    sys.path.insert(0, str(REPO / "tests"))
    from fixture_records import make_record

    path = tmp_path / "runs.sqlite"
    Store(path).close()
    holder = spawn(textwrap.dedent(f"""
        import sqlite3, sys, time
        conn = sqlite3.connect({str(path)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("CREATE TABLE holder_marker (x)")
        print("locked", flush=True)
        time.sleep(1.0)
        conn.execute("COMMIT")
    """))
    assert holder.stdout.readline().strip() == "locked"
    record = make_record(method="none", seed=0)
    with Store(path) as store:
        store.put(record)  # blocks until the holder commits
        tables = {r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert "holder_marker" in tables  # the holder's transaction committed before ours
        assert store.is_done(record.run_id)
    assert holder.wait(timeout=30) == 0
