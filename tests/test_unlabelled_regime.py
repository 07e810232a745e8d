"""Issue 36: the `unlabelled` regime. The generator is fitted on the pool's inputs with their labels withheld, and its
samples are labelled by a teacher trained on the cell's own labelled split (Gowal et al. 2021's recipe)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
import torch
from torch import nn

from conftest import fit_mnist_vae_on_pool
from augbench.reporting.exchange import regime_named
from augbench.methods import METHODS
from augbench.methods import generative
from augbench.methods.base import FitContext
from augbench.tasks import TASKS
from test_generated_data import smoke, stored

CPU = torch.device("cpu")


def test_an_unlabelled_generator_never_receives_a_label(sources, tmp_path):
    """Every batch its fit draws carries label 0 whatever the pool example's class, and its samples do not depend
    on the label they are asked for: it is unconditional."""
    _, pool_split, batches, method = fit_mnist_vae_on_pool(sources["mnist"], tmp_path, "unlabelled", steps=4,
                                                           train_pool=200, test_limit=100)
    assert len(set(pool_split.y.tolist())) == 10  # the pool's labels exist; the generator must not see them
    labels = torch.cat([y for _, y in batches])
    assert len(labels) == 4 * 16 and int(labels.abs().sum()) == 0
    asked = torch.arange(10).repeat(3)
    first = method.sample(asked, torch.Generator().manual_seed(1))
    again = method.sample(torch.zeros_like(asked), torch.Generator().manual_seed(1))
    assert torch.equal(first, again)
    # the teacher labelled a bank; batches draw from it per label, and a label the teacher gave is the sample's
    bank = method.labelled_bank
    bank_x, bank_y, counts = bank.x, bank.y, bank.count
    assert len(bank_x) == int(counts.sum()) == generative.UNLABELLED_BANK["smoke"]  # filter_tau 0: every sample kept
    assert torch.equal(bank_y, torch.sort(bank_y).values) and method.filter_model is None


class FixedProbability(nn.Module):
    """A 'teacher' whose probability for class 0 is the sample's first value (2 classes)."""

    def forward(self, x):
        p = x.reshape(len(x), -1)[:, 0].clamp(1e-6, 1 - 1e-6)
        return torch.stack([p.log(), (1 - p).log()], dim=1)


def fitted_bank(monkeypatch, tau: float, values: list[float]):
    """An unlabelled vae whose bank was made by FixedProbability from samples whose first value cycles `values`."""
    task = TASKS.get("mnist")()
    cls = METHODS.get("vae")
    method = cls(cls.Params(data="unlabelled", filter_tau=tau, ratio=1.0), task, 0)
    method.decoder = nn.Identity()  # fitted: sampling is replaced below
    pattern = torch.tensor(values)

    def sample(labels, generator):
        first = pattern.repeat(len(labels) // len(pattern) + 1)[:len(labels)]
        return first.view(-1, 1, 1, 1).expand(-1, 1, 28, 28).clone()

    method.sample = sample
    monkeypatch.setattr(generative, "train_auxiliary_classifier", lambda *args, **kwargs: FixedProbability())
    method._fit_teacher_and_bank(None, FitContext({}, "smoke", CPU, None, progress=False))
    return method


def test_the_bank_keeps_what_the_teacher_is_sure_of_with_the_teachers_label(monkeypatch):
    # p(class 0) 0.9 -> class 0, sure; 0.2 -> class 1 (0.8), sure; 0.6 -> class 0 at 0.6, dropped at tau 0.7
    method = fitted_bank(monkeypatch, 0.7, [0.9, 0.2, 0.6, 0.95])
    bank = method.labelled_bank
    bank_x, bank_y, counts = bank.x, bank.y, bank.count
    assert counts.tolist()[:2] == [500, 250] and counts[2:].sum() == 0  # of 1,000 smoke samples, 250 dropped
    assert method.filter_drawn == 1000 and method.filter_kept == 750
    firsts = bank_x[:, 0, 0, 0]
    assert (firsts[bank_y == 0] >= 0.9).all() and torch.allclose(firsts[bank_y == 1], torch.tensor(0.2))
    samples, have = method.from_bank(torch.tensor([0, 1, 0, 1, 5]), torch.Generator().manual_seed(0))
    assert have.tolist() == [True, True, True, True, False]  # nothing was labelled 5
    assert (samples[[0, 2], 0, 0, 0] >= 0.9).all() and torch.allclose(samples[[1, 3], 0, 0, 0], torch.tensor(0.2))


def test_a_bank_that_kept_nothing_leaves_every_batch_real_and_reports_no_cas(sources, tmp_path, monkeypatch):
    """A threshold no sample reaches: training sees only real examples, and CAS (a classifier on the bank) is None
    rather than a classifier trained on nothing."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", "vae.data=unlabelled",
                 "--param", "vae.filter_tau=0.999", "--fractions", "0.5", "--seeds", "1") == 0
    (row,) = stored(store)
    assert row["status"] == "ok" and row["gen_filter_kept"] == 0 and row["cas"] is None and row["fid"] is not None


def test_a_bank_missing_a_label_gives_an_ok_row_with_cas_on_the_labels_it_holds(tmp_path, monkeypatch):
    """TREC's smoke teacher never gives some of the six labels: the cells train on what the bank holds, and CAS's
    classifier trains on as many samples as ever, balanced over the labels the bank has (it once drew a share of
    them per missing label and trained on a single sample)."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "trec", "--methods", "vae", "--param", "vae.data=unlabelled",
                 "--param", "vae.filter_tau=0.15", "--seeds", "2") == 0
    rows = stored(store)
    assert len(rows) == 2 and all(r["status"] == "ok" and r["fid"] is not None and r["cas"] is not None for r in rows)


