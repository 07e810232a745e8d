"""Where a number came from: library versions (and the lock they match), the device, the code's git commit, UTC timestamps."""

from __future__ import annotations

import datetime as dt
import functools
import platform
import subprocess
from pathlib import Path

import numpy as np
import torch
import torchvision

from augbench.core.device import device_name
from augbench.core.environment import run_provenance

REPO_ROOT = Path(__file__).resolve().parents[2]  # augbench/core/provenance.py -> the checkout


def utc_now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


@functools.lru_cache(maxsize=1)
def git_state(root: Path = REPO_ROOT) -> tuple[str | None, bool | None]:
    """(commit SHA, dirty flag) of the checkout the code runs from; (None, None) outside git.

    Dirty means a tracked file outside `results/` differs from the commit: what a run computes is the code's, and
    no run reads `results/`, while a study that rewrites its committed store there (studies/*.sh) would otherwise
    mark its own rows dirty."""
    try:
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, timeout=10)
        if commit.returncode != 0:
            return None, None
        status = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results"],
                                cwd=root, capture_output=True, text=True, timeout=10)
        return commit.stdout.strip(), bool(status.stdout.strip())
    except (OSError, subprocess.SubprocessError):
        return None, None


def provenance(device: torch.device) -> dict[str, object]:
    """The provenance fields of the run record for a run on `device`."""
    commit, dirty = git_state()
    return {
        "device": device.type,
        "device_name": device_name(device),
        "torch_version": torch.__version__,
        "torchvision_version": torchvision.__version__,
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        **run_provenance(),
        "git_commit": commit,
        "git_dirty": dirty,
    }
