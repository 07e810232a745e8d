"""Class-conditional denoising diffusion (DDPM, Ho et al. 2020) with classifier-free guidance (Ho and Salimans
2022), sampled with few deterministic DDIM steps (Song et al. 2021); networks in `augbench/methods/diffusion_nets.py`."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal

import torch
import torch.nn.functional as F
from torch import nn

from augbench.config.cell import canonical_json
from augbench.core.seeding import make_generator
from augbench.methods import METHODS
from augbench.methods.base import FitContext
from augbench.methods.diffusion_nets import build_denoiser, cosine_alphas_cumprod, ddim_sample, guided, x0_predictor
from augbench.methods.generative import SAMPLE_CHUNK, Budget, GenerativeMethod, GenerativeParams, generator_identity
from augbench.tasks.base import Split, Task

TIMESTEPS = 1000  # T of the noise schedule (Ho et al.); DDIM visits `sample_steps` of them
# Parameters that only change how the fitted model is sampled or mixed in: left out of the cache key,
# so changing them reuses the fitted model.
SAMPLING_FIELDS = ("sample_steps", "guidance", "bank")


@dataclass(frozen=True)
class DiffusionBudget(Budget):
    """A profile's training budget (`Budget`), its learning rate, and how its samples are drawn."""

    lr: float  # Adam learning rate, constant
    sample_steps: int  # DDIM steps per sample (each a forward pass, two with guidance)
    guidance: float  # classifier-free guidance weight w (0: the plain conditional model, half the cost)
    bank: int  # samples per class drawn once per cell for mixing into training batches


@dataclass(frozen=True)
class DiffusionParams(GenerativeParams):
    """`z_dim` is unused: a diffusion model's noise has the input's shape."""

    lr: float | None = None  # Adam learning rate, > 0; none: the profile's
    prediction: Literal["eps", "v"] = "v"  # what the network predicts: the noise (Ho et al.) or v (Salimans and Ho 2022)
    p_uncond: float = 0.1  # probability that a training example's label is replaced by the null label, in [0, 1)
    sample_steps: int | None = None  # DDIM steps per sample, in [1, 1000]; none: the profile's
    guidance: float | None = None  # guidance weight w >= 0: eps = (1 + w) eps(x, y) - w eps(x, null); none: the profile's
    bank: int | None = None  # synthetic samples per class drawn once per cell for mixing, >= 1; none: the profile's


