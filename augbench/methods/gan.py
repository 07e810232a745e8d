"""Conditional DCGAN-style GAN: conv (or MLP) generator, projection discriminator, non-saturating loss, Adam."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

from augbench.methods import METHODS
from augbench.methods.gen_nets import Decoder, ProjectionCritic
from augbench.methods.generative import Budget, GenerativeMethod, GenerativeParams


@dataclass(frozen=True)
class GanParams(GenerativeParams):
    lr: float = 2e-4  # Adam learning rate of both networks (DCGAN, Radford et al. 2016)
    beta1: float = 0.5  # Adam beta1 (DCGAN)


@METHODS.register("gan")
class Gan(GenerativeMethod):
    """One discriminator step and one generator step per iteration on the same real batch's labels.

    Discriminator loss softplus(-D(x, y)) + softplus(D(G(z, y), y)); generator loss softplus(-D(G(z, y), y))
    (the non-saturating loss of Goodfellow et al. 2014).
    """

    name = "gan"
    VERSION = 1
    Params = GanParams
    BUDGETS = {
        "smoke": Budget(steps=10, width=8, batch_size=32),
        "quick": Budget(steps=200, width=32, batch_size=64),
        "full": Budget(steps=20000, width=64, batch_size=64),
    }
    # Fitted on the whole pool, 3x the quick steps led 1x and 10x on validation on every seed (MNIST, 600 digits:
    # 95.6% vs 95.1% and 95.2%); longer adversarial training degraded its samples (CAS 46% at 3x, 34% at 10x).
    POOL_STEPS = {"smoke": 1, "quick": 3, "full": 1}

    def __init__(self, params: GanParams, task, seed: int) -> None:
        super().__init__(params, task, seed)
        if params.lr <= 0 or not 0 <= params.beta1 < 1:
            raise ValueError(f"gan.lr={params.lr}, gan.beta1={params.beta1} are invalid: need lr > 0 and 0 <= beta1 < 1")

    def build(self, budget: Budget) -> nn.ModuleDict:
        return nn.ModuleDict({"decoder": Decoder(self.task, self.params.z_dim, budget.width),
                              "critic": ProjectionCritic(self.task, budget.width)})

    def optimizers(self, nets: nn.ModuleDict) -> dict[str, torch.optim.Optimizer]:
        betas = (self.params.beta1, 0.999)
        return {"g": torch.optim.Adam(nets["decoder"].parameters(), lr=self.params.lr, betas=betas),
                "d": torch.optim.Adam(nets["critic"].parameters(), lr=self.params.lr, betas=betas)}

    def step(self, nets: nn.ModuleDict, optimizers: dict[str, torch.optim.Optimizer],
             next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]], generator: torch.Generator) -> torch.Tensor:
        x, y = next_batch()
        z = torch.randn(x.shape[0], self.params.z_dim, generator=generator, device=x.device)
        fake = self.output(nets["decoder"](z, y))
        d_loss = F.softplus(-nets["critic"](x, y)).mean() + F.softplus(nets["critic"](fake.detach(), y)).mean()
        optimizers["d"].zero_grad(set_to_none=True)
        d_loss.backward()
        optimizers["d"].step()
        g_loss = F.softplus(-nets["critic"](fake, y)).mean()
        optimizers["g"].zero_grad(set_to_none=True)
        g_loss.backward()
        optimizers["g"].step()
        return torch.stack([d_loss.detach(), g_loss.detach()])
