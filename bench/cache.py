"""Where on-disk artifacts that are expensive to make (fitted generators, reference classifiers) live."""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_CACHE = Path("results/cache")


def cache_root() -> Path:
    """AUGBENCH_CACHE when set, else results/cache (git-ignored)."""
    return Path(os.environ.get("AUGBENCH_CACHE") or DEFAULT_CACHE)
