"""A cell of the grid and its config hash: the hash over everything that determines the result."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

# Bump only when the meaning of a cell changes on purpose; a test pins the hash of one cell.
HASH_VERSION = 2  # 2: every task holds out a fixed validation split; pools and subsets are drawn from the rest


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no whitespace: equal configs give equal text."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Cell:
    """(task, method, seed, fraction, profile, parameters, data variant): one row of the store."""

    task: str
    method: str
    seed: int
    fraction: float
    profile: str
    method_params: dict[str, Any] = field(hash=False)
    task_params: dict[str, Any] = field(hash=False)
    train_config: dict[str, Any] = field(hash=False)
    eval_config: dict[str, Any] = field(hash=False)
    data_variant: str = ""
    data_checksum: str = ""

    def identity(self) -> dict[str, Any]:
        return {
            "hash_version": HASH_VERSION,
            "task": self.task,
            "method": self.method,
            "seed": self.seed,
            "fraction": self.fraction,
            "profile": self.profile,
            "method_params": self.method_params,
            "task_params": self.task_params,
            "train_config": self.train_config,
            "eval_config": self.eval_config,
            "data_variant": self.data_variant,
            "data_checksum": self.data_checksum,
        }

    @property
    def run_id(self) -> str:
        """First 16 hex digits of the sha256 of the canonical JSON identity."""
        return hashlib.sha256(canonical_json(self.identity()).encode()).hexdigest()[:16]

    def label(self) -> str:
        """How progress lines name the cell; a generator fitted on the whole pool says so (`mnist/vae (pool)`,
        `mnist/vae (unlabelled)`)."""
        parts = [self.method_params, *(v for v in self.method_params.values() if isinstance(v, dict))]
        regime = next((f" ({part['data']})" for part in parts if part.get("data") in ("pool", "unlabelled")), "")
        return f"{self.task}/{self.method}{regime} seed={self.seed} fraction={self.fraction:g}"
