"""EDA (Wei & Zou 2019) on the text tasks: the four operations on fixed sentences, the paper's parameters by
training size, views built from the training sentences only, the per-sample draw, and the CLI end to end."""

from __future__ import annotations

import collections
import dataclasses
import json

import numpy as np
import pytest
import torch

from augbench.cli import main
from augbench.config.profiles import TrainConfig
from augbench.results.store import Store
from augbench.runner.sweep import SweepSpec, plan
from augbench.methods import METHODS
from augbench.methods.base import draw_views, take_views
from augbench.methods.eda import (OPERATIONS, STOP_WORDS, EdaParams, eda_view, random_deletion, random_insertion, random_swap,
                         recommended, synonym_replacement, wordnet_synonyms)
from augbench.tasks import TASKS
from augbench.tasks.base import _cached_arrays

CPU = torch.device("cpu")
SENTENCES = ["How far is it from Denver to Aspen ?", "a gorgeous , witty , seductive movie .", "Who wrote Hamlet ?",
             "What is the capital of France ?", "good"]
# A small thesaurus, so that what an insertion or replacement may draw is known exactly.
THESAURUS = {"far": ("distant", "remote"), "movie": ("film", "motion picture"), "capital": ("majuscule",),
             "gorgeous": ("beautiful",), "wrote": ("penned",), "good": ("fine",)}


def thesaurus(word: str) -> tuple[str, ...]:
    return THESAURUS.get(word, ())


pytestmark = pytest.mark.usefixtures("private_feature_cache")  # each test featurizes into its own cache


@pytest.mark.parametrize("sentence", SENTENCES)
def test_a_swap_keeps_the_multiset_of_words(sentence):
    words = sentence.split()
    for seed in range(20):
        swapped = random_swap(words, 3, np.random.default_rng(seed))
        assert collections.Counter(swapped) == collections.Counter(words)
    if len(set(words)) > 1:
        assert any(random_swap(words, 1, np.random.default_rng(s)) != words for s in range(20))


@pytest.mark.parametrize("sentence", SENTENCES)
def test_deletion_never_empties_a_sentence(sentence):
    words = sentence.split()
    for p in (0.1, 0.5, 1.0):
        for seed in range(20):
            kept = random_deletion(words, p, np.random.default_rng(seed))
            assert 1 <= len(kept) <= len(words)
            assert all(w in words for w in kept)
    assert len(random_deletion(words, 1.0, np.random.default_rng(0))) == 1


@pytest.mark.parametrize("sentence", SENTENCES)
def test_insertion_draws_only_synonyms_of_the_sentences_own_non_stop_words(sentence):
    words = sentence.split()
    allowed = {token for w in words if w.lower() not in STOP_WORDS for s in thesaurus(w.lower()) for token in s.split()}
    for seed in range(20):
        out = random_insertion(words, 2, np.random.default_rng(seed), thesaurus)
        added = collections.Counter(out) - collections.Counter(words)
        assert set(added) <= allowed
        assert len(out) >= len(words) and not collections.Counter(words) - collections.Counter(out)
    if allowed:
        assert any(len(random_insertion(words, 1, np.random.default_rng(s), thesaurus)) > len(words) for s in range(5))


def test_insertion_from_wordnet_adds_only_synonyms_of_words_in_the_sentence():
    words = "a gorgeous , witty , seductive movie .".split()
    allowed = {token for w in words for s in wordnet_synonyms(w.lower()) for token in s.split()}
    assert {"film", "picture"} & allowed  # the thesaurus is there and read offline
    for seed in range(10):
        added = collections.Counter(random_insertion(words, 2, np.random.default_rng(seed), wordnet_synonyms)) - collections.Counter(words)
        assert added and set(added) <= allowed


def test_synonym_replacement_replaces_non_stop_words_by_their_synonyms():
    words = "What is the capital of France ?".split()
    out = synonym_replacement(words, 1, np.random.default_rng(0), thesaurus)
    assert out == "What is the majuscule of France ?".split()  # "capital" is the only word with a synonym
    stop = "what is the of".split()
    assert synonym_replacement(stop, 2, np.random.default_rng(0), lambda w: ("x",)) == stop


