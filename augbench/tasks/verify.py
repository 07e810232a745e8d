"""Checksum verification of data files, before any byte of them is parsed (let alone unpickled).

A file is checked against the data root's SHA256SUMS when that lists it, and against the digests the
task knows from the dataset's publishers (torchvision's md5 lists, the shared data README) when it has
them; a file that neither vouches for is refused.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from augbench.core.errors import DataError

SUMS_FILE = "SHA256SUMS"

# Hashing 180 MB of CIFAR-10 costs about a second; a sweep verifies each file once per process
# and re-hashes only when its size or modification time changed.
_digest_memo: dict[tuple[str, int, int, str], str] = {}


@dataclass(frozen=True)
class KnownFile:
    """A data file the task needs, with the digests its publishers give (any one of them vouches)."""

    relpath: str  # path under the data root, with forward slashes
    sha256: frozenset[str] = field(default_factory=frozenset)
    md5: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class VerifiedFiles:
    """Files that passed verification, and one checksum over all of them (the data variant's id)."""

    root: Path
    sha256: dict[str, str]  # relpath -> sha256 of the file
    checksum: str  # sha256 over the sorted "relpath sha256" lines

    def path(self, relpath: str) -> Path:
        return self.root / relpath


def file_digest(path: Path, algorithm: str) -> str:
    """Hex digest of a file (memoized on path, size and mtime)."""
    stat = path.stat()
    key = (str(path.resolve()), stat.st_size, stat.st_mtime_ns, algorithm)
    if key not in _digest_memo:
        digest = hashlib.new(algorithm)
        with path.open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
        _digest_memo[key] = digest.hexdigest()
    return _digest_memo[key]


def read_sums(root: Path) -> dict[str, str]:
    """The root's SHA256SUMS as {relpath: sha256}; empty when the root has none."""
    sums_path = root / SUMS_FILE
    if not sums_path.is_file():
        return {}
    sums: dict[str, str] = {}
    for number, line in enumerate(sums_path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        parts = line.split(maxsplit=1)
        if len(parts) != 2 or len(parts[0]) != 64:
            raise DataError(f"{sums_path}:{number}: malformed line {line!r} (expected '<sha256>  <path>')")
        sums[parts[1].lstrip("*").strip()] = parts[0].lower()
    return sums


def missing_files(root: Path, files: list[KnownFile]) -> list[str]:
    """Relative paths of `files` that are not present under `root`."""
    return [f.relpath for f in files if not (root / f.relpath).is_file()]


def verify_files(root: Path, files: list[KnownFile], what: str) -> VerifiedFiles:
    """Check every file against SHA256SUMS and the publishers' digests.

    Raises:
        DataError: a file is missing, a digest does not match, or no digest vouches for a file.
    """
    missing = missing_files(root, files)
    if missing:
        raise DataError(
            f"{what}: data root {root} lacks {', '.join(missing)}; expected files: "
            f"{', '.join(f.relpath for f in files)} (set AUGBENCH_DATA or --data-dir to the folder holding them)"
        )
    sums = read_sums(root)
    verified: dict[str, str] = {}
    for known in files:
        path = root / known.relpath
        sha = file_digest(path, "sha256")
        listed = sums.get(known.relpath)
        if listed is not None and listed != sha:
            raise DataError(f"{what}: checksum mismatch for {path}: sha256 {sha}, but {root / SUMS_FILE} says {listed}")
        if known.sha256 or known.md5:
            vouched = sha in known.sha256 or (bool(known.md5) and file_digest(path, "md5") in known.md5)
            if not vouched:
                expected = ", ".join(sorted(known.sha256) + [f"md5 {m}" for m in sorted(known.md5)])
                raise DataError(f"{what}: checksum mismatch for {path}: sha256 {sha}; expected {expected}")
        elif listed is None:
            raise DataError(f"{what}: no checksum known for {path} (not in {root / SUMS_FILE}); refusing to read it")
        verified[known.relpath] = sha
    lines = "".join(f"{rel} {sha}\n" for rel, sha in sorted(verified.items()))
    return VerifiedFiles(root, verified, hashlib.sha256(lines.encode()).hexdigest())


def resolve_data_root(data_dir: str | os.PathLike[str] | None) -> Path:
    """The data root from --data-dir, else AUGBENCH_DATA.

    Raises:
        DataError: neither is set, or the folder does not exist.
    """
    chosen = data_dir or os.environ.get("AUGBENCH_DATA") or None
    if chosen is None:
        raise DataError("no data root: pass --data-dir DIR or set AUGBENCH_DATA to the folder holding the datasets")
    root = Path(chosen).expanduser()
    if not root.is_dir():
        source = "--data-dir" if data_dir else "AUGBENCH_DATA"
        raise DataError(f"data root {root} (from {source}) is not a folder; set AUGBENCH_DATA or --data-dir")
    return root
