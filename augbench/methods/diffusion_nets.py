"""The diffusion method's pieces: a cosine noise schedule, DDIM sampling with classifier-free guidance, and
class-conditional denoisers (a small U-Net for (C, H, W) inputs, a residual MLP for (D,) features).

Both denoisers map (x_t [N, *shape], t [N] in [0, T), y [N] in [0, num_classes], num_classes being the
null label of classifier-free guidance) to a prediction [N, *shape] (the noise or v, see `x0_predictor`).
"""

from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F
from torch import nn

# A network as the sampler calls it: (x_t, t, y) -> a prediction with x_t's shape (noise, v or x_0).
Predictor = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]


def cosine_alphas_cumprod(timesteps: int, offset: float = 0.008) -> torch.Tensor:
    """alpha-bar_t for t = 0..T-1 of the cosine schedule (Nichol and Dhariwal 2021), float64 [T].

    Each beta_t = 1 - alpha-bar_t / alpha-bar_{t-1} is capped at 0.999 as in the paper, so the last
    alpha-bar stays above 0 (about 2e-9: x_{T-1} is noise for every practical purpose).
    """
    s = torch.arange(timesteps + 1, dtype=torch.float64) / timesteps
    f = torch.cos((s + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=0.999)
    return torch.cumprod(1 - betas, dim=0)


def ddim_timesteps(timesteps: int, steps: int) -> list[int]:
    """The `steps` timesteps a DDIM sampler visits, from T-1 down ("trailing" spacing, Lin et al. 2024:
    starting at T-1 rather than at T - T/steps, so the first step sees pure noise, as in training)."""
    return [timesteps * (steps - i) // steps - 1 for i in range(steps)]


def _alpha(alphas_cumprod: torch.Tensor, t: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    """alpha-bar_t per example, shaped to broadcast against `like` [N, ...]."""
    return alphas_cumprod.to(device=like.device)[t].to(like.dtype).view(-1, *[1] * (like.dim() - 1))


def x0_predictor(model: Predictor, alphas_cumprod: torch.Tensor, prediction: str) -> Predictor:
    """The model's prediction of x_0 from its output: noise eps (x_0 = (x_t - sqrt(1 - a) eps) / sqrt(a)) or
    v = sqrt(a) eps - sqrt(1 - a) x_0 (Salimans and Ho 2022; x_0 = sqrt(a) x_t - sqrt(1 - a) v).

    With eps, the division by sqrt(a) (5e-5 at t = T-1 of the cosine schedule) multiplies any error of
    the first steps' noise prediction thousands of times; v predicts x_0 directly where the noise is total.
    """
    if prediction not in ("eps", "v"):
        raise ValueError(f"prediction={prediction!r} is invalid: use eps or v")

    def predict(x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        a, out = _alpha(alphas_cumprod, t, x), model(x, t, y)
        if prediction == "eps":
            return (x - (1 - a).sqrt() * out) / a.sqrt()
        return a.sqrt() * x - (1 - a).sqrt() * out

    return predict


def guided(model: Predictor, null_label: int, guidance: float) -> Predictor:
    """Classifier-free guidance (Ho and Salimans 2022): (1 + w) f(x, y) - w f(x, null).

    On the noise f = eps this is the paper's rule; eps, v and x_0 are affine in one another with
    coefficients that depend only on x_t and t, so the same rule on v or x_0 gives the same sample. The
    conditional and unconditional predictions share one forward pass of a doubled batch; w = 0 is the
    plain conditional model and costs one pass.
    """
    if guidance == 0:
        return model

    def predict(x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        cond, uncond = model(torch.cat([x, x]), torch.cat([t, t]), torch.cat([y, torch.full_like(y, null_label)])).chunk(2)
        return (1 + guidance) * cond - guidance * uncond

    return predict


@torch.no_grad()
def ddim_sample(x0_fn: Predictor, x: torch.Tensor, y: torch.Tensor, alphas_cumprod: torch.Tensor, steps: int,
                clip: tuple[float, float]) -> torch.Tensor:
    """Deterministic DDIM (Song et al. 2021, eta = 0) from x = x_{T-1} to x_0.

    Each step predicts x_0, clips it to `clip` (the data's range in model units), re-derives the noise
    from the clipped x_0 and moves to the next timestep; the last step returns the clipped x_0 itself.

    Args:
        x0_fn: the (guided) prediction of x_0, e.g. from `x0_predictor`.
        x: pure noise [N, *shape] (float32).
        y: labels [N] passed to x0_fn.
        alphas_cumprod: alpha-bar per timestep [T] (float64).
        steps: number of denoising steps, 1 <= steps <= T.
        clip: (low, high) bounds of x_0 in model units.

    Returns: x_0 [N, *shape], float32, within `clip`.
    """
    ts = ddim_timesteps(alphas_cumprod.shape[0], steps)
    for i, t in enumerate(ts):
        x0 = x0_fn(x, torch.full((x.shape[0],), t, device=x.device, dtype=torch.long), y).clamp(*clip)
        if i + 1 == len(ts):
            return x0
        a, a_next = float(alphas_cumprod[t]), float(alphas_cumprod[ts[i + 1]])
        eps = (x - math.sqrt(a) * x0) / math.sqrt(1 - a)
        x = math.sqrt(a_next) * x0 + math.sqrt(1 - a_next) * eps
    return x


class TimeEmbedding(nn.Module):
    """t [N] (integer timesteps) -> [N, dim]: sinusoidal features (Vaswani et al. 2017) through a 2-layer MLP."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.freq_dim = max(16, dim // 2 * 2)
        self.mlp = nn.Sequential(nn.Linear(self.freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        half = self.freq_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
        angles = t.float()[:, None] * freqs[None]
        return self.mlp(torch.cat([angles.sin(), angles.cos()], dim=1))


def _norm(channels: int) -> nn.GroupNorm:
    return nn.GroupNorm(math.gcd(8, channels), channels)


class ResBlock(nn.Module):
    """GroupNorm-SiLU-conv twice, the (time + class) embedding added per channel in between, plus a skip."""

    def __init__(self, c_in: int, c_out: int, emb_dim: int) -> None:
        super().__init__()
        self.conv1 = nn.Sequential(_norm(c_in), nn.SiLU(), nn.Conv2d(c_in, c_out, 3, padding=1))
        self.emb = nn.Linear(emb_dim, c_out)
        self.conv2 = nn.Sequential(_norm(c_out), nn.SiLU(), nn.Conv2d(c_out, c_out, 3, padding=1))
        nn.init.zeros_(self.conv2[-1].weight)  # each block starts as the identity (Ho et al.'s init)
        nn.init.zeros_(self.conv2[-1].bias)
        self.skip = nn.Identity() if c_in == c_out else nn.Conv2d(c_in, c_out, 1)

    def forward(self, x: torch.Tensor, emb: torch.Tensor) -> torch.Tensor:
        h = self.conv1(x) + self.emb(emb)[:, :, None, None]
        return self.skip(x) + self.conv2(h)


class UNet(nn.Module):
    """A two-level U-Net for (C, H, W) with H, W divisible by 4, at a CPU budget.

    The input is folded 2x2 into channels (pixel unshuffle, as a patch-2 stem) so the first level works at
    H/2 x W/2 with `width` channels, the second at H/4 x W/4 with 2 * width (two blocks); upsampling
    (nearest + conv), a skip concatenated from the first level, one block, and the 2x2 unfold back.
    Skipping the full-resolution level quarters the cost of every block there: sampling runs the net
    (steps x 2 with guidance) times per sample.
    """

    def __init__(self, shape: tuple[int, ...], num_classes: int, width: int) -> None:
        super().__init__()
        c = shape[0]
        emb = 4 * width
        self.time = TimeEmbedding(emb)
        self.label = nn.Embedding(num_classes + 1, emb)  # the last index is the null label
        self.stem = nn.Conv2d(4 * c, width, 3, padding=1)
        self.level1 = ResBlock(width, width, emb)
        self.down = nn.Conv2d(width, 2 * width, 3, stride=2, padding=1)
        self.mid = nn.ModuleList([ResBlock(2 * width, 2 * width, emb), ResBlock(2 * width, 2 * width, emb)])
        self.up = nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv2d(2 * width, width, 3, padding=1))
        self.level1_up = ResBlock(2 * width, width, emb)
        self.head = nn.Sequential(_norm(width), nn.SiLU(), nn.Conv2d(width, 4 * c, 3, padding=1))
        nn.init.zeros_(self.head[-1].weight)
        nn.init.zeros_(self.head[-1].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        emb = self.time(t) + self.label(y)
        skip = self.level1(self.stem(F.pixel_unshuffle(x, 2)), emb)
        h = self.down(skip)
        for block in self.mid:
            h = block(h, emb)
        h = self.level1_up(torch.cat([self.up(h), skip], dim=1), emb)
        return F.pixel_shuffle(self.head(h), 2)


class MlpDenoiser(nn.Module):
    """A residual MLP for (D,) features: 3 pre-LayerNorm blocks of 4 * width hidden units, each adding the
    (time + class) embedding before its activation."""

    def __init__(self, shape: tuple[int, ...], num_classes: int, width: int, blocks: int = 3) -> None:
        super().__init__()
        hidden = 4 * width
        self.time = TimeEmbedding(hidden)
        self.label = nn.Embedding(num_classes + 1, hidden)
        self.stem = nn.Linear(shape[0], hidden)
        self.blocks = nn.ModuleList([nn.ModuleDict({"norm": nn.LayerNorm(hidden), "fc1": nn.Linear(hidden, hidden),
                                                    "fc2": nn.Linear(hidden, hidden)}) for _ in range(blocks)])
        self.head = nn.Sequential(nn.LayerNorm(hidden), nn.SiLU(), nn.Linear(hidden, shape[0]))
        for block in self.blocks:
            nn.init.zeros_(block["fc2"].weight)
            nn.init.zeros_(block["fc2"].bias)

    def forward(self, x: torch.Tensor, t: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        emb = self.time(t) + self.label(y)
        h = self.stem(x)
        for block in self.blocks:
            h = h + block["fc2"](F.silu(block["fc1"](block["norm"](h)) + emb))
        return self.head(h)


def build_denoiser(shape: tuple[int, ...], num_classes: int, width: int) -> nn.Module:
    """The U-Net for (C, H, W) inputs, the MLP for (D,) features."""
    return MlpDenoiser(shape, num_classes, width) if len(shape) == 1 else UNet(shape, num_classes, width)
