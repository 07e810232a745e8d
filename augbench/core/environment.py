"""Is this the environment the numbers are meant to be made in? The installed packages against
requirements.lock, and the compiled libraries loaded, before anything runs.

Why first: torch, torchvision and torchaudio are one ABI, and a release upstream can break it without a
line of the project changing (torchaudio 2.11.1, resolved next to torch 2.11.0, fails to load
libtorchaudio.so: a fresh clone's `make test` ended in 272 errors and every FSDD cell failed). Checked
here, the same break is one line naming the package, the version found and the version the lock pins.

Two modes. A venv that `make venv` installed from the lock carries a marker in its prefix (MARKER): there
a version that differs from the lock is an error, because its rows would claim a reproducibility they do
not have. Anywhere else (a GPU machine with its own preinstalled torch, `make bench-full NOVENV=1`, a user's
own install) the versions found are reported next to the lock's and the run goes on. A library that does
not load is an error in both: nothing it computes could be trusted, or would run.
"""

from __future__ import annotations

import functools
import hashlib
import importlib
import importlib.metadata
import importlib.util
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from augbench.core.errors import UsageError

REPO_ROOT = Path(__file__).resolve().parents[2]  # augbench/core/environment.py -> the checkout
LOCK_NAME = "requirements.lock"
MARKER = "augbench-lock.sha256"  # written into the venv's prefix by `make venv` after installing the lock

# The libraries whose code computes a number in a row, beyond torch, torchvision and numpy (which the record
# names in columns of their own): text features (scikit-learn, scipy), audio features and speed
# perturbation (torchaudio), EDA's synonyms (wn), image decoding in torchvision (pillow); and "blas", the
# BLAS numpy and scipy run on with the kernel it picked for this CPU (blas_identity).
NUMBER_LIBRARIES = ("scikit-learn", "scipy", "torchaudio", "wn", "pillow", "blas")


class EnvironmentMismatch(UsageError):
    """The environment differs from the lock, or a library in it does not load: one line, exit status 2."""


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (Scikit_Learn == scikit-learn)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_path() -> Path:
    return REPO_ROOT / LOCK_NAME


def read_lock(path: Path) -> dict[str, str]:
    """{normalized name: version} of every `name==version` requirement in a pip/uv requirements file.

    Raises:
        UsageError: the file is missing or pins nothing.
    """
    try:
        text = path.read_text()
    except OSError as exc:
        raise UsageError(f"cannot read the lock {path}: {exc.strerror}") from None
    pins = {}
    for line in text.splitlines():
        match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?==([^\s;\\]+)", line)
        if match:
            pins[normalize(match.group(1))] = match.group(3)
    if not pins:
        raise UsageError(f"the lock {path} pins no package (expected lines like 'torch==2.11.0')")
    return pins


