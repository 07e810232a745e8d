"""Adversarial training on the sentence itself: word substitutions found by PWWS against the model being trained.

`adversarial` on SST-2 and TREC attacks the standardized feature vector, and against the word substitutions the text
rows are judged by (augbench/evaluation/word_substitution.py) it bought nothing (SST-2 48.4% against `none`'s 49.4%
at 1,000 sentences; issue 37). This method trains against that attack: each step, a share of the batch's sentences
is attacked with PWWS (Ren et al. 2019) under the evaluation's constraints (at most `word_share` of the words, stop
words kept, synonyms of the word's most frequent sense in its dominant part of speech) through the cell's own
featurizer and the current model, and the sentences it flips replace the originals; the batch is then featurized
(the featurizer fitted on the cell's training sentences: no attacked sentence shapes a vocabulary or a basis). This
is attack-based augmentation, as TextAttack's adversarial training does it (Morris et al. 2020), with the
classic half-clean, half-adversarial batch (Goodfellow et al. 2015).

How the sentences reach it: the sweep replaces the training split by each example's position among the cell's
training sentences ([N, 1], `Task.with_raw_train`) and hands the method the sentences, their features and the
featurizer (`FitContext.front_end`, augbench.tasks.text.RawSentences); `augment` returns the features the classifier takes.

Settings: share 0.5 and the evaluation's word share 0.2; not tuned on validation (the one setting measured,
results/robustness/real-input-quick.md). Its quick cells train in 5-14 s against `none`'s 0.5-0.9 s: PWWS on a step's
32 sentences takes about 20 ms on one core.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from augbench.evaluation.attacks import eval_mode
from augbench.evaluation.word_substitution import WordAttackConfig, pwws
from augbench.methods import METHODS
from augbench.methods.base import FitContext, Method
from augbench.tasks.base import Split, Task


@dataclass(frozen=True)
class AdversarialWordParams:
    share: float = 0.5  # share of each batch's sentences attacked (the ones the attack flips are replaced), in [0, 1]
    word_share: float = 0.2  # at most this share of a sentence's words change (the evaluation's robust.word_share), in (0, 1]


@METHODS.register("adversarial_word")
class AdversarialWord(Method):
    """Trains on PWWS word substitutions that flip the current model, made through the cell's own featurizer."""

    Params = AdversarialWordParams
    raw_kinds = ("text",)  # it needs the sentences (and so cannot be composed: a generator's vectors have none)
    raw_train = True
    compose_stage = 2

    def __init__(self, params: AdversarialWordParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if not 0 <= params.share <= 1:
            raise ValueError(f"adversarial_word.share={params.share} is invalid: it must be in [0, 1]")
        if not 0 < params.word_share <= 1:
            raise ValueError(f"adversarial_word.word_share={params.word_share} is invalid: it must be in (0, 1]")
        self.raw = None  # augbench.tasks.text.RawSentences, from `fit`
        self.attacked = self.flipped = 0  # sentences attacked during training, and how many the attack flipped

    def fit(self, train: Split, context: FitContext) -> None:
        if context.front_end is None:
            raise RuntimeError(f"adversarial_word needs the cell's sentences; task {self.task.name!r} gave none")
        self.raw = context.front_end

    def _features(self, sentences: list[str], like: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.raw.featurize(sentences)).to(like.device, torch.float32).reshape(
            len(sentences), *self.task.input_shape)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """x: [N, 1], each example's position among the training sentences; returns the batch's features: the cell's
        own training features, except for the sentences the attack flipped (the first `share` of the batch is
        attacked; batches arrive shuffled: a random share), which go through the featurizer."""
        if len(y) == 0:
            return x.new_zeros((0, *self.task.input_shape)), y
        positions = x[:, 0].long()
        out = self.raw.features[positions]  # indexing copies: the cell's features stay as they are
        k = round(self.params.share * len(y))
        if k:
            sentences = [self.raw.sentences[int(p)] for p in positions[:k].tolist()]

            def predict(batch: list[str]) -> np.ndarray:
                with torch.inference_mode():
                    return torch.softmax(model(self._features(batch, x)).float(), dim=1).cpu().numpy()

            with eval_mode(model):
                result = pwws(predict, sentences, y[:k].cpu().numpy(), WordAttackConfig(self.params.word_share))
            flipped = [i for i in range(k) if result.correct[i] and not result.robust[i]]
            if flipped:
                out[flipped] = self._features([result.adversarial[i] for i in flipped], x)
            self.attacked += k
            self.flipped += len(flipped)
        return out, y