def test_a_sentence_s_copies_split_evenly_over_the_four_operations(monkeypatch):
    import augbench.methods.eda as eda

    sentences = np.array(SENTENCES, dtype=object)
    done = collections.defaultdict(collections.Counter)
    real = eda.eda_sentence

    def recording(sentence, operation, alpha, rng, synonyms):
        done[sentence][operation] += 1
        return real(sentence, operation, alpha, rng, synonyms)

    monkeypatch.setattr(eda, "eda_sentence", recording)
    views = [eda_view(sentences, v, 7, 0.1, thesaurus) for v in range(1, 9)]
    assert all(done[s] == {op: 2 for op in OPERATIONS} for s in SENTENCES)
    assert [str(s) for s in eda_view(sentences, 3, 7, 0.1, thesaurus)] == [str(s) for s in views[2]]  # deterministic
    assert [str(s) for s in eda_view(sentences, 3, 8, 0.1, thesaurus)] != [str(s) for s in views[2]]  # seeded


@pytest.mark.parametrize("n_train,expected", [(100, (0.05, 16)), (500, (0.05, 16)), (1999, (0.05, 16)), (2000, (0.05, 8)),
                                              (4999, (0.05, 8)), (5000, (0.1, 4)), (67349, (0.1, 4))])
def test_parameters_follow_table_3_by_training_size(n_train, expected):
    assert recommended(n_train) == expected
    task = TASKS.get("trec")()
    assert METHODS.get("eda")(EdaParams(), task, 0).resolved_params_for(n_train) == {"alpha": expected[0], "n_aug": expected[1]}
    assert METHODS.get("eda")(EdaParams(alpha=0.3), task, 0).resolved_params_for(n_train) == {"alpha": 0.3, "n_aug": expected[1]}


def test_the_plan_records_the_resolved_parameters_of_each_training_size(data_root):
    spec = SweepSpec(tasks=["trec"], methods=["eda"], seeds=[0, 1], fractions=[0.25, 1.0], profile="smoke",
                     device=CPU, data_dir=str(data_root))
    params = {(p.cell.fraction, p.cell.seed): p.cell.method_params for p in plan(spec)}
    assert params[(0.25, 0)] == params[(0.25, 1)] == {"alpha": 0.05, "n_aug": 16}  # 500 of the smoke pool's 2,000
    assert params[(1.0, 0)] == {"alpha": 0.05, "n_aug": 8}
    explicit = dataclasses.replace(spec, fractions=[1.0], overrides={"eda": {"alpha": "0.05", "n_aug": "8"}})
    assert {p.cell.run_id for p in plan(explicit)} == {p.cell.run_id for p in plan(spec) if p.cell.fraction == 1.0}


def test_views_come_from_the_training_sentences_only_and_the_fit_sees_only_the_originals(sources, monkeypatch):
    task = TASKS.get("trec")()
    data = task.load(sources["trec"], 1.0, 0, TrainConfig(train_pool=300, test_limit=50), CPU)
    x_train = _cached_arrays(task, sources["trec"])[0]
    spec = METHODS.get("eda")(EdaParams(n_aug=3), task, 0).train_views(len(data.train))
    augmented, fits = [], []
    spy = dataclasses.replace(spec, make=lambda items, view, seed: augmented.append(items) or spec.make(items, view, seed))
    featurize = type(task).featurize

    def spying_featurize(self, fit_items, targets):
        fits.append((fit_items, sorted(targets)))
        return featurize(self, fit_items, targets)

    monkeypatch.setattr(type(task), "featurize", spying_featurize)
    viewed = task.with_train_views(sources["trec"], data, spy, 0, CPU)
    expected = x_train[data.fit_rows]
    assert len(augmented) == 3 and all(items.tolist() == expected.tolist() for items in augmented)
    assert len(fits) == 1 and fits[0][0].tolist() == expected.tolist()
    assert fits[0][1] == ["view:1", "view:2", "view:3"]  # the copies are transformed, never fitted on
    assert not set(data.fit_rows) & set(task.val_rows(_cached_arrays(task, sources["trec"])[1]))
    assert viewed.train.x.shape == (300, 4, 256) and torch.equal(viewed.train.x[:, 0], data.train.x)
    assert viewed.test is data.test and viewed.val is data.val  # validation and test are not touched
    assert not torch.equal(viewed.train.x[:, 1], viewed.train.x[:, 0])


