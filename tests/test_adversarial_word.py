"""Adversarial training on the sentence (adversarial_word): it trains on the sentences through the cell's own
featurizer, replaces only sentences the attack flips with what the featurizer makes of them, changes at most its
share of their words, and a real cell is judged by the attack it trained against."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from augbench.config.profiles import TrainConfig
from augbench.methods.adversarial_word import AdversarialWord, AdversarialWordParams
from augbench.methods.base import FitContext
from augbench.tasks import TASKS

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def raw_cell(sources):
    """A small SST-2 cell as adversarial_word trains on it: positions [N, 1], the sentences and the featurizer."""
    task = TASKS.get("sst2")()
    task.preload(sources["sst2"])
    data = task.load(sources["sst2"], 1.0, 0, TrainConfig(train_pool=200, test_limit=20), CPU)
    features = data.train.x.clone()
    raw, sentences = task.with_raw_train(sources["sst2"], data, CPU)
    return task, features, raw, sentences


def _fitted(task, sentences, **params) -> AdversarialWord:
    method = AdversarialWord(AdversarialWordParams(**params), task, seed=0)
    method.fit(None, FitContext(cell={}, profile="quick", device=CPU, cache_dir=None, front_end=sentences))
    return method


class Spy:
    """The cell's sentences and featurizer, keeping every batch of sentences the method featurizes."""

    def __init__(self, raw):
        self.raw, self.seen = raw, []
        self.sentences, self.features = raw.sentences, raw.features

    def featurize(self, batch):
        self.seen.append(list(batch))
        return self.raw.featurize(batch)


def test_it_trains_on_the_cells_features_and_the_featurizer_is_the_cells(raw_cell):
    task, features, raw, sentences = raw_cell
    assert raw.train.x.shape == (200, 1) and raw.train.x[:, 0].tolist() == list(range(200))
    assert raw.val.x.shape[1:] == features.shape[1:]  # validation and test stay featurized
    x, y = _fitted(task, sentences, share=0.0).augment(raw.train.x[:8], raw.train.y[:8], nn.Identity())
    assert torch.equal(x, features[:8]) and torch.equal(y, raw.train.y[:8])


def test_it_replaces_only_flipped_sentences_and_changes_at_most_its_share_of_words(raw_cell):
    task, features, raw, sentences = raw_cell
    torch.manual_seed(0)
    model = task.classifier(TrainConfig(width=16)).eval()
    spy = Spy(sentences)
    method = _fitted(task, spy, share=1.0, word_share=0.2)
    x, y = method.augment(raw.train.x[:32], raw.train.y[:32], model)
    replaced = [i for i in range(32) if not torch.equal(x[i], features[i])]
    assert replaced and method.flipped == len(replaced) and method.attacked == 32
    attacked = spy.seen[-1]  # the flipped sentences, featurized last
    assert len(attacked) == len(replaced)
    for i, sentence in zip(replaced, attacked):
        before, after = sentences.sentences[i].split(), sentence.split()
        assert len(before) == len(after) and before != after
        assert sum(u != v for u, v in zip(before, after)) <= max(1, int(0.2 * len(before)))
    with torch.no_grad():  # every replaced sentence is one the model now gets wrong
        assert bool((model(x[replaced]).argmax(1) != y[replaced]).all())


def test_a_real_cell_trains_on_the_attack_and_is_judged_by_it(data_root, tmp_path):
    """Quick profile, seed 0, TREC at 1,000 questions, through the sweep: the row is judged by the same word attack
    it trained against (what it buys over `none`, over seeds: results/robustness/real-input-quick.md)."""
    from augbench.results.store import Store
    from augbench.runner.sweep import SweepSpec, run_sweep

    spec = SweepSpec(tasks=["trec"], methods=["adversarial_word"], seeds=[0], fractions=[0.5], profile="quick",
                     device=CPU, data_dir=str(data_root))
    with Store(tmp_path / "runs.sqlite") as store:
        run_sweep(spec, store, progress=False)
        row = store.records()[0]
    assert row["status"] == "ok", row["error"]
    assert row["robust_acc"] == row["word_acc"] and 0 < row["word_acc"] < row["clean_acc"]
    assert json.loads(row["method_params"]) == {"share": 0.5, "word_share": 0.2}
    assert json.loads(row["eval_config"])["word_attack"]["share"] == 0.2


@pytest.mark.parametrize("task, value, message", [
    ("mnist", "adversarial_word.share=0.5", "adversarial_word"),
    ("sst2", "adversarial_word.share=2", "adversarial_word.share=2.0 is invalid"),
    ("trec", "adversarial_word.word_share=0", "adversarial_word.word_share=0.0 is invalid"),
])
def test_bad_settings_and_tasks_are_refused(bad_param_run, task, value, message):
    status, err, stored = bad_param_run(task, "adversarial_word", value)
    assert status == 2 and message in err and len(err.splitlines()) == 1 and not stored
