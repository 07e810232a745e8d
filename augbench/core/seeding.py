"""Independent random streams per purpose, all derived from the cell's one seed."""

from __future__ import annotations

import contextlib
import hashlib
import random
from typing import Iterator

import numpy as np
import torch


def derive_seed(seed: int, purpose: str) -> int:
    """A 63-bit seed for one purpose (data order, subset, method), stable across runs and machines."""
    digest = hashlib.sha256(f"{seed}:{purpose}".encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def make_generator(seed: int, purpose: str, device: torch.device | str = "cpu") -> torch.Generator:
    """A torch.Generator on `device`, seeded for `purpose`; never the global RNG."""
    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(seed, purpose))
    return generator


def seed_everything(seed: int) -> None:
    """Seed the global RNGs that model initialisation draws from (torch, numpy, random)."""
    random.seed(derive_seed(seed, "python"))
    np.random.seed(derive_seed(seed, "numpy") % 2**32)
    torch.manual_seed(derive_seed(seed, "torch"))


@contextlib.contextmanager
def forked_rng(device: torch.device, seed: int | None = None) -> Iterator[None]:
    """A block whose draws from the global RNG (initialisation, dropout masks; CUDA's too on a CUDA device)
    leave the caller's stream as it was; with `seed`, the block runs on its own stream seeded so, and so
    draws the same whatever ran before it."""
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        if seed is not None:
            torch.manual_seed(seed)
        yield
