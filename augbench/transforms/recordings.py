"""Corruptions of a recording that a listener meets: noise, other voices, a room, a tape running at the wrong speed.

They act on the waveform before featurization (the audio task computes them when it builds its features and
carries them beside the clean test split, `Split.views`), each at a stated setting, from one fixed random stream
per corruption, so every method and seed is judged on the same corrupted recordings:

| corruption            | setting                                                                                   |
|-----------------------|-------------------------------------------------------------------------------------------|
| waveform_noise_{20,10,0}db | white Gaussian noise at that SNR, relative to the recording's mean power             |
| pink_noise_10db       | 1/f ("pink") noise, power falling 3 dB per octave, at 10 dB SNR                           |
| babble_10db           | the sum of 4 other test recordings (other takes, any speaker and digit) at 10 dB SNR      |
| reverb_300ms, _600ms  | a synthetic room: the recording convolved with an impulse response of a direct path and an exponentially decaying Gaussian tail (Polack's statistical model of late reverberation) that falls 60 dB in RT60 = 0.3 s (a small room) or 0.6 s (a living room), tail energy equal to the direct path's; rescaled to the recording's RMS |
| speed_0.9, speed_1.1  | played 10% slower or faster (tempo and pitch together: Ko et al. 2015's speed perturbation), by resampling with torchaudio |
| pitch_0.9, pitch_1.1  | the voice 10% lower or higher at the same tempo, length and power (about -1.8 and +1.65 semitones): torchaudio's pitch shift (a phase vocoder stretches the recording, then it is played faster or slower), rescaled to the recording's power |

The pitch shift is torchaudio.functional.pitch_shift's recipe with its resampling at the factor's own ratio (11:10,
9:10): pitch_shift itself takes semitones and resamples at 2^(n/12), ratios such as 8,000:8,476 that took 1.8 s per
recording here; at 11:10 it takes a few milliseconds.
A room impulse response simulated from a room's geometry (pyroomacoustics) would add a compiled dependency to the
lock for one corruption; the statistical model above is the one such simulators use for the late tail.
"""

from __future__ import annotations

import numpy as np

SAMPLE_RATE = 8000
BABBLE_VOICES = 4
# name -> (kind, setting): SNR in dB for the noises, RT60 in seconds for the rooms, the speed factor for speed.
WAVEFORM_CORRUPTIONS: dict[str, tuple[str, float]] = {
    "waveform_noise_20db": ("white", 20.0), "waveform_noise_10db": ("white", 10.0), "waveform_noise_0db": ("white", 0.0),
    "pink_noise_10db": ("pink", 10.0), "babble_10db": ("babble", 10.0),
    "reverb_300ms": ("reverb", 0.3), "reverb_600ms": ("reverb", 0.6),
    "speed_0.9": ("speed", 0.9), "speed_1.1": ("speed", 1.1),
    "pitch_0.9": ("pitch", 0.9), "pitch_1.1": ("pitch", 1.1),
}
PITCH_FFT = 512  # torchaudio.functional.pitch_shift's defaults: a 512-sample Hann window (64 ms at 8 kHz), hop 128


def _power(recording: np.ndarray) -> float:
    return float(np.mean(recording.astype(np.float64) ** 2))


def _at_snr(recording: np.ndarray, noise: np.ndarray, snr_db: float) -> np.ndarray:
    """`recording` plus `noise` scaled to `snr_db` below the recording's mean power."""
    scale = np.sqrt(_power(recording) / 10 ** (snr_db / 10) / max(_power(noise), 1e-20))
    return (recording + scale * noise).astype(np.float32)


def with_noise(recording: np.ndarray, snr_db: float, rng: np.random.Generator) -> np.ndarray:
    """White Gaussian noise at `snr_db` relative to the recording's mean power, over its own length."""
    power = _power(recording)
    std = np.sqrt(power / 10 ** (snr_db / 10))
    return (recording + rng.normal(0.0, std, size=recording.shape)).astype(np.float32)


def pink_noise(length: int, rng: np.random.Generator) -> np.ndarray:
    """Gaussian noise whose power falls as 1/f (the DC bin left empty), unit variance."""
    spectrum = np.fft.rfft(rng.normal(size=length))
    f = np.arange(len(spectrum), dtype=np.float64)
    spectrum[1:] /= np.sqrt(f[1:])
    spectrum[0] = 0.0
    noise = np.fft.irfft(spectrum, n=length)
    return noise / max(float(noise.std()), 1e-20)


