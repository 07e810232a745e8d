"""The audio task's real-input robustness: PGD on the waveform within a loudness bound, on the recording's own samples,
through the cell's front end; and corruptions of the recording at their stated settings."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from torch import nn

from augbench.core.errors import UsageError
from augbench.core.seeding import make_generator
from augbench.evaluation.robustness import RobustnessConfig, _wave_attack_metrics
from augbench.evaluation.waveform_attack import WaveAttackConfig, radius, waveform_pgd
from augbench.transforms.recordings import (WAVEFORM_CORRUPTIONS, at_pitch, at_speed, babble, corrupt_recordings, pink_noise,
                                         room_response)
from augbench.tasks import TASKS
from conftest import smoke_cell_row
from augbench.tasks.fsdd import SAMPLES, LogMelFrontEnd


class Loudness(nn.Module):
    """Class 1 when the first half of the window is louder than the second, else 0: a model an attacker can move."""

    def forward(self, waves: torch.Tensor) -> torch.Tensor:
        half = waves.shape[1] // 2
        score = 50 * (waves[:, :half].abs().mean(1) - waves[:, half:].abs().mean(1))
        return torch.stack([-score, score], dim=1)


def test_the_attack_stays_within_its_loudness_and_off_the_padding():
    rng = np.random.default_rng(0)
    waves = torch.from_numpy(rng.uniform(-0.5, 0.5, size=(6, 400)).astype(np.float32))
    mask = torch.ones_like(waves)
    mask[:, 300:] = 0.0  # the last quarter is padding: zeros that the attack must leave alone
    waves = waves * mask
    labels = Loudness()(waves).argmax(1)
    config = WaveAttackConfig(-20.0)
    robust, adversarial = waveform_pgd(Loudness(), nn.Identity(), waves, mask, labels, config, 10,
                                       make_generator(0, "t", waves.device), strongest=True)
    delta = adversarial - waves
    assert torch.all(delta[:, 300:] == 0)
    peaks = waves.abs().amax(1)
    assert torch.all(delta.abs().amax(1) <= peaks * 10 ** (-20 / 20) + 1e-6)
    assert torch.allclose(radius(waves, mask, -20.0), peaks * 0.1)


def test_a_louder_bound_breaks_at_least_as_much():
    """A larger ball holds every perturbation of a smaller one: accuracy must not rise with the loudness."""
    rng = np.random.default_rng(1)
    waves = torch.from_numpy(rng.uniform(-0.5, 0.5, size=(40, 200)).astype(np.float32))
    waves[:20, :100] *= 1.3  # half the examples of each class, a modest margin
    mask = torch.ones_like(waves)
    labels = Loudness()(waves).argmax(1)
    accuracy = [float(waveform_pgd(Loudness(), nn.Identity(), waves, mask, labels, WaveAttackConfig(db), 10,
                                   make_generator(0, "t", waves.device))[0].double().mean()) for db in (-60, -30, -10)]
    assert accuracy[0] >= accuracy[1] >= accuracy[2] and accuracy[0] > accuracy[2]


def test_the_loudness_is_checked():
    for bad in (0, 3, -120):
        with pytest.raises(UsageError, match=f"robust.wave_db={bad} is invalid"):
            WaveAttackConfig(bad)


def test_the_front_end_reproduces_the_cells_features_and_a_wrong_one_is_refused(sources):
    task = TASKS.get("fsdd")()
    from augbench.config.profiles import TrainConfig

    data = task.load(sources["fsdd"], 1.0, 0, TrainConfig(train_pool=60, test_limit=20), torch.device("cpu"))
    items, front = task.raw_test_inputs(sources["fsdd"], data)
    waves, mask = LogMelFrontEnd.fixed(list(items))
    assert waves.shape == (20, SAMPLES) and float((front(waves) - data.test.x).abs().max()) < 1e-3
    assert all(int(m.sum()) == min(len(r), SAMPLES) for m, r in zip(mask, items))
    model = nn.Sequential(nn.Flatten(), nn.Linear(16 * 64, 10))
    wrong = LogMelFrontEnd(16, np.zeros((1, 16, 1)), np.ones((1, 16, 1)))  # unstandardized maps
    with pytest.raises(RuntimeError, match="refitted front end differs"):
        _wave_attack_metrics(model, task, data.test.x, data.test.y, torch.arange(20), RobustnessConfig(), (items, wrong))


def test_a_real_audio_cell_carries_the_waveform_attack(data_root, tmp_path):
    row = smoke_cell_row("fsdd", data_root, tmp_path)
    described = json.loads(row["wave_json"])
    assert described["db"] == -40.0 and described["examples"] == 200 and described["loudest_db"] <= -40.0 + 1e-3
    assert row["wave_acc"] == row["robust_acc"] <= row["clean_acc"] + 0.05
    assert json.loads(row["eval_config"])["wave_attack"]["db"] == -40.0 and row["word_acc"] is None
    assert set(json.loads(row["corruption_json"])) == {*WAVEFORM_CORRUPTIONS, "time_mask"}


# --- corruptions of the recording -----------------------------------------------------------------------------

def test_each_recording_corruption_does_what_it_says():
    rng = np.random.default_rng(0)
    t = np.arange(4000) / 8000
    tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    others = [tone, *(rng.uniform(-0.2, 0.2, size=n).astype(np.float32) for n in (3000, 5000, 4000, 2000))]
    for name, (kind, setting) in WAVEFORM_CORRUPTIONS.items():
        out = corrupt_recordings(name, others, np.random.default_rng(1))[0]
        assert out.dtype == np.float32 and not np.array_equal(out, tone), name
        if kind in ("white", "pink", "babble"):  # the noise added is at the stated SNR
            snr = 10 * np.log10(np.mean(tone.astype(np.float64) ** 2) / np.mean((out - tone).astype(np.float64) ** 2))
            assert snr == pytest.approx(setting, abs=0.05), name
        if kind in ("reverb", "pitch"):  # same length, same RMS
            assert len(out) == len(tone) and np.sqrt(np.mean(out ** 2)) == pytest.approx(np.sqrt(np.mean(tone ** 2)), rel=1e-3)
    assert len(at_speed(tone, 0.9)) == pytest.approx(4000 / 0.9, abs=2)
    assert len(at_speed(tone, 1.1)) == pytest.approx(4000 / 1.1, abs=2)


def _peak_hz(wave: np.ndarray) -> float:
    middle = wave[1000:5000] * np.hanning(4000)  # 0.5 s away from the ends: 2 Hz bins
    return float(np.argmax(np.abs(np.fft.rfft(middle)))) * 8000 / 4000


@pytest.mark.parametrize("factor", [0.9, 1.1])
def test_pitch_moves_every_frequency_by_the_factor_at_the_same_tempo(factor):
    t = np.arange(6000) / 8000
    tone = (0.5 * np.sin(2 * np.pi * 200 * t)).astype(np.float32)
    shifted = at_pitch(tone, factor)
    assert len(shifted) == len(tone) and _peak_hz(shifted) == pytest.approx(200 * factor, abs=2)
    assert np.mean(shifted.astype(np.float64) ** 2) == pytest.approx(np.mean(tone.astype(np.float64) ** 2), rel=1e-3)
    assert _peak_hz(at_speed(tone, factor)) == pytest.approx(200 * factor, abs=2)  # speed moves pitch too, and length


def test_pitch_is_torchaudios_pitch_shift_up_to_the_power_rescale():
    """An octave (factor 2) resamples at 2:1 in both, so torchaudio's own pitch_shift can run beside ours."""
    import torch
    import torchaudio.functional as F

    rng = np.random.default_rng(3)
    wave = (rng.normal(size=5000) * np.hanning(5000)).astype(np.float32)
    theirs = F.pitch_shift(torch.from_numpy(wave)[None], 8000, 12)[0].numpy()
    ours = at_pitch(wave, 2.0)
    scale = np.sqrt(np.mean(ours.astype(np.float64) ** 2) / np.mean(theirs.astype(np.float64) ** 2))
    assert np.allclose(ours, theirs * scale, atol=1e-5)