def test_a_label_the_teacher_never_gave_keeps_its_real_example(monkeypatch):
    method = fitted_bank(monkeypatch, 0.0, [0.9])  # every sample is class 0
    x, y = torch.rand(6, 1, 28, 28), torch.tensor([1, 1, 0, 1, 0, 1])
    out_x, out_y = method.augment(x, y, nn.Identity())
    assert torch.equal(out_x[y == 1], x[y == 1]) and torch.equal(out_y, y)
    assert torch.allclose(out_x[y == 0][:, 0, 0, 0], torch.tensor(0.9))


def test_an_unlabelled_cell_runs_end_to_end_and_shares_its_generator_across_seeds(tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", "vae.data=unlabelled",
                 "--fractions", "0.5", "--seeds", "2") == 0
    rows = sorted(stored(store), key=lambda r: r["seed"])
    assert [r["status"] for r in rows] == ["ok", "ok"] and {r["generator_data"] for r in rows} == {"unlabelled"}
    assert [r["gen_cache_hit"] for r in rows] == [False, True]  # one generator per (task, method, gen_seed)
    assert all(r["gen_filter_kept"] is None and r["cas"] is not None for r in rows)  # no threshold: the whole bank
    assert json.loads(rows[0]["method_params"])["data"] == "unlabelled"
    named = regime_named(pd.DataFrame(rows))
    assert set(named) == {"vae (unlabelled)"}
    # a pool generator of the same method is another cache entry: it consumed the labels
    assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", "vae.data=pool", "--fractions", "0.5",
                 "--seeds", "1") == 0
    assert len(list((tmp_path / "cache" / "generators").glob("mnist-vae-*.pt"))) == 2


@pytest.mark.parametrize("method", ["gan", "wgan_gp", "diffusion"])
def test_every_generator_runs_in_the_unlabelled_regime(method, tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert smoke(store, "--tasks", "mnist", "--methods", method, "--param", f"{method}.data=unlabelled",
                 "--fractions", "0.5", "--seeds", "1") == 0
    (row,) = stored(store)
    assert row["status"] == "ok" and row["generator_data"] == "unlabelled" and row["cas"] is not None


def test_bad_unlabelled_settings_are_refused_before_a_store_exists(tmp_path, capsys):
    store = tmp_path / "runs.sqlite"
    for param, needle in (("vae.data=unlabeled", "expected one of scarce|pool|unlabelled"),
                          ("vae.gen_seed=2", "applies to data=pool and data=unlabelled only")):
        assert smoke(store, "--tasks", "mnist", "--methods", "vae", "--param", param) == 2
        assert needle in capsys.readouterr().err
    assert not store.exists()