def lock_digest(path: Path) -> str:
    """The first 16 hex digits of the lock file's sha256: names the exact set of versions in a run record."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


@functools.lru_cache(maxsize=1)
def blas_identity() -> str:
    """The BLAS libraries numpy and scipy load, with their versions and the kernel each picked for this CPU,
    e.g. "openblas 0.3.30 SkylakeX, openblas 0.3.31.188.0 SkylakeX".

    Why it is recorded: OpenBLAS chooses its kernels by CPU at load time, and the kernels round differently.
    The text features' randomized SVD gives other last bits under the AVX2 kernels (Haswell, Zen) than under
    AVX-512 (SkylakeX), and an MLP trained on them ends a point away (TREC, 1,000 questions, seed 0: 74.8%
    vs 73.4%); the library versions alone cannot tell two such rows apart.
    """
    try:
        import numpy  # noqa: F401  (loads numpy's BLAS)
        import scipy.linalg  # noqa: F401  (loads scipy's)
        from threadpoolctl import threadpool_info
    except ImportError:  # an unlocked environment without scipy or threadpoolctl: say so rather than fail a cell
        return "unknown"

    found = sorted({f"{i.get('internal_api', '?')} {i.get('version', '?')} {i.get('architecture', '?')}"
                    for i in threadpool_info() if i.get("user_api") == "blas"})
    return ", ".join(found) or "unknown"


def installed_versions() -> dict[str, str]:
    """{normalized name: version} of the distributions this interpreter imports (the first on sys.path wins,
    as for an import)."""
    found: dict[str, str] = {}
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name:
            found.setdefault(normalize(name), dist.version)
    return found


@functools.lru_cache(maxsize=1)
def _installed_snapshot() -> dict[str, str]:
    return installed_versions()


def versions_of(names: tuple[str, ...]) -> dict[str, str | None]:
    """{name: installed version} (None where not installed; "blas": blas_identity()), read once per process:
    what a run record and a feature cache key name."""
    installed = _installed_snapshot()
    return {name: blas_identity() if name == "blas" else installed.get(normalize(name)) for name in names}


def same_version(found: str, pinned: str) -> bool:
    """Whether `found` is the release the lock pins; a local build tag the pin does not name is ignored
    (PyPI's torch 2.11.0 reports itself as 2.11.0+cu130)."""
    try:
        from packaging.version import InvalidVersion, Version
    except ImportError:  # an environment without packaging (it is locked here): compare the release part as text
        return found == pinned or found.split("+")[0] == pinned
    try:
        have, want = Version(found), Version(pinned)
    except InvalidVersion:
        return found == pinned
    return have == want or (want.local is None and have.public == want.public)


@dataclass(frozen=True)
class Difference:
    """A locked package whose installed version is not the lock's (found None: not installed)."""

    name: str
    found: str | None
    pinned: str

    def __str__(self) -> str:
        have = "not installed" if self.found is None else self.found
        return f"{self.name} {have} (lock: {self.pinned})"


def differences(pins: dict[str, str], installed: dict[str, str]) -> list[Difference]:
    """The locked packages that are missing or at another version, in the lock's order."""
    return [Difference(name, installed.get(name), pinned) for name, pinned in pins.items()
            if name not in installed or not same_version(installed[name], pinned)]


# --- loading the compiled libraries -------------------------------------------------------------------
# Each check runs the smallest call that goes through the library's compiled code, the way the suite uses it.

def _load_torch() -> None:
    import torch

    torch.ones(2, 2) @ torch.ones(2, 2)


def _load_torchvision() -> None:
    import torch
    import torchvision

    boxes = torch.tensor([[0.0, 0.0, 1.0, 1.0]])
    torchvision.ops.nms(boxes, torch.ones(1), 0.5)  # a compiled torchvision op


def _load_torchaudio() -> None:
    import torch
    import torchaudio  # loads libtorchaudio.so: the ABI break shows here

    wave = torch.zeros(1, 256)
    torchaudio.transforms.MelSpectrogram(sample_rate=8000, n_fft=64, n_mels=8)(wave)
    torchaudio.transforms.Resample(2, 1)(wave)


def _importer(module: str) -> Callable[[], None]:
    return lambda: importlib.import_module(module) and None


# (distribution, module, check): the compiled trio, whose ABI a release can break, and the optional backends
# (extras), which nothing else imports before a sweep needs them. Each is loaded when installed; one that is
# not installed is no load failure (the lock comparison names it). The rest of the lock (scikit-learn, scipy,
# pandas, wn, ...) is checked by version only: importing scikit-learn alone would add seconds to every command.
LOADS: tuple[tuple[str, str, Callable[[], None]], ...] = (
    ("torch", "torch", _load_torch),
    ("torchvision", "torchvision", _load_torchvision),
    ("torchaudio", "torchaudio", _load_torchaudio),
    ("kornia", "kornia", _importer("kornia")),
    ("submitit", "submitit", _importer("submitit")),
    ("ray", "ray", _importer("ray")),
)


@dataclass(frozen=True)
class LoadFailure:
    name: str
    found: str | None
    error: str


def load_failures(loads=LOADS, installed: dict[str, str] | None = None) -> list[LoadFailure]:
    """The installed libraries that fail to load."""
    installed = installed_versions() if installed is None else installed
    failures = []
    for dist, module, load in loads:
        if normalize(dist) not in installed and importlib.util.find_spec(module) is None:
            continue
        try:
            load()
        except Exception as exc:  # an import error, an undefined symbol, a missing operator: all one line
            first = (str(exc).strip().splitlines() or [""])[0]
            failures.append(LoadFailure(dist, installed.get(normalize(dist)), f"{type(exc).__name__}: {first[:240]}"))
    return failures


@dataclass
class EnvironmentReport:
    """What the check found: the mode, the lock, and how the installed packages differ from it."""

    locked: bool  # a venv installed from the lock (strict) or not (versions reported only)
    lock: Path | None  # None: no lock beside the code (an installed package outside a checkout)
    pins: dict[str, str] = field(default_factory=dict)
    installed: dict[str, str] = field(default_factory=dict)
    differences: list[Difference] = field(default_factory=list)
    failures: list[LoadFailure] = field(default_factory=list)

    @property
    def matches_lock(self) -> bool:
        return self.lock is not None and not self.differences

    def summary(self) -> str:
        """One line: what was compared and what was found."""
        if self.lock is None:
            return f"environment: no {LOCK_NAME} beside the code; versions not compared ({self._key_versions()})"
        mode = "locked venv" if self.locked else "unlocked environment (versions reported, not enforced)"
        if not self.differences:
            return f"environment: {mode}; all {len(self.pins)} packages match {self.lock.name} ({self._key_versions()})"
        shown = "; ".join(map(str, self.differences[:6])) + (f"; and {len(self.differences) - 6} more" if len(self.differences) > 6 else "")
        return f"environment: {mode}; {len(self.differences)} of {len(self.pins)} packages differ from {self.lock.name}: {shown}"

    def _key_versions(self) -> str:
        return ", ".join(f"{n} {self.installed.get(n, '?')}" for n in ("torch", "torchvision", "torchaudio"))


def is_locked_venv(prefix: str | None = None) -> bool:
    """Whether this interpreter runs in a venv that `make venv` installed from the lock."""
    return Path(prefix or sys.prefix, MARKER).is_file()


def inspect(strict: bool | None = None, lock: Path | None = None, loads=LOADS) -> EnvironmentReport:
    """Compare the environment with the lock and load the compiled libraries (no exception for what is found).

    `strict`: None decides from the venv marker (is_locked_venv); `lock`: default requirements.lock of the checkout.
    """
    lock = lock or lock_path()
    installed = installed_versions()
    report = EnvironmentReport(locked=is_locked_venv() if strict is None else strict,
                               lock=lock if lock.is_file() else None, installed=installed)
    if report.lock is not None:
        report.pins = read_lock(lock)
        report.differences = differences(report.pins, installed)
    report.failures = load_failures(loads, installed)
    return report


def check(strict: bool | None = None, lock: Path | None = None, loads=LOADS) -> EnvironmentReport:
    """inspect(), raising what must stop a run.

    Raises:
        EnvironmentMismatch: a library does not load (any mode), or a locked package differs (strict mode).
    """
    report = inspect(strict, lock, loads)
    if report.failures:
        failure = report.failures[0]
        pinned = report.pins.get(normalize(failure.name))
        expected = f"; {LOCK_NAME} pins {failure.name} {pinned}" if pinned else ""
        found = "" if failure.found is None else f" {failure.found}"
        others = f" (and {len(report.failures) - 1} more: {', '.join(f.name for f in report.failures[1:])})" if len(report.failures) > 1 else ""
        raise EnvironmentMismatch(f"environment: {failure.name}{found} does not load ({failure.error}){expected}{others}; "
                                  f"reinstall with `rm -rf .venv && make venv`")
    if report.locked and report.differences:
        raise EnvironmentMismatch(f"{report.summary()}; reinstall with `rm -rf .venv && make venv` "
                                  f"(after changing pyproject.toml: `make lock` first)")
    return report


_checked: EnvironmentReport | None = None


def check_once() -> EnvironmentReport:
    """check() on the first call of the process, its report afterwards (a sweep, its workers, a test session)."""
    global _checked
    if _checked is None:
        _checked = check()
    return _checked


@functools.lru_cache(maxsize=1)
def run_provenance() -> dict[str, str | None]:
    """The record's library fields: the versions of NUMBER_LIBRARIES (JSON) and the digest of the lock when
    every installed package matches it (None otherwise: the rows then name only the versions they list)."""
    import json

    libraries = versions_of(NUMBER_LIBRARIES)
    lock = lock_path()
    digest = None
    if lock.is_file():
        try:
            if not differences(read_lock(lock), _installed_snapshot()):
                digest = lock_digest(lock)
        except UsageError:
            digest = None
    return {"library_versions": json.dumps(libraries, sort_keys=True), "lock_digest": digest}
