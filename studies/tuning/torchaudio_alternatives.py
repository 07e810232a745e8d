"""Could FSDD's two torchaudio calls be replaced without changing a stored number? Measured on real recordings.

Compares, on the FSDD training recordings as the task reads them:
- the log-mel map (augbench/tasks/fsdd.log_mel, torchaudio.transforms.MelSpectrogram) with librosa's
  melspectrogram at the same settings (HTK mel scale, no filter norm, periodic Hann, centred reflect padding);
- waveaug's speed perturbation (torchaudio.transforms.Resample, windowed sinc) with scipy.signal.resample_poly
  and librosa.resample.

librosa is not in the lock; run it from a folder installed beside the venv:
    .venv/bin/uv pip install --target /tmp/libro librosa
    PYTHONPATH=/tmp/libro:. AUGBENCH_DATA=../shared/data .venv/bin/python studies/tuning/torchaudio_alternatives.py
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import torch

from augbench.tasks import TASKS
from augbench.tasks.base import _cached_arrays
from augbench.tasks.fsdd import HOP, N_FFT, N_MELS, SAMPLE_RATE, fixed_length, log_mel


def main() -> None:
    import librosa
    import scipy.signal
    import torchaudio

    task = TASKS.get("fsdd")()
    recordings = list(_cached_arrays(task, task.source(Path(os.environ["AUGBENCH_DATA"])))[0][:600])
    print(f"{len(recordings)} FSDD training recordings; torch {torch.__version__}, torchaudio {torchaudio.__version__}, "
          f"librosa {librosa.__version__}, scipy {scipy.__version__}")

    start = time.perf_counter()
    ours = log_mel(recordings)
    ours_s = time.perf_counter() - start
    start = time.perf_counter()
    theirs = np.stack([np.log(librosa.feature.melspectrogram(
        y=fixed_length(r).astype(np.float32), sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS, fmin=0.0,
        fmax=SAMPLE_RATE / 2, power=2.0, htk=True, norm=None, center=True, pad_mode="reflect") + 1e-6)
        for r in recordings])[:, None].astype(np.float32)
    theirs_s = time.perf_counter() - start
    diff = np.abs(ours - theirs)
    print(f"log-mel: torchaudio {ours_s:.2f} s, librosa {theirs_s:.2f} s; |difference| max {diff.max():.3g}, "
          f"mean {diff.mean():.3g} (log power; the maps span {ours.min():.1f}..{ours.max():.1f}); "
          f"bit-identical maps: {int(np.sum(np.all(diff == 0, axis=(1, 2, 3))))} of {len(recordings)}")

    for steps in (90, 95, 105, 110):  # waveaug: speed factor steps / 100, resampled from steps x 80 Hz to 100 x 80 Hz
        x = [np.ascontiguousarray(r, dtype=np.float32) for r in recordings[:200]]
        ta = [torchaudio.transforms.Resample(steps, 100)(torch.from_numpy(r)).numpy() for r in x]
        sp = [scipy.signal.resample_poly(r, 100, steps).astype(np.float32) for r in x]
        lb = [librosa.resample(r, orig_sr=steps, target_sr=100, res_type="soxr_hq") for r in x]
        for name, other in (("scipy.signal.resample_poly", sp), ("librosa.resample (soxr_hq)", lb)):
            n = [min(len(a), len(b)) for a, b in zip(ta, other)]
            worst = max(float(np.abs(a[:k] - b[:k]).max()) for a, b, k in zip(ta, other, n))
            lengths = sum(len(a) != len(b) for a, b in zip(ta, other))
            print(f"resample x{steps / 100:.2f} vs torchaudio: {name}: |difference| max {worst:.3g} "
                  f"(samples in [-1, 1]); {lengths} of {len(x)} outputs of another length")


if __name__ == "__main__":
    main()