def test_pink_noise_falls_3_db_per_octave_and_the_room_decays_60_db_in_rt60():
    noise = pink_noise(2 ** 16, np.random.default_rng(0))
    power = np.abs(np.fft.rfft(noise)) ** 2
    low, high = power[100:200].mean(), power[200:400].mean()  # one octave apart
    assert 10 * np.log10(low / high) == pytest.approx(3.0, abs=0.5)
    h = room_response(0.3, np.random.default_rng(0))
    assert h[0] == 1.0 and len(h) == int(0.3 * 8000) and np.sum(h[1:] ** 2) == pytest.approx(1.0)
    envelope_start, envelope_end = np.abs(h[1:200]).mean(), np.abs(h[-200:]).mean()
    assert 20 * np.log10(envelope_start / envelope_end) > 50  # close to 60 dB over the response's length


def test_babble_mixes_four_other_recordings_never_the_recording_itself():
    recordings = [np.full(10, float(2 ** i), dtype=np.float32) for i in range(6)]  # recording i carries bit i
    for index in range(6):
        mixed = babble(recordings, index, np.random.default_rng(index))
        bits = int(mixed[0])
        assert len(mixed) == 10 and bin(bits).count("1") == 4 and not bits & (1 << index)


def test_an_unknown_recording_corruption_names_the_valid_ones():
    with pytest.raises(ValueError, match="unknown waveform corruption 'hum'; valid: waveform_noise_20db"):
        corrupt_recordings("hum", [np.zeros(10, np.float32)], np.random.default_rng(0))