@METHODS.register("diffusion")
class Diffusion(GenerativeMethod):
    """DDPM (Ho et al. 2020) over a cosine schedule of T = 1000 (t uniform), trained on the squared error of v
    = sqrt(a) eps - sqrt(1 - a) x_0 (Salimans and Ho 2022; `prediction=eps`: of the noise, as Ho et al.).

    Why v: a DDIM step needs the model's x_0, which eps gives only divided by sqrt(a), 5e-5 at t = T-1;
    with 4 steps that turned the first step's noise-prediction error into garbage that clipping hid on
    images and did not on unbounded features (validation CAS with eps / v: TREC 21% / 70%, MNIST
    47% / 60%; results/tuning/generator-probe.md).

    Inputs are scaled to [-1, 1] when the task's range is bounded; unbounded (standardized) features are
    used as they are, and DDIM clips its x_0 predictions to the range of the training examples seen in
    fitting (kept with the model). With probability `p_uncond` a training label is the null label, so
    the one network predicts both f(x, y) and f(x, null), which guidance combines.

    Mixing: a sample costs `sample_steps` network passes (twice that with guidance), so fresh samples
    for every batch, as the other generators draw them, would cost more than the whole cell (MNIST quick:
    18,000 samples). Instead, at the first batch a bank of `bank` samples per class is drawn, and each
    replaced position takes a random bank sample of its label.
    """

    name = "diffusion"
    VERSION = 1
    Params = DiffusionParams
    # quick: chosen on validation CAS among budgets whose fit and samples cost about 2x the vae's
    # (results/tuning/generator-probe.md); guidance w = 1 scored 3 points more for 2.5x the sampling time.
    # full: not validated (no GPU run yet).
    BUDGETS = {
        "smoke": DiffusionBudget(steps=60, width=8, batch_size=32, lr=4e-3, sample_steps=4, guidance=2.0, bank=8),
        "quick": DiffusionBudget(steps=450, width=16, batch_size=64, lr=4e-3, sample_steps=4, guidance=0.0, bank=50),
        "full": DiffusionBudget(steps=20000, width=64, batch_size=128, lr=1e-3, sample_steps=50, guidance=1.0, bank=5000),
    }

    def __init__(self, params: DiffusionParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if params.lr is not None and params.lr <= 0:
            raise ValueError(f"diffusion.lr={params.lr} is invalid: it must be > 0")
        if params.prediction not in ("eps", "v"):
            raise ValueError(f"diffusion.prediction={params.prediction!r} is invalid: use eps or v")
        if not 0 <= params.p_uncond < 1:
            raise ValueError(f"diffusion.p_uncond={params.p_uncond} is invalid: it must be in [0, 1)")
        if params.sample_steps is not None and not 1 <= params.sample_steps <= TIMESTEPS:
            raise ValueError(f"diffusion.sample_steps={params.sample_steps} is invalid: it must be in [1, {TIMESTEPS}]")
        if params.guidance is not None and params.guidance < 0:
            raise ValueError(f"diffusion.guidance={params.guidance} is invalid: it must be >= 0")
        if params.bank is not None and params.bank < 1:
            raise ValueError(f"diffusion.bank={params.bank} is invalid: it must be >= 1")
        self.alphas_cumprod = cosine_alphas_cumprod(TIMESTEPS)
        self.settings: DiffusionBudget | None = None  # the resolved budget, set by fit / load_cached
        self._bank: torch.Tensor | None = None

    # --- budget, cache and networks ----------------------------------------------------------------
    @classmethod
    def default_params(cls, profile: str, task: Task) -> DiffusionParams:
        base = cls.BUDGETS[profile]
        return dataclasses.replace(super().default_params(profile, task), lr=base.lr, sample_steps=base.sample_steps,
                                   guidance=base.guidance, bank=base.bank)

    def budget(self, profile: str) -> DiffusionBudget:
        """The profile's budget with the parameters' overrides applied."""
        base, p = self.BUDGETS[profile], self.params
        return DiffusionBudget(steps=p.steps or base.steps, width=p.width or base.width,
                               batch_size=p.batch_size or base.batch_size, lr=p.lr or base.lr,
                               sample_steps=p.sample_steps or base.sample_steps,
                               guidance=base.guidance if p.guidance is None else p.guidance, bank=p.bank or base.bank)

    def cache_path(self, cell: dict[str, Any], cache_dir: Path, input_space: dict[str, Any] | None = None) -> tuple[Path, str]:
        """As the base class's, with the sampling settings left out of the key (they do not change the model)."""
        budget = self.budget(cell["profile"])
        params = {k: v for k, v in self.resolved_params().items() if k not in SAMPLING_FIELDS} | {"lr": budget.lr}
        identity = generator_identity(cell, self.name, self.VERSION, params,
                                      Budget(steps=budget.steps, width=budget.width, batch_size=budget.batch_size), input_space)
        key = hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:24]
        return cache_dir / "generators" / f"{cell['task']}-{self.name}-{key}.pt", key

    def load_cached(self, cell: dict[str, Any], cache_dir: Path, device: torch.device,
                    input_space: dict[str, Any] | None = None) -> bool:
        """The base class's load (its `build` gives the denoiser), with the sampling settings reset first."""
        self.settings = self.budget(cell["profile"])
        self._bank = None
        return super().load_cached(cell, cache_dir, device, input_space)

    def fit(self, train: Split, context: FitContext) -> None:
        self.settings = self.budget(context.profile)  # optimizers, sample and bank read it
        self._bank = None
        super().fit(train, context)

    def build(self, budget: Budget) -> nn.ModuleDict:
        denoiser = build_denoiser(tuple(self.task.input_shape), self.task.num_classes, budget.width)
        # x_0's range in model units: [-1, 1] for a bounded input range, else widened to the training data in `step`.
        bounded = self.task.input_range is not None
        denoiser.register_buffer("x0_range", torch.tensor([-1.0, 1.0]) if bounded else torch.tensor([float("inf"), float("-inf")]))
        return nn.ModuleDict({"decoder": denoiser})

    def optimizers(self, nets: nn.ModuleDict) -> dict[str, torch.optim.Optimizer]:
        return {"all": torch.optim.Adam(nets.parameters(), lr=self.settings.lr)}

    # --- model units ------------------------------------------------------------------------------
    def to_model(self, x: torch.Tensor) -> torch.Tensor:
        """Inputs in the task's range -> model units ([-1, 1] for a bounded range, unchanged otherwise)."""
        if self.task.input_range is None:
            return x
        low, high = self.task.input_range
        return (x - low) * (2.0 / (high - low)) - 1.0

    def from_model(self, x: torch.Tensor) -> torch.Tensor:
        """Model units -> the task's input range, clamped to it when bounded."""
        if self.task.input_range is None:
            return x
        low, high = self.task.input_range
        return (low + (x + 1.0) * ((high - low) / 2.0)).clamp(low, high)

    # --- training ---------------------------------------------------------------------------------
    def step(self, nets: nn.ModuleDict, optimizers: dict[str, torch.optim.Optimizer],
             next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]], generator: torch.Generator) -> torch.Tensor:
        x, y = next_batch()
        x0 = self.to_model(x)
        denoiser = nets["decoder"]
        if self.task.input_range is None:
            with torch.no_grad():
                denoiser.x0_range[0] = torch.minimum(denoiser.x0_range[0], x0.min())
                denoiser.x0_range[1] = torch.maximum(denoiser.x0_range[1], x0.max())
        n, device = x0.shape[0], x0.device
        t = torch.randint(0, TIMESTEPS, (n,), generator=generator, device=device)
        noise = torch.randn(x0.shape, generator=generator, device=device)
        drop = torch.rand(n, generator=generator, device=device) < self.params.p_uncond
        labels = torch.where(drop, torch.full_like(y, self.task.num_classes), y)
        a = self.alphas_cumprod.to(device=device, dtype=x0.dtype)[t].view(n, *[1] * (x0.dim() - 1))
        target = noise if self.params.prediction == "eps" else a.sqrt() * noise - (1 - a).sqrt() * x0
        loss = F.mse_loss(denoiser(a.sqrt() * x0 + (1 - a).sqrt() * noise, t, labels), target)
        optimizers["all"].zero_grad(set_to_none=True)
        loss.backward()
        optimizers["all"].step()
        return loss.detach().reshape(1)

    # --- sampling and mixing ----------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Class-conditional samples [N, *input_shape] (float32, clamped into a bounded input range) for labels [N]:
        DDIM from Gaussian noise with `sample_steps` steps and guidance weight `guidance`.

        Raises:
            RuntimeError: the method was not fitted (nothing to sample from).
        """
        if self.decoder is None or self.settings is None:
            raise RuntimeError(f"{self.name} has no generator: call fit() before sampling")
        shape = (labels.shape[0], *self.task.input_shape)
        if labels.shape[0] == 0:
            return torch.empty(shape, device=labels.device)
        if self.params.data == "unlabelled":  # fitted with every label 0: an unconditional model (generative.py)
            labels = torch.zeros_like(labels)
        x0_fn = x0_predictor(guided(self.decoder, self.task.num_classes, self.settings.guidance), self.alphas_cumprod,
                             self.params.prediction)
        clip = (float(self.decoder.x0_range[0]), float(self.decoder.x0_range[1]))
        chunks = []
        for y in labels.split(SAMPLE_CHUNK):
            noise = torch.randn((y.shape[0], *self.task.input_shape), generator=generator, device=labels.device)
            chunks.append(self.from_model(ddim_sample(x0_fn, noise, y, self.alphas_cumprod, self.settings.sample_steps, clip)))
        return torch.cat(chunks)

    def bank(self, device: torch.device) -> torch.Tensor:
        """The cell's mixing samples [num_classes, bank, *input_shape], drawn once from the cell's seed."""
        if self._bank is None or self._bank.device != device:
            per_class = self.settings.bank
            labels = torch.arange(self.task.num_classes, device=device).repeat_interleave(per_class)
            samples = self.sample(labels, make_generator(self.seed, f"{self.name}:bank", device))
            self._bank = samples.view(self.task.num_classes, per_class, *self.task.input_shape)
        return self._bank

    def draw_synthetic(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Random bank samples of `labels` (the base class's `augment` mixes them in, filtered or not)."""
        bank = self.bank(labels.device)
        pick = torch.randint(0, bank.shape[1], (labels.shape[0],), generator=generator, device=labels.device)
        return bank[labels, pick]
