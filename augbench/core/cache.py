"""Where on-disk artifacts that are expensive to make (fitted generators, reference classifiers) live,
and how they are written and read so that a crash or a corrupt file can never be trusted.

File format: one ASCII header line `augbench-cache v1 <sha256 of the body>\n`, then the body written by
`torch.save`. The header is checked before `torch.load(weights_only=True)` sees a byte, so a truncated,
partial or edited file is reported as missing (and refitted), not loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import time
from pathlib import Path
from typing import Any, Iterator

import torch

DEFAULT_CACHE = Path("results/cache")
MAGIC = b"augbench-cache v1 "


def cache_root() -> Path:
    """AUGBENCH_CACHE when set, else results/cache (git-ignored)."""
    return Path(os.environ.get("AUGBENCH_CACHE") or DEFAULT_CACHE)


def atomic_save(obj: Any, path: Path) -> None:
    """Write `obj` (tensors, dicts, lists, numbers, strings) to `path` atomically.

    The bytes go to a temporary file in the same directory, are flushed to disk, then renamed over
    `path` (os.replace is atomic on POSIX), so a reader sees the old file or the whole new one.
    """
    buffer = io.BytesIO()
    torch.save(obj, buffer)
    body = buffer.getvalue()
    header = MAGIC + hashlib.sha256(body).hexdigest().encode() + b"\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(header + body)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_waited = [0.0]  # seconds this process has spent waiting for cache locks (see `lock_wait_s`)


def lock_wait_s() -> float:
    """Seconds this process has waited on `cache_lock` so far: a cell subtracts what it waited from its own time,
    since the wait is another cell's fit (whose time that cell reports), not this cell's work."""
    return _waited[0]


@contextlib.contextmanager
def cache_lock(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on the cache entry `path` (a file in the cache's `locks/` folder) while it is looked up and,
    on a miss, made: two cells at once that need the same generator or reference then fit it once, the
    second loading what the first saved instead of fitting a copy beside it. POSIX advisory locks (fcntl);
    where there is none (Windows), the block runs unlocked, as before.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not POSIX
        yield
        return
    locks = path.parent.parent / "locks"  # beside the entries' folders, so a folder lists its entries alone
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{path.parent.name}-{path.name}.lock", "a") as handle:
        start = time.perf_counter()
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        _waited[0] += time.perf_counter() - start
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def load_verified(path: Path) -> Any | None:
    """The object stored at `path`, or None when it is missing, truncated or corrupt.

    Only files whose body matches the header's sha256 are unpickled, and only with
    `torch.load(weights_only=True)` (no arbitrary code runs on load).
    """
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    newline = raw.find(b"\n")
    if not raw.startswith(MAGIC) or newline < 0:
        return None
    digest, body = raw[len(MAGIC):newline].decode("ascii", "replace"), raw[newline + 1:]
    if hashlib.sha256(body).hexdigest() != digest:
        return None
    try:
        return torch.load(io.BytesIO(body), map_location="cpu", weights_only=True)
    except Exception:  # a body with a valid digest but an unreadable format (e.g. an older torch): refit
        return None
