"""PGD on the waveform itself, through the differentiable front end: the audio task's real-input attack.

The suite's feature-space PGD moves standardized log-mel values, and no recording need map to most points of that
ball (it can put energy into the zero padding after a recording ends). This attack perturbs the recording's samples,
which a loudspeaker could play, and reaches the classifier through the cell's own front end (torchaudio's mel
spectrogram, the log, the standardization fitted on the cell's training rows), so the gradient is the pipeline's.

The bound is Carlini & Wagner's (2018, "Audio adversarial examples") loudness of a perturbation relative to the
recording: dB_x(delta) = 20 log10(max |delta|) - 20 log10(max |x|). An L-inf ball of radius tau_i = max|x_i| * 10^(dB/20)
per recording holds every perturbation at most `db` dB below that recording's peak. The default, -40 dB (a peak 1% of
the recording's), is 10 dB quieter than their adversarial speech (a mean of -31 dB over their targeted attacks on
DeepSpeech, which they put on a par with the difference between a quiet room's ambient noise and a person talking).
At -30 dB every quick FSDD model measured fell to 0-1% (seed 0, 150 recordings: `none` 0.0%, `adversarial` 1.0%), so
the metric could tell no method from another; at -40 dB `none` keeps 1.7% and `adversarial` 18.7%, at -50 dB 21.7%
and 63.0%, at -60 dB 54.0% and 80.3% (docs/metrics.md has the curve). The perturbation acts only on the recording's
own samples: the zeros that pad a short recording to the front end's fixed length stay zero.

Implementation: the attack variable is z in [-1, 1]^samples and the input it makes is clamp(x + tau * mask * z, -1, 1),
so the suite's PGD (augbench/evaluation/attacks.py: random start, signed steps, projection, strongest iterate) runs
unchanged on z with radius 1, and each recording gets its own radius and mask.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.core.errors import UsageError
from augbench.evaluation.attacks import default_pgd_alpha, pgd


@dataclass(frozen=True)
class WaveAttackConfig:
    """The waveform attack's radius; overridable as `--param robust.wave_db=...`."""

    db: float = -40.0  # the perturbation's peak relative to the recording's, in dB (Carlini & Wagner's dB_x)

    def __post_init__(self) -> None:
        if not (isinstance(self.db, (int, float)) and -100 <= self.db < 0):
            raise UsageError(f"robust.wave_db={self.db} is invalid: it must be a loudness in dB below the recording's "
                             f"peak, in [-100, 0)")

    def describe(self, steps: int) -> dict[str, object]:
        return {"attack": "waveform pgd", "db": self.db, "steps": steps, "bound": "L-inf, max|delta| <= max|x| * 10^(db/20)",
                "where": "the recording's own samples (not the padding)"}


class WaveformThreat(nn.Module):
    """The classifier as a function of the attack variable z in [-1, 1]^samples: model(front(clamp(x + tau*mask*z)))."""

    def __init__(self, model: nn.Module, front: nn.Module, waves: torch.Tensor, scale: torch.Tensor) -> None:
        super().__init__()
        self.model, self.front = model, front
        self.waves, self.scale = waves, scale  # [N, samples]; tau * mask, [N, samples]

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.model(self.front((self.waves + self.scale * z).clamp(-1.0, 1.0)))


def radius(waves: torch.Tensor, mask: torch.Tensor, db: float) -> torch.Tensor:
    """Each recording's L-inf radius, tau_i = max |x_i| * 10^(db/20), over its own samples [N]."""
    return (waves.abs() * mask).amax(dim=1) * 10 ** (db / 20)


def waveform_pgd(model: nn.Module, front: nn.Module, waves: torch.Tensor, mask: torch.Tensor, y: torch.Tensor,
                 config: WaveAttackConfig, steps: int, generator: torch.Generator, batch_size: int = 250,
                 strongest: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Which recordings stay correctly classified under PGD on their samples, and the adversarial waveforms.

    Args:
        waves: fixed-length recordings [N, samples] in [-1, 1]; mask: 1.0 on each recording's own samples, 0.0 on
            its padding [N, samples]; y: labels [N]; front: fixed-length waveforms -> the classifier's inputs.
    Returns:
        (correct under the attack [N] bool, adversarial waveforms [N, samples]); a recording misclassified clean
        counts as not robust (the attack starts at a random point of the ball and can only do worse).
    """
    robust, adversarial = [], []
    for i in range(0, len(y), batch_size):
        w, m, labels = waves[i:i + batch_size], mask[i:i + batch_size], y[i:i + batch_size]
        scale = radius(w, m, config.db)[:, None] * m
        threat = WaveformThreat(model, front, w, scale).train(model.training)  # PGD restores this mode afterwards
        with torch.no_grad():
            clean_ok = threat(torch.zeros_like(w)).argmax(1) == labels
        z = pgd(threat, torch.zeros_like(w), labels, 1.0, default_pgd_alpha(1.0, steps), steps, generator,
                input_range=None, strongest=strongest)
        with torch.no_grad():
            attacked_ok = threat(z).argmax(1) == labels
        robust.append(clean_ok & attacked_ok)
        adversarial.append((w + scale * z).clamp(-1.0, 1.0).detach())
    empty = torch.zeros(0, dtype=torch.bool, device=waves.device)
    return (torch.cat(robust) if robust else empty), (torch.cat(adversarial) if adversarial else waves[:0])
