"""Conditional VAE (Sohn et al. 2015): Gaussian encoder q(z | x, y), decoder p(x | z, y) matched to the data range."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from augbench.methods import METHODS
from augbench.methods.gen_nets import Decoder, Encoder
from augbench.methods.generative import Budget, GenerativeMethod, GenerativeParams


@dataclass(frozen=True)
class VaeParams(GenerativeParams):
    beta: float = 1.0  # weight of the KL term (1: the ELBO; Higgins et al. 2017 for other values)
    lr: float = 1e-3  # Adam learning rate


@METHODS.register("vae")
class Vae(GenerativeMethod):
    """Loss per example: reconstruction negative log-likelihood + beta * KL(q(z | x, y) || N(0, I)).

    Decoder likelihood by input range: a bounded range is rescaled to [0, 1] and scored with a
    Bernoulli likelihood on the continuous intensities (binary cross-entropy, the usual choice for
    pixels); unbounded features get a unit-variance Gaussian (half the squared error). Samples are
    the decoder's mean at z ~ N(0, I), which lies in the input range by construction.
    """

    name = "vae"
    VERSION = 1
    Params = VaeParams
    BUDGETS = {
        "smoke": Budget(steps=15, width=8, batch_size=32),
        "quick": Budget(steps=300, width=32, batch_size=64),
        "full": Budget(steps=20000, width=64, batch_size=128),
    }
    # Share and confidence filter chosen on validation (results/generated/generated-data.md, "Share and filter"):
    # ratio {0.25, 0.5} x filter_tau {0, 0.5} (MNIST also 0.9), the smaller quick size, 3 seeds paired with the
    # default (0.5, off). A candidate replaces the default only where it is the best and its paired validation
    # gain exceeds one standard error; MNIST's scarce pick keeps about 1% of the candidates, i.e. validation
    # says the scarce vae's samples are best barely used (CIFAR-10's scarce pick keeps about 5%). Every other (task, regime) keeps the default.
    # FSDD's were re-chosen on its 16-band maps at 150 recordings (results/tuning/fsdd-retune.md): scarce kept
    # (0.25, off); pool moved from the default to (0.25, off), +1.67 +- 1.20 validation points.
    SHARE_FILTER = {"quick": {("mnist", "scarce"): (0.25, 0.9), ("cifar10", "scarce"): (0.5, 0.5),
                              ("fsdd", "scarce"): (0.25, 0.0), ("fsdd", "pool"): (0.25, 0.0), ("sst2", "pool"): (0.25, 0.0),
                              ("trec", "pool"): (0.25, 0.5)}}

    def __init__(self, params: VaeParams, task, seed: int) -> None:
        super().__init__(params, task, seed)
        if params.beta < 0:
            raise ValueError(f"vae.beta={params.beta} is invalid: it must be >= 0")
        if params.lr <= 0:
            raise ValueError(f"vae.lr={params.lr} is invalid: it must be > 0")

    def build(self, budget: Budget) -> nn.ModuleDict:
        return nn.ModuleDict({"decoder": Decoder(self.task, self.params.z_dim, budget.width),
                              "encoder": Encoder(self.task, self.params.z_dim, budget.width)})

    def optimizers(self, nets: nn.ModuleDict) -> dict[str, torch.optim.Optimizer]:
        return {"all": torch.optim.Adam(nets.parameters(), lr=self.params.lr)}

    def reconstruction_nll(self, logits: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of x [N, ...] under the decoder output `logits`, summed per example: [N]."""
        if self.task.input_range is None:
            return 0.5 * (logits - x).pow(2).flatten(1).sum(dim=1)
        low, high = self.task.input_range
        target = (x - low) / (high - low)
        return F.binary_cross_entropy_with_logits(logits, target, reduction="none").flatten(1).sum(dim=1)

    def step(self, nets: nn.ModuleDict, optimizers: dict[str, torch.optim.Optimizer],
             next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]], generator: torch.Generator) -> torch.Tensor:
        x, y = next_batch()
        mu, logvar = nets["encoder"](x, y)
        z = mu + torch.exp(0.5 * logvar) * torch.randn(mu.shape, generator=generator, device=mu.device)
        nll = self.reconstruction_nll(nets["decoder"](z, y), x).mean()
        kl = (-0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=1)).mean()
        loss = nll + self.params.beta * kl
        optimizers["all"].zero_grad(set_to_none=True)
        loss.backward()
        optimizers["all"].step()
        return torch.stack([loss.detach(), kl.detach()])
