"""A word-substitution attack on the sentence itself: PWWS (Ren et al., ACL 2019), through the cell's whole pipeline.

The text tasks' FGSM and PGD move the standardized TF-IDF + SVD vector, and no sentence maps to most points of
that ball: they measure how smooth the classifier is in feature space. This attack changes words, so every input
it tries is a sentence a person could write, featurized by the cell's own featurizer and classified by the cell's
model (`predict` composes the two).

PWWS, as the paper defines it, for a sentence x with true label y and P = the model's probability of y:
1. For each word w_i that may change, its saliency S_i = P(x) - P(x with w_i replaced by an unknown token), and
   its best synonym s_i*, the one that lowers P the most: delta_i = P(x) - P(x with w_i -> s_i*).
2. Words are ranked by softmax(S)_i * delta_i, and replaced by their s_i* in that order, one more each time, until
   the prediction is no longer y (a success) or the share of changed words would pass `share` (a failure).

Constraints (stated, as the issue asks):
- at most `share` of the sentence's words change (default 0.2, Alzantot et al. 2018's limit), at least one;
- stop words (the EDA paper's list, augbench/transforms/sentences.py), one-letter words and non-alphabetic tokens
  never change;
- a word changes only in its base form, and only to another one-word lemma (no multi-word lemma, so the count of
  words stays) of its most frequent WordNet 3.0 sense within its dominant part of speech (with no tagger in the
  lock, the part of speech WordNet lists it under most often: "good" an adjective, "film" a noun, "run" a verb;
  `same_pos_synonyms` says why one sense). The reference recipes (PWWS's and TextAttack's WordNet swap) take every
  sense of every part of speech, and swap inflected words for lemmas.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from augbench.core.errors import UsageError
from augbench.transforms.sentences import LETTERS, STOP_WORDS, THESAURUS, _wordnet

# A token no featurizer has seen: replacing a word by it removes the word and every n-gram it was part of, as
# the paper's unknown token does for a model with a vocabulary (TF-IDF's pattern reads it as a symbol token).
UNKNOWN = "\u2400"
# WordNet's adjective satellites ("s") are adjectives.
_POS = {"n": "n", "v": "v", "a": "a", "s": "a", "r": "r"}

Predict = Callable[[list[str]], np.ndarray]  # sentences -> class probabilities [N, classes]
Synonyms = Callable[[str], tuple[str, ...]]


@dataclass(frozen=True)
class WordAttackConfig:
    """PWWS's constraints; overridable as `--param robust.word_share=...`."""

    share: float = 0.2  # most words of a sentence that may change, as a share of its words (at least one word)

    def __post_init__(self) -> None:
        if not (isinstance(self.share, (int, float)) and 0 < self.share <= 1):
            raise UsageError(f"robust.word_share={self.share} is invalid: it must be a share in (0, 1]")

    def describe(self) -> dict[str, object]:
        """Exactly what ran, for a row's eval_config and a report's caption."""
        return {"attack": "pwws", "share": self.share, "thesaurus": THESAURUS,
                "constraints": "stop words kept; base forms only; one-word lemmas of the word's most frequent WordNet "
                               "sense in its dominant part of speech"}


@dataclass
class WordAttackResult:
    correct: np.ndarray  # bool [N]: classified correctly before the attack
    robust: np.ndarray  # bool [N]: correct, and no substitution within the constraints changed the prediction
    changed: np.ndarray  # float [N]: share of the words changed by a successful attack (nan elsewhere)
    adversarial: list[str]  # each sentence as the attack left it (the original where it failed or was not run)

    @property
    def accuracy(self) -> float:
        return float(self.robust.mean()) if len(self.robust) else 0.0

    @property
    def success_rate(self) -> float:
        """Share of the correctly classified sentences whose prediction the attack changed."""
        return float(1 - self.robust.sum() / self.correct.sum()) if self.correct.any() else 0.0

    @property
    def mean_changed(self) -> float | None:
        done = self.changed[~np.isnan(self.changed)]
        return float(done.mean()) if len(done) else None


@functools.cache
def same_pos_synonyms(word: str) -> tuple[str, ...]:
    """One-word WordNet synonyms of `word` (lowercase) in its most frequent sense, sorted; () if none.

    Only a word in its base form is replaced (WordNet lists it as a lemma of the sense: "movies" and "known" are
    left alone, since a lemma cannot replace an inflected form without breaking the sentence), and only by the
    other lemmas of one synset: the first of the word's dominant part of speech (the one WordNet lists it under
    most often), which WordNet orders by the sense's frequency in tagged text. Taking every sense of that part of
    speech instead flipped more predictions, but about half of a hand-read sample then meant something else
    ("year" -> "class", "company" -> "caller"; results/robustness/word-attack-samples.md).
    """
    synsets = [synset for synset in _wordnet().synsets(word) if word in (n.lower() for n in synset.lemma_names())]
    counts: dict[str, int] = {}
    for synset in synsets:
        pos = _POS.get(synset.pos(), "")
        counts[pos] = counts.get(pos, 0) + 1
    if not counts:
        return ()
    dominant = max(sorted(counts), key=lambda pos: counts[pos])
    sense = next(synset for synset in synsets if _POS.get(synset.pos(), "") == dominant)
    found = {name.lower() for name in sense.lemma_names() if name.isalpha() and all(c in LETTERS for c in name.lower())}
    found.discard(word)
    return tuple(sorted(found))


