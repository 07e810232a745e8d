"""Corruptions of test sentences as a person makes them: typos at a stated rate of letters, EDA's edits at a stated
share of words; deterministic per stream, and what the text tasks report as their corruptions."""

from __future__ import annotations

import numpy as np
import pytest

from augbench.transforms.sentences import KEYBOARD, SENTENCE_CORRUPTIONS, corrupt_sentence, typo_word
from augbench.tasks import TASKS


def test_typos_do_what_they_say_at_their_rate():
    rng = np.random.default_rng(0)
    assert typo_word("delightful", "swap", 0.0, rng) == "delightful"  # rate 0: untouched
    swapped = typo_word("delightful", "swap", 1.0, rng)
    assert sorted(swapped) == sorted("delightful") and swapped != "delightful"  # the same letters, moved
    assert typo_word("ab", "delete", 1.0, rng) in ("a", "b")  # never empties the word
    keyed = typo_word("Movie", "keyboard", 1.0, rng)
    assert all(k in KEYBOARD[c.lower()] for c, k in zip("movie", keyed.lower())) and keyed[0].isupper()
    assert typo_word("a", "keyboard", 1.0, rng) == "a" and typo_word("42", "keyboard", 1.0, rng) == "42"
    # at 5%, about one letter in twenty is hit over many words
    words = ["characteristically"] * 400
    hit = sum(typo_word(w, "keyboard", 0.05, rng) != w for w in words)
    assert 0.45 * 400 < hit < 0.75 * 400  # P(a word of 18 letters is hit) = 1 - 0.95^18 = 0.60


def test_each_corruption_is_one_fixed_stream_and_names_are_checked():
    sentence = "the movie was a delightful surprise from start to finish"
    for name in SENTENCE_CORRUPTIONS:
        first = corrupt_sentence(name, sentence, np.random.default_rng(7), synonyms=lambda w: ("happy",))
        again = corrupt_sentence(name, sentence, np.random.default_rng(7), synonyms=lambda w: ("happy",))
        assert first == again
    assert corrupt_sentence("eda_synonym", sentence, np.random.default_rng(0), synonyms=lambda w: ("happy",)) != sentence
    with pytest.raises(ValueError, match="unknown sentence corruption 'typo'; valid: typo_swap"):
        corrupt_sentence("typo", sentence, np.random.default_rng(0))


def test_the_text_tasks_corrupt_sentences_not_features():
    trec = TASKS.get("trec")()
    assert set(trec.corruptions) == set(SENTENCE_CORRUPTIONS)
    views = trec.raw_views(np.array(["What is the capital of France ?", "Who wrote Hamlet ?"], dtype=object))
    assert set(views) == set(SENTENCE_CORRUPTIONS)
    assert all(isinstance(s, str) for view in views.values() for s in view)
    assert views["eda_delete"][0] != "What is the capital of France ?" or views["typo_swap"][0] != "What is the capital of France ?"
