"""Waveform augmentation on FSDD: each operation on real recordings, the order speed -> crop/pad, per-recording
draws, views built from the training recordings only, the per-sample draw with SpecAugment, and the CLI."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest
import torch

from augbench.cli import main
from augbench.config.profiles import TrainConfig
from augbench.results.store import Store
from augbench.methods import METHODS
from augbench.methods.waveaug import WaveAugParams, change_speed, delayed, draw_wave, wave_view
from augbench.tasks import TASKS
from augbench.tasks.base import _cached_arrays
from augbench.tasks.features import FeatureTask
from augbench.tasks.fsdd import SAMPLE_RATE, SAMPLES, fixed_length

CPU = torch.device("cpu")
QUIET = WaveAugParams(speed=0.0, gain_db=0.0, noise=False, shift_ms=0.0)  # every operation off


pytestmark = pytest.mark.usefixtures("private_feature_cache")  # each test featurizes into its own cache


@pytest.fixture(scope="module")
def recordings(sources) -> np.ndarray:
    """The first 12 training recordings of the official split (float32, each of its own length)."""
    return _cached_arrays(TASKS.get("fsdd")(), sources["fsdd"])[0][:12]


def peak_hz(signal: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(signal * np.hanning(len(signal))))
    return float(np.fft.rfftfreq(len(signal), 1 / SAMPLE_RATE)[spectrum.argmax()])


@pytest.mark.parametrize("factor", [0.9, 0.95, 1.07, 1.1])
def test_speed_changes_duration_and_pitch_by_the_factor_at_the_same_sample_rate(factor):
    tone = np.sin(2 * np.pi * 1000 * np.arange(4000) / SAMPLE_RATE).astype(np.float32)  # 0.5 s of 1 kHz at 8 kHz
    fast = change_speed(tone, factor)
    assert abs(len(fast) - len(tone) / factor) <= 1 and fast.dtype == np.float32
    assert abs(peak_hz(fast) - 1000 * factor) <= 5  # still 8 kHz samples: the tone plays factor x as high


def test_gain_noise_and_delay_keep_the_length(recordings):
    view = wave_view(recordings, 1, 0, WaveAugParams(speed=0.0))
    assert all(len(v) == SAMPLES and v.dtype == np.float32 for v in view)
    recording = fixed_length(recordings[0])
    moved = delayed(recording, 400)
    assert len(moved) == SAMPLES and not moved[:400].any() and np.array_equal(moved[400:], recording[:-400])
    quiet = wave_view(recordings, 1, 0, QUIET)
    assert all(np.array_equal(q, fixed_length(r)) for q, r in zip(quiet, recordings))


def test_speed_acts_before_the_crop_and_pad(recordings, sources):
    longest = max(_cached_arrays(TASKS.get("fsdd")(), sources["fsdd"])[0], key=len)  # 2.3 s: cropped to 1.008 s
    items = np.empty(len(recordings) + 1, dtype=object)
    items[:] = [*recordings, longest]
    params = WaveAugParams(speed=0.1, gain_db=0.0, noise=False, shift_ms=0.0)
    draw = draw_wave(len(items), params, np.random.default_rng([5, 1]))
    view = wave_view(items, 1, 5, params)
    for recording, factor, out in zip(items, draw.speed, view):
        fast = change_speed(recording, factor)
        assert abs(len(fast) - len(recording) / factor) <= 1  # the duration changes by the drawn factor
        assert np.array_equal(out, fixed_length(fast))  # ... and then the crop/pad to the fixed length
        if len(fast) < SAMPLES:
            assert not out[len(fast):].any()
    assert len(set(draw.speed.tolist())) > 1 and all(0.9 <= s <= 1.1 for s in draw.speed)
    assert len(longest) > SAMPLES and draw.speed[-1] != 1.0
    crop_first = fixed_length(change_speed(fixed_length(longest), draw.speed[-1]))  # the other order
    assert np.abs(view[-1] - crop_first).max() > 0.1 * np.abs(view[-1]).max()


def test_every_recording_draws_its_own_parameters(recordings):
    same = np.empty(16, dtype=object)
    same[:] = [recordings[0]] * 16
    view = wave_view(same, 1, 0, WaveAugParams())
    assert len({v.tobytes() for v in view}) == 16  # one recording 16 times: 16 different copies
    draw = draw_wave(1000, WaveAugParams(), np.random.default_rng(0))
    assert 0.9 <= draw.speed.min() < 0.92 and 1.08 < draw.speed.max() <= 1.1
    assert -6 <= draw.gain_db.min() < -5 and 5 < draw.gain_db.max() <= 6
    assert 10 <= draw.snr_db.min() < 11 and 29 < draw.snr_db.max() <= 30
    assert draw.delay.min() == 0 and draw.delay.max() == 800  # 100 ms at 8 kHz
    assert not np.array_equal(wave_view(recordings, 1, 0, WaveAugParams())[0], wave_view(recordings, 2, 0, WaveAugParams())[0])


def test_views_come_from_the_training_recordings_only(sources):
    task = TASKS.get("fsdd")()
    data = task.load(sources["fsdd"], 1.0, 0, TrainConfig(train_pool=40, test_limit=20), CPU)
    x_train = _cached_arrays(task, sources["fsdd"])[0]
    spec = METHODS.get("waveaug")(WaveAugParams(views=2), task, 0).train_views(len(data.train))
    seen = []
    spy = dataclasses.replace(spec, make=lambda items, view, seed: seen.append(items) or spec.make(items, view, seed))
    viewed = task.with_train_views(sources["fsdd"], data, spy, 0, CPU)
    assert len(seen) == 2 and all(all(a is b for a, b in zip(items, x_train[data.fit_rows])) for items in seen)
    assert viewed.train.x.shape == (40, 3, 1, 16, 64) and torch.equal(viewed.train.x[:, 0], data.train.x)
    assert viewed.test is data.test and viewed.val is data.val and viewed.train_views_s > 0


def test_a_view_per_sample_then_specaugment_per_sample():
    task = TASKS.get("fsdd")()
    n, versions = 128, 9
    x = torch.arange(1, versions + 1, dtype=torch.float32).view(1, versions, 1, 1, 1).expand(n, versions, 1, 32, 64).clone()
    plain = METHODS.get("waveaug")(WaveAugParams(specaugment=False), task, 0)
    out, _ = plain.augment(x, torch.zeros(n, dtype=torch.int64), None)
    picked = out[:, 0, 0, 0]
    assert out.shape == (n, 1, 32, 64) and torch.equal(out, picked.view(n, 1, 1, 1).expand_as(out))
    assert set(picked.long().tolist()) == set(range(1, versions + 1))
    masked, _ = METHODS.get("waveaug")(WaveAugParams(), task, 0).augment(x, torch.zeros(n, dtype=torch.int64), None)
    zeros = masked == 0
    assert zeros.any() and len({m.tobytes() for m in zeros.numpy()}) > n // 2  # each sample its own masks
    assert bool(((masked == 0) | (masked == masked.amax(dim=(1, 2, 3), keepdim=True))).all())


def test_the_quick_profile_drops_noise_and_specaugment():
    """Chosen on validation (results/tuning/fsdd-strengths.md); smoke and full keep the common recipe."""
    task, waveaug = TASKS.get("fsdd")(), METHODS.get("waveaug")
    assert waveaug.default_params("quick", task) == WaveAugParams(noise=False, specaugment=False)
    assert waveaug.default_params("full", task) == WaveAugParams()
    assert waveaug.default_params("smoke", task) == WaveAugParams(views=2)


@pytest.mark.parametrize("value,expected", [("waveaug.views=0", "waveaug.views=0 is invalid"),
                                            ("waveaug.speed=0.5", "waveaug.speed=0.5 is invalid: it must be in [0, 0.5)"),
                                            ("waveaug.snr_db_high=5", "waveaug.snr_db_high=5.0 is invalid"),
                                            ("waveaug.gain_db=-1", "waveaug.gain_db=-1.0 is invalid"),
                                            ("waveaug.noise=maybe", "expected bool")])
def test_bad_parameters_are_one_line_and_exit_2(value, expected, bad_param_run):
    status, err, store_exists = bad_param_run("fsdd", "waveaug", value)
    assert status == 2 and len(err.splitlines()) == 1 and expected in err and "Traceback" not in err
    assert not store_exists


def test_waveaug_applies_to_fsdd_only():
    assert {name for name in TASKS.list() if METHODS.get("waveaug").applies_to(TASKS.get(name))} == {"fsdd"}


def test_a_smoke_run_stores_an_ok_row_and_a_rerun_reuses_the_views(tmp_path):
    store = tmp_path / "runs.sqlite"
    command = ["run", "--profile", "smoke", "--tasks", "fsdd", "--methods", "waveaug", "--store", str(store), "--no-progress"]
    assert main(command) == 0
    with Store(store) as opened:
        (row,) = opened.frame().to_dict(orient="records")
    assert row["status"] == "ok" and row["n_train"] == 1000
    assert json.loads(row["method_params"])["views"] == 2 and row["clean_acc"] > 0.2  # ten digits: chance is 0.1
    assert row["gen_fit_s"] > 0 and row["gen_cache_hit"] is False  # the views' build time, as for a generator's fit
    FeatureTask._memo.clear()  # a new process: the views come from the disk cache
    assert main([*command, "--force"]) == 0
    with Store(store) as opened:
        (again,) = opened.frame().to_dict(orient="records")
    assert again["gen_cache_hit"] is True and again["gen_fit_s"] == row["gen_fit_s"]
    assert again["clean_acc"] == row["clean_acc"]