def test_each_sample_draws_its_own_view_and_every_view_occurs():
    n, versions = 256, 17
    x = torch.arange(versions, dtype=torch.float32).view(1, versions, 1).expand(n, versions, 4).clone()
    method = METHODS.get("eda")(EdaParams(n_aug=16), TASKS.get("trec")(), 0)
    out, _ = method.augment(x, torch.zeros(n, dtype=torch.int64), None)
    picked = out[:, 0].long()
    assert torch.equal(out, picked[:, None].float().expand(n, 4))  # each sample is one whole version
    assert set(picked.tolist()) == set(range(versions)) and len(set(picked[:16].tolist())) > 1
    generator = torch.Generator().manual_seed(0)
    index = draw_views(n, versions, generator, CPU)
    assert torch.equal(take_views(x, index)[:, 0].long(), index)


def test_features_of_cells_without_views_keep_their_cache_key(sources, tmp_path):
    """Building a cell's views leaves the key of its plain features alone (views get keys of their own), so a
    cell without views reads the features a cell with views made. (The key itself holds the featurizing
    libraries' versions and BLAS kernel, so it is not pinned to a literal: it differs between machines.)"""
    task = TASKS.get("trec")()
    data = task.load(sources["trec"], 0.5, 1, TrainConfig(train_pool=400, test_limit=50), CPU)
    folder = tmp_path / "cache" / "features"
    (plain,) = [p.name for p in folder.glob("*.pt")]
    spec = METHODS.get("eda")(EdaParams(n_aug=2), task, 0).train_views(len(data.train))
    task.with_train_views(sources["trec"], data, spec, 1, CPU)
    names = sorted(p.name for p in folder.glob("*.pt"))
    assert len(names) == 2 and plain in names
    other_seed, _, cache_hit = task.train_view_features(sources["trec"], data.fit_rows, spec, 2)
    assert len(list(folder.glob("*.pt"))) == 3 and other_seed.shape == (200, 2, 256) and not cache_hit
    assert task.train_view_features(sources["trec"], data.fit_rows, spec, 2)[2]  # the second time, from the cache


@pytest.mark.parametrize("value,expected", [("eda.alpha=1.5", "eda.alpha=1.5 is invalid"), ("eda.alpha=0", "eda.alpha=0.0 is invalid"),
                                            ("eda.n_aug=0", "eda.n_aug=0 is invalid"), ("eda.n_aug=65", "[1, 64] or auto"),
                                            ("eda.n_aug=many", "expected int or one of auto")])
def test_bad_parameters_are_one_line_and_exit_2(value, expected, bad_param_run):
    status, err, store_exists = bad_param_run("trec", "eda", value)
    assert status == 2 and len(err.splitlines()) == 1 and expected in err and "Traceback" not in err
    assert not store_exists


def test_eda_applies_to_text_tasks_only(tmp_path, capsys):
    applies = {name for name in TASKS.list() if METHODS.get("eda").applies_to(TASKS.get(name))}
    assert applies == {"sst2", "trec"}
    assert main(["run", "--profile", "smoke", "--tasks", "fsdd", "--methods", "eda", "--store", str(tmp_path / "s.sqlite")]) == 2
    assert "eda: features tasks with text raw items" in capsys.readouterr().err


def test_a_smoke_run_stores_an_ok_row_with_the_resolved_parameters(tmp_path):
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "trec", "--methods", "eda", "--store", str(store), "--no-progress"]) == 0
    with Store(store) as opened:
        (row,) = opened.frame().to_dict(orient="records")
    assert row["status"] == "ok" and row["n_train"] == 2000
    assert json.loads(row["method_params"]) == {"alpha": 0.05, "n_aug": 8}
    assert row["gen_fit_s"] > 0 and row["gen_cache_hit"] is False  # the views' build time, as for a generator's fit
    assert row["clean_acc"] > 0.5  # six classes: chance is below 0.3


def test_operations_are_the_papers_four():
    assert OPERATIONS == ("synonym_replacement", "random_insertion", "random_swap", "random_deletion")