def babble(recordings: list[np.ndarray], index: int, rng: np.random.Generator, voices: int = BABBLE_VOICES) -> np.ndarray:
    """The sum of `voices` other recordings of the list, each tiled or cut to recording `index`'s length."""
    length = len(recordings[index])
    others = [j for j in range(len(recordings)) if j != index]
    picked = rng.choice(others, size=min(voices, len(others)), replace=False) if others else []
    mixed = np.zeros(length)
    for j in picked:
        other = recordings[int(j)].astype(np.float64)
        mixed += np.resize(other, length)  # repeats a shorter take, cuts a longer one
    return mixed


def room_response(rt60: float, rng: np.random.Generator, rate: int = SAMPLE_RATE) -> np.ndarray:
    """A direct path (1 at t = 0) and a Gaussian tail decaying 60 dB over `rt60` seconds, tail energy 1."""
    t = np.arange(1, int(rt60 * rate)) / rate
    tail = rng.normal(size=len(t)) * 10 ** (-3 * t / rt60)  # amplitude falls 60 dB (a factor 1,000) over rt60
    tail /= max(float(np.sqrt(np.sum(tail ** 2))), 1e-20)
    return np.concatenate([[1.0], tail])


def reverberant(recording: np.ndarray, rt60: float, rng: np.random.Generator) -> np.ndarray:
    """`recording` in a synthetic room of reverberation time `rt60`, cut to its length, at its RMS."""
    wet = np.convolve(recording.astype(np.float64), room_response(rt60, rng))[:len(recording)]
    wet *= np.sqrt(_power(recording) / max(float(np.mean(wet ** 2)), 1e-20))
    return wet.astype(np.float32)


def at_speed(recording: np.ndarray, factor: float) -> np.ndarray:
    """`recording` played `factor` times as fast (1.1: 10% faster and higher), resampled with torchaudio."""
    import torch
    import torchaudio.functional as F

    new, orig = 10, round(10 * factor)  # 0.9 -> 9 to 10 samples (longer); 1.1 -> 11 to 10 (shorter)
    with torch.inference_mode():
        return F.resample(torch.from_numpy(recording.astype(np.float32))[None], orig, new)[0].numpy()


def at_pitch(recording: np.ndarray, factor: float) -> np.ndarray:
    """`recording` with every frequency multiplied by `factor` at the same tempo, length and power, as torchaudio's
    pitch_shift makes it: a phase vocoder stretches the recording to `factor` times its duration, which is then
    played `factor` times as fast (`at_speed`), cut or zero-padded to the original length and rescaled to its
    power."""
    import math

    import torch
    import torchaudio.functional as F

    hop = PITCH_FFT // 4
    wave = torch.from_numpy(recording.astype(np.float32))[None]
    window = torch.hann_window(PITCH_FFT)
    with torch.inference_mode():
        spec = torch.stft(wave, PITCH_FFT, hop, PITCH_FFT, window, center=True, pad_mode="reflect", normalized=False,
                          onesided=True, return_complex=True)
        advance = torch.linspace(0, math.pi * hop, spec.shape[-2])[..., None]
        stretched = torch.istft(F.phase_vocoder(spec, 1.0 / factor, advance), PITCH_FFT, hop, PITCH_FFT, window,
                                length=int(round(len(recording) * factor)))[0].numpy()
    shifted = at_speed(stretched, factor)
    out = np.zeros(len(recording), dtype=np.float32)
    out[:min(len(out), len(shifted))] = shifted[:len(out)]
    # The vocoder's overlapping frames interfere and lose 1.5-3 dB of a spoken digit (0.36-5.1 dB on 40 FSDD
    # recordings): rescaled to the recording's own power, so that the corruption changes the pitch alone.
    out *= np.sqrt(_power(recording) / max(_power(out), 1e-20))
    return out.astype(np.float32)


def corrupt_recordings(name: str, recordings: list[np.ndarray], rng: np.random.Generator) -> list[np.ndarray]:
    """Every recording under the corruption `name` (a key of WAVEFORM_CORRUPTIONS), drawing from `rng` in order.

    Raises:
        ValueError: an unknown name, naming the valid ones.
    """
    if name not in WAVEFORM_CORRUPTIONS:
        raise ValueError(f"unknown waveform corruption {name!r}; valid: {', '.join(WAVEFORM_CORRUPTIONS)}")
    kind, setting = WAVEFORM_CORRUPTIONS[name]
    if kind == "white":
        return [with_noise(r, setting, rng) for r in recordings]
    if kind == "pink":
        return [_at_snr(r, pink_noise(len(r), rng), setting) for r in recordings]
    if kind == "babble":
        return [_at_snr(r, babble(recordings, i, rng), setting) for i, r in enumerate(recordings)]
    if kind == "reverb":
        return [reverberant(r, setting, rng) for r in recordings]
    if kind == "pitch":
        return [at_pitch(r, setting) for r in recordings]
    return [at_speed(r, setting) for r in recordings]
