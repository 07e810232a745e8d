"""Adversarial training on the recording itself: PGD on the waveform's samples, through the cell's front end.

`adversarial` on FSDD attacks the standardized log-mel map, a space no loudspeaker can reach, and it measured
+17.9 points of waveform-PGD accuracy at 150 recordings as a side effect (issue 37). This method trains against the
attack the audio rows are judged by (augbench/evaluation/waveform_attack.py): each step, a share of the batch is
replaced by PGD on the recordings' own samples within `db` dB of each recording's peak (Carlini & Wagner's dB_x;
the evaluation's -40 dB by default), through the cell's fitted front end (torchaudio's mel spectrogram, the log,
the standardization fitted on the cell's training rows). The padding after a short recording stays zero.

How the recordings reach it: the sweep replaces the training split by the fixed-length recordings and their masks
([N, 2, samples], `Task.with_raw_train`) and hands the method the front end (`FitContext.front_end`); `augment`
returns the log-mel maps the classifier takes, so validation and test see the same inputs as every other method's.

Settings: PGD with 3 steps of 2.5 / 3 of the radius from a random start, the quick profile's choice for MNIST and
CIFAR-10 (`adversarial`), and the full profile's 7 steps (Madry et al.). They were not tuned on FSDD's validation
split: this is the one setting measured (results/robustness/real-input-quick.md). Its quick cells train in 9-18 s,
1.0-1.5x `adversarial`'s (feature-space FGSM-RS) and 4-5x `none`'s.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.evaluation.attacks import default_pgd_alpha, pgd
from augbench.evaluation.waveform_attack import WaveformThreat, radius
from augbench.methods import METHODS
from augbench.methods.base import FitContext, Method
from augbench.tasks.base import Split, Task


@dataclass(frozen=True)
class AdversarialWaveParams:
    db: float = -40.0  # the perturbation's peak relative to each recording's peak, in dB (the evaluation's robust.wave_db)
    steps: int = 3  # PGD iterations per training step
    share: float = 1.0  # share of each batch replaced by adversarial recordings, in [0, 1]


@METHODS.register("adversarial_wave")
class AdversarialWave(Method):
    """Trains on PGD attacks on the recordings' samples, made through the cell's own front end."""

    Params = AdversarialWaveParams
    modalities = ("audio",)
    raw_kinds = ("waveform",)  # it needs the recordings (and so cannot be composed: a generator's maps have none)
    raw_train = True
    compose_stage = 2

    @classmethod
    def default_params(cls, profile: str, task: Task) -> AdversarialWaveParams:
        return AdversarialWaveParams(steps=7 if profile == "full" else 1 if profile == "smoke" else 3)

    def __init__(self, params: AdversarialWaveParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if not (isinstance(params.db, (int, float)) and -100 <= params.db < 0):  # the evaluation's range (WaveAttackConfig)
            raise ValueError(f"adversarial_wave.db={params.db} is invalid: it must be a loudness in dB below the "
                             f"recording's peak, in [-100, 0)")
        if not (isinstance(params.steps, int) and params.steps >= 1):
            raise ValueError(f"adversarial_wave.steps={params.steps} is invalid: it must be an integer >= 1")
        if not 0 <= params.share <= 1:
            raise ValueError(f"adversarial_wave.share={params.share} is invalid: it must be in [0, 1]")
        self.front: nn.Module | None = None

    def fit(self, train: Split, context: FitContext) -> None:
        if context.front_end is None:
            raise RuntimeError(f"adversarial_wave needs the cell's front end; task {self.task.name!r} gave none")
        self.front = context.front_end

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """x: [N, 2, samples], each recording and its mask (1 on its own samples); returns the log-mel maps of the
        batch, the first `share` of it (batches arrive shuffled: a random share) attacked on the waveform."""
        if len(y) == 0:  # the mel spectrogram takes no empty batch
            return x.new_zeros((0, *self.task.input_shape)), y
        waves, mask = x[:, 0], x[:, 1]
        k = round(self.params.share * len(y))
        if k:
            scale = radius(waves[:k], mask[:k], self.params.db)[:, None] * mask[:k]
            threat = WaveformThreat(model, self.front, waves[:k], scale)
            z = pgd(threat, torch.zeros_like(waves[:k]), y[:k], 1.0, default_pgd_alpha(1.0, self.params.steps),
                    self.params.steps, self.generator(x.device), input_range=None)
            waves = torch.cat([(waves[:k] + scale * z).clamp(-1.0, 1.0), waves[k:]])
        with torch.no_grad():
            return self.front(waves), y