def changeable(word: str) -> bool:
    """Whether the attack may replace `word`: alphabetic, two letters or more, not a stop word."""
    return word.isalpha() and len(word) > 1 and word.lower() not in STOP_WORDS


def _cased(synonym: str, like: str) -> str:
    return synonym.capitalize() if like[:1].isupper() else synonym


def pwws(predict: Predict, sentences: Sequence[str], labels: np.ndarray, config: WordAttackConfig = WordAttackConfig(),
         synonyms: Synonyms = same_pos_synonyms, chunk: int = 64,
         progress: Callable[[int], None] | None = None) -> WordAttackResult:
    """Attack every sentence with PWWS under `config`'s constraints.

    Args:
        predict: class probabilities of a list of sentences (the cell's featurizer, then its model in eval mode).
        labels: int class ids [N].
        chunk: sentences whose candidates are classified in one `predict` call (memory, not results).
        progress: called with the count of sentences done after each chunk.
    Returns:
        per sentence: correct before, robust after, the share of words changed, the adversarial sentence.
    """
    labels = np.asarray(labels)
    n = len(sentences)
    correct = np.zeros(n, dtype=bool)
    robust = np.zeros(n, dtype=bool)
    changed = np.full(n, np.nan)
    adversarial = [str(s) for s in sentences]
    for start in range(0, n, chunk):
        index = range(start, min(n, start + chunk))
        words = {i: adversarial[i].split() for i in index}
        # Step 1, for the whole chunk in one call: the sentence, each word masked, each word swapped.
        batch: list[str] = []
        plans: dict[int, tuple[int, list[int], list[tuple[int, int, str]]]] = {}
        for i in index:
            w = words[i]
            positions = [p for p, word in enumerate(w) if changeable(word) and synonyms(word.lower())]
            pairs = [(p, _cased(s, w[p])) for p in positions for s in synonyms(w[p].lower())]
            first = len(batch)
            batch.append(" ".join(w))
            batch += [" ".join(w[:p] + [UNKNOWN] + w[p + 1:]) for p in positions]
            swaps = [(p, len(batch) + k, s) for k, (p, s) in enumerate(pairs)]
            batch += [" ".join(w[:p] + [s] + w[p + 1:]) for p, s in pairs]
            plans[i] = (first, positions, swaps)
        probs = predict(batch) if batch else np.zeros((0, 0))
        # Step 2: rank the words, then replace them in that order; every prefix of the ranking in one call.
        prefixes: list[str] = []
        tried: dict[int, tuple[int, list[list[str]], list[int]]] = {}
        for i in index:
            first, positions, swaps = plans[i]
            y = int(labels[i])
            p0 = probs[first]
            correct[i] = int(np.argmax(p0)) == y
            if not correct[i]:
                continue
            robust[i] = True
            if not positions:
                continue
            saliency = np.array([p0[y] - probs[first + 1 + k][y] for k in range(len(positions))])
            best: dict[int, tuple[float, str]] = {}
            for p, row, s in swaps:
                delta = float(p0[y] - probs[row][y])
                if p not in best or delta > best[p][0]:
                    best[p] = (delta, s)
            weights = np.exp(saliency - saliency.max())
            weights /= weights.sum()
            scores = [float(weights[k]) * best[p][0] for k, p in enumerate(positions)]
            order = [positions[k] for k in sorted(range(len(positions)), key=lambda k: (-scores[k], positions[k]))]
            budget = max(1, math.floor(config.share * len(words[i])))
            current, versions = list(words[i]), []
            for p in order[:budget]:
                current[p] = best[p][1]
                versions.append(list(current))
            tried[i] = (len(prefixes), versions, order[:budget])
            prefixes += [" ".join(v) for v in versions]
        after = predict(prefixes) if prefixes else np.zeros((0, 0))
        for i, (offset, versions, _) in tried.items():
            flipped = [k for k in range(len(versions)) if int(np.argmax(after[offset + k])) != int(labels[i])]
            if flipped:
                k = flipped[0]
                robust[i] = False
                changed[i] = (k + 1) / len(words[i])
                adversarial[i] = " ".join(versions[k])
        if progress is not None:
            progress(index.stop)
    return WordAttackResult(correct, robust, changed, adversarial)
