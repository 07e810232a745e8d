"""The text tasks' word-substitution attack (PWWS): it changes words within its constraints, flips what a synonym
can flip, never what it may not touch, and it runs through the cell's own featurizer and model."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from augbench.core.errors import UsageError
from augbench.evaluation.robustness import PROFILE_CONFIGS, RobustnessConfig, _word_attack_metrics
from augbench.evaluation.word_substitution import UNKNOWN, WordAttackConfig, pwws, same_pos_synonyms
from augbench.runner.sweep import SweepSpec, plan
from conftest import smoke_cell_row
from augbench.tasks import TASKS

# A keyword model: the positive class's score is the sum of its words' weights, minus a small bias.
WEIGHTS = {"great": 2.0, "nice": 1.0, "superb": 2.0, "the": 5.0}
THESAURUS = {"great": ("big", "nice"), "superb": ("fine",), "the": ("a",), "film": ("movie",)}


def keyword_model(sentences: list[str]) -> np.ndarray:
    score = np.array([sum(WEIGHTS.get(w.lower(), 0.0) for w in s.split()) - 0.1 for s in sentences])
    positive = 1 / (1 + np.exp(-score))
    return np.stack([1 - positive, positive], axis=1)


def toy_synonyms(word: str) -> tuple[str, ...]:
    return THESAURUS.get(word, ())


def attack(sentences, labels, share=0.2):
    return pwws(keyword_model, sentences, np.array(labels), WordAttackConfig(share), synonyms=toy_synonyms)


def test_a_synonym_that_removes_the_evidence_flips_the_prediction():
    result = attack(["a great film"], [1], share=0.5)
    assert result.correct.tolist() == [True] and result.robust.tolist() == [False]
    # "big" takes the most probability off the true class (weight 0 against "nice"'s 1): PWWS's best synonym
    assert result.adversarial == ["a big film"]
    assert result.changed[0] == pytest.approx(1 / 3)
    assert result.success_rate == 1.0 and result.accuracy == 0.0


def test_the_share_of_words_bounds_the_attack():
    sentence = "great great great film here"  # flipping it needs all three "great": 3 of 5 words
    kept = attack([sentence], [1], share=0.2)  # at most one word
    assert kept.robust.tolist() == [True] and kept.adversarial == [sentence] and np.isnan(kept.changed[0])
    broken = attack([sentence], [1], share=1.0)
    assert broken.robust.tolist() == [False] and broken.changed[0] == pytest.approx(3 / 5)
    assert broken.adversarial == ["big big big film here"]


def test_stop_words_never_change_even_when_that_would_flip_the_prediction():
    result = attack(["the film"], [1], share=1.0)  # only "the" (weight 5) carries the class; "film" is neutral
    assert result.robust.tolist() == [True] and result.adversarial == ["the film"]


def test_a_misclassified_sentence_counts_as_neither_robust_nor_a_success():
    result = attack(["a great film", "a dull film"], [0, 1], share=1.0)
    assert result.correct.tolist() == [False, False] and result.robust.tolist() == [False, False]
    assert result.accuracy == 0.0 and result.success_rate == 0.0 and result.mean_changed is None


def test_robust_accuracy_never_exceeds_clean_and_capitals_are_kept():
    sentences = ["Great film", "a superb film", "superb great nice", "dull", "The great"]
    result = attack(sentences, [1, 1, 1, 0, 1], share=0.5)
    assert result.robust.sum() <= result.correct.sum()
    assert result.adversarial[0] == "Big film"
    assert all(UNKNOWN not in s for s in result.adversarial)


def test_the_share_is_checked():
    for bad in (0, -0.1, 1.5):
        with pytest.raises(UsageError, match=f"robust.word_share={bad} is invalid: it must be a share in \\(0, 1\\]"):
            WordAttackConfig(bad)


def test_wordnet_synonyms_are_base_form_words_of_the_most_frequent_sense():
    film = same_pos_synonyms("film")  # a noun first, its first sense the movie: not the verb "shoot", not "celluloid"
    assert "movie" in film and "shoot" not in film and "celluloid" not in film and "film" not in film
    year = same_pos_synonyms("year")  # the period of 365 days, not a school "class"
    assert "twelvemonth" in year and "class" not in year
    assert same_pos_synonyms("movies") == same_pos_synonyms("known") == ()  # inflected: a lemma would break the sentence
    assert all(s.isalpha() and s.islower() for word in ("film", "terrible", "city", "awful") for s in same_pos_synonyms(word))


def test_a_featurizer_that_is_not_the_cells_is_refused():
    """The attack must judge the row's pipeline: a refitted featurizer that does not reproduce the test features is a bug."""
    task = TASKS.get("trec")()
    model = torch.nn.Linear(task.input_shape[0], task.num_classes)
    x = torch.zeros(4, task.input_shape[0])
    items = np.array(["What is it ?"] * 4, dtype=object)
    wrong = lambda texts: np.ones((len(texts), task.input_shape[0]), dtype=np.float32)
    with pytest.raises(RuntimeError, match="refitted featurizer differs"):
        _word_attack_metrics(model, task, x, torch.zeros(4, dtype=torch.long), torch.arange(4), RobustnessConfig(), (items, wrong))


def test_the_attack_runs_on_a_real_text_cell_and_only_text_rows_carry_it(data_root, tmp_path):
    """A smoke TREC cell: the attack sees the cell's own features (else the guard above fires), takes accuracy off
    the correctly classified questions, and its settings are in the row; an MNIST cell's eval_config has none."""
    row = smoke_cell_row("trec", data_root, tmp_path)
    described = json.loads(row["word_json"])
    assert described["attack"] == "pwws" and described["share"] == 0.2 and described["examples"] == 200
    clean_on_attacked = described["clean_correct"] / described["examples"]
    assert row["word_acc"] == row["robust_acc"] < clean_on_attacked
    assert described["success_rate"] > 0.05 and 0 < described["mean_words_changed"] <= 0.2
    assert json.loads(row["eval_config"])["word_attack"]["share"] == 0.2
    mnist = plan(SweepSpec(tasks=["mnist"], methods=["none"], seeds=[0], fractions=[1.0], profile="smoke",
                           device=torch.device("cpu"), data_dir=str(data_root)))[0]
    assert "word_attack" not in mnist.cell.eval_config and PROFILE_CONFIGS["quick"].word_attack == "pwws"
