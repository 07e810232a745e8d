"""Adversarial training on the recording (adversarial_wave): it trains on the raw recordings through the cell's own
front end, its attacks stay within the loudness bound and off the padding, and on real FSDD recordings it buys
robustness against the waveform attack that `none` lacks."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from augbench.config.profiles import TrainConfig
from augbench.evaluation.waveform_attack import radius
from augbench.methods.adversarial_wave import AdversarialWave, AdversarialWaveParams
from augbench.methods.base import FitContext
from augbench.tasks import TASKS
from augbench.tasks.fsdd import SAMPLES

CPU = torch.device("cpu")


@pytest.fixture(scope="module")
def raw_cell(sources):
    """A small FSDD cell as adversarial_wave trains on it: the recordings [N, 2, samples] and the front end."""
    task = TASKS.get("fsdd")()
    data = task.load(sources["fsdd"], 1.0, 0, TrainConfig(train_pool=60, test_limit=20), CPU)
    maps = data.train.x.clone()
    raw, front = task.with_raw_train(sources["fsdd"], data, CPU)
    return task, maps, raw, front


def _fitted(task, front, **params) -> AdversarialWave:
    method = AdversarialWave(AdversarialWaveParams(**params), task, seed=0)
    method.fit(None, FitContext(cell={}, profile="quick", device=CPU, cache_dir=None, front_end=front))
    return method


def test_it_trains_on_the_recordings_and_the_front_end_gives_back_the_cells_maps(raw_cell):
    task, maps, raw, front = raw_cell
    assert raw.train.x.shape == (60, 2, SAMPLES) and set(raw.train.x[:, 1].unique().tolist()) <= {0.0, 1.0}
    assert raw.val is not None and raw.val.x.shape[1:] == maps.shape[1:]  # validation and test stay featurized
    x, y = _fitted(task, front, share=0.0).augment(raw.train.x[:8], raw.train.y[:8], nn.Identity())
    assert torch.allclose(x, maps[:8], atol=1e-3) and torch.equal(y, raw.train.y[:8])


def test_its_attack_is_bounded_off_the_padding_and_raises_the_loss(raw_cell):
    task, maps, raw, front = raw_cell
    torch.manual_seed(0)
    model = task.classifier(TrainConfig(width=8)).eval()
    waves, mask, y = raw.train.x[:16, 0], raw.train.x[:16, 1], raw.train.y[:16]
    seen = []

    class Spy(nn.Module):  # the front end, keeping the waveforms the classifier's inputs were made from
        def forward(self, w):
            seen.append(w.detach())
            return front(w)

    method = _fitted(task, Spy(), steps=5, db=-30.0)
    x, _ = method.augment(raw.train.x[:16], y, model)
    delta = seen[-1] - waves
    assert torch.all(delta[mask == 0] == 0)  # a short recording's padding stays silent
    assert torch.all(delta.abs().amax(1) <= radius(waves, mask, -30.0) + 1e-6)
    assert float(delta.abs().amax()) > 0
    with torch.no_grad():
        assert F.cross_entropy(model(x), y) > F.cross_entropy(model(front(waves)), y)


def test_it_buys_robustness_to_the_waveform_attack_on_real_recordings(data_root, tmp_path):
    """Quick profile, seed 0, 150 recordings: `none` keeps under 10% under waveform PGD at -40 dB, training against it
    keeps at least 20 points more (measured 1.7% and 40.7%), at about `none`'s clean accuracy."""
    from augbench.results.store import Store
    from augbench.runner.sweep import SweepSpec, run_sweep

    spec = SweepSpec(tasks=["fsdd"], methods=["none", "adversarial_wave"], seeds=[0], fractions=[0.5],
                     profile="quick", device=CPU, data_dir=str(data_root))
    with Store(tmp_path / "runs.sqlite") as store:
        run_sweep(spec, store, progress=False)
        rows = {r["method"]: r for r in store.records()}
    assert all(r["status"] == "ok" for r in rows.values()), [r["error"] for r in rows.values()]
    none, wave = rows["none"], rows["adversarial_wave"]
    assert none["wave_acc"] < 0.10 and wave["wave_acc"] > none["wave_acc"] + 0.20
    assert wave["robust_acc"] == wave["wave_acc"] and wave["clean_acc"] > none["clean_acc"] - 0.08
    assert json.loads(wave["method_params"]) == {"db": -40.0, "steps": 3, "share": 1.0}


@pytest.mark.parametrize("task, value, message", [
    ("mnist", "adversarial_wave.steps=3", "adversarial_wave"),
    ("fsdd", "adversarial_wave.db=5", "adversarial_wave.db=5.0 is invalid"),
    ("fsdd", "adversarial_wave.steps=0", "adversarial_wave.steps=0 is invalid"),
])
def test_bad_settings_and_tasks_are_refused(bad_param_run, task, value, message):
    status, err, stored = bad_param_run(task, "adversarial_wave", value)
    assert status == 2 and message in err and len(err.splitlines()) == 1 and not stored


def test_it_cannot_be_composed(bad_param_run):
    status, err, stored = bad_param_run("fsdd", "adversarial_wave+vae", "vae.ratio=0.5")
    assert status == 2 and "cannot be composed" in err and not stored
