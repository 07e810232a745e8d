"""Per-sample image operations for Cutout, TrivialAugment and RandAugment, vectorized over a batch.

Every op is a pure function of float images [N, C, H, W] in [0, 1] and a per-sample magnitude [N] in the
op's own unit (degrees, pixels, an enhancement factor offset, bits, a threshold); a sample's result never
depends on the rest of its batch. The ops follow torchvision v2's kernels (`transforms.v2.functional`)
on uint8-valued images, the reference the tests compare with: geometric ops warp with nearest-neighbour
sampling and fill 0, posterize and equalize work on the 256 uint8 levels. `apply_ops` applies a
different op to each sample: samples are grouped with one sort (the five geometric ops share one warp
with per-sample matrices), so each op runs once on the samples that drew it, with no loop over samples.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
import torch.nn.functional as F

# Luma weights of torchvision's rgb_to_grayscale (ITU-R 601-2).
_LUMA = (0.2989, 0.587, 0.114)


def _per_sample(m: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """A magnitude [N] as x's dtype, shaped to broadcast over [N, C, H, W]."""
    return m.to(x.dtype).view(-1, 1, 1, 1)


def _blend(x: torch.Tensor, other: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """factor * x + (1 - factor) * other, clipped to [0, 1] (PIL's ImageEnhance blend)."""
    f = _per_sample(factor, x)
    return (x * f + other * (1.0 - f)).clamp(0.0, 1.0)


def _grayscale(x: torch.Tensor) -> torch.Tensor:
    """[N, 1, H, W] luma of RGB images; grayscale images as they are."""
    if x.shape[1] == 1:
        return x
    r, g, b = x.unbind(1)
    return (r * _LUMA[0] + g * _LUMA[1] + b * _LUMA[2]).unsqueeze(1)


# --- geometric ops: one batched grid_sample with a per-sample inverse matrix ---------------------------


def warp(x: torch.Tensor, inverse: torch.Tensor) -> torch.Tensor:
    """Resample each image through its own inverse affine map, nearest neighbour, fill 0: one batched
    `grid_sample` on torchvision's grid (`_affine_grid`: pixel centres, the matrix rescaled to [-1, 1]
    before the product), so each image matches torchvision's `affine`/`rotate` of it.

    (Gathering the nearest pixels with one `take` instead gave identical output but ran at 0.4-0.8x of
    grid_sample's speed on CPU.)

    Args:
        x: images [N, C, H, W].
        inverse: [N, 2, 3], for each output pixel (u, v) the input point it reads, both in pixel units
            centred on the image centre (torchvision's `_get_inverse_affine_matrix` convention).
    """
    n, _, h, w = x.shape
    if n == 0:
        return x.clone()
    dtype = x.dtype if x.is_floating_point() else torch.float32
    base = torch.empty(1, h, w, 3, dtype=dtype, device=x.device)
    base[..., 0] = torch.linspace((1.0 - w) * 0.5, (w - 1.0) * 0.5, w, dtype=dtype, device=x.device)
    base[..., 1] = torch.linspace((1.0 - h) * 0.5, (h - 1.0) * 0.5, h, dtype=dtype, device=x.device).unsqueeze(-1)
    base[..., 2] = 1.0
    scale = torch.tensor([0.5 * w, 0.5 * h], dtype=dtype, device=x.device)
    theta = inverse.to(dtype).transpose(1, 2) / scale  # [N, 3, 2]
    grid = torch.matmul(base.view(1, h * w, 3), theta).view(n, h, w, 2)
    return F.grid_sample(x, grid, mode="nearest", padding_mode="zeros", align_corners=False)


def _identity_inverse(n: int, device: torch.device) -> torch.Tensor:
    """Identity inverse matrices [N, 2, 3] in float64 (entries are computed exactly, then cast once)."""
    return torch.eye(2, 3, dtype=torch.float64, device=device).expand(n, 2, 3).clone()


# Each geometric op as its inverse matrix: (m [N], (H, W)) -> [N, 2, 3] in centred pixel units.


def shear_x_inverse(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Horizontal shear by factor m: x_in = x + m * y about the top edge (PIL's (1, m, 0, 0, 1, 0))."""
    t = m.to(torch.float64)
    inv = _identity_inverse(len(m), m.device)
    inv[:, 0, 1] = t
    inv[:, 0, 2] = t * (0.5 * size[0])
    return inv


def shear_y_inverse(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Vertical shear by factor m: y_in = y + m * x about the left edge."""
    t = m.to(torch.float64)
    inv = _identity_inverse(len(m), m.device)
    inv[:, 1, 0] = t
    inv[:, 1, 2] = t * (0.5 * size[1])
    return inv


def translate_x_inverse(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Shift right by m pixels (negative: left)."""
    inv = _identity_inverse(len(m), m.device)
    inv[:, 0, 2] = -m.to(torch.float64)
    return inv


def translate_y_inverse(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Shift down by m pixels (negative: up)."""
    inv = _identity_inverse(len(m), m.device)
    inv[:, 1, 2] = -m.to(torch.float64)
    return inv


def rotate_inverse(m: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Rotate counter-clockwise by m degrees about the image centre."""
    angle = torch.deg2rad(m.to(torch.float64))
    cos, sin = torch.cos(angle), torch.sin(angle)
    inv = _identity_inverse(len(m), m.device)
    inv[:, 0, 0], inv[:, 0, 1] = cos, -sin
    inv[:, 1, 0], inv[:, 1, 1] = sin, cos
    return inv


AFFINE: dict[str, Callable[[torch.Tensor, tuple[int, int]], torch.Tensor]] = {
    "shear_x": shear_x_inverse, "shear_y": shear_y_inverse, "translate_x": translate_x_inverse,
    "translate_y": translate_y_inverse, "rotate": rotate_inverse,
}


def shear_x(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Horizontal shear by factor m; pixels from outside take 0."""
    return warp(x, shear_x_inverse(m, tuple(x.shape[-2:])))


def shear_y(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Vertical shear by factor m; pixels from outside take 0."""
    return warp(x, shear_y_inverse(m, tuple(x.shape[-2:])))


def translate_x(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Shift right by m pixels (negative: left); vacated pixels take 0."""
    return warp(x, translate_x_inverse(m, tuple(x.shape[-2:])))


def translate_y(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Shift down by m pixels (negative: up); vacated pixels take 0."""
    return warp(x, translate_y_inverse(m, tuple(x.shape[-2:])))


def rotate(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Rotate counter-clockwise by m degrees about the image centre; corners take 0."""
    return warp(x, rotate_inverse(m, tuple(x.shape[-2:])))


# --- colour ops ----------------------------------------------------------------------------------


def identity(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """The images unchanged (the magnitude is ignored)."""
    return x


def brightness(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Scale intensities by 1 + m (PIL ImageEnhance.Brightness: a blend with black)."""
    return (x * _per_sample(1.0 + m, x)).clamp(0.0, 1.0)


def color(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Saturation factor 1 + m (a blend with the image's luma); identity on grayscale images, as in PIL."""
    if x.shape[1] == 1:
        return x
    return _blend(x, _grayscale(x), 1.0 + m)


def contrast(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Contrast factor 1 + m: a blend with the image's mean luma."""
    mean = _grayscale(x).mean(dim=(1, 2, 3), keepdim=True)
    return _blend(x, mean, 1.0 + m)


def sharpness(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Sharpness factor 1 + m: a blend with PIL's smoothing filter (3x3, centre 5/13), border pixels kept."""
    n, c, h, w = x.shape
    if n == 0 or h <= 2 or w <= 2:
        return x
    a, b = 1.0 / 13.0, 5.0 / 13.0
    kernel = torch.tensor([[a, a, a], [a, b, a], [a, a, a]], dtype=x.dtype, device=x.device).expand(c, 1, 3, 3)
    blurred = F.conv2d(x, kernel, groups=c)  # [N, C, H-2, W-2]
    inner = x[..., 1:-1, 1:-1]
    out = x.clone()
    out[..., 1:-1, 1:-1] = inner + _per_sample(-m, x) * (blurred - inner)  # factor f: inner + (1 - f)(blurred - inner)
    return out.clamp(0.0, 1.0)


def posterize(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Keep the top m bits (1..8) of each uint8 level: 8 is the identity on uint8-valued images."""
    step = torch.pow(2.0, 8.0 - _per_sample(m, x))
    levels = torch.round(x * 255.0)
    return torch.floor(levels / step) * step / 255.0


def solarize(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Invert the pixels at or above threshold m (in [0, 1]); a threshold above 1 is the identity."""
    return torch.where(x >= _per_sample(m, x), 1.0 - x, x)


def auto_contrast(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Stretch each channel of each image to [0, 1]; a constant channel is left as it is."""
    low = x.amin(dim=(-2, -1), keepdim=True)
    high = x.amax(dim=(-2, -1), keepdim=True)
    flat = high == low
    scale = torch.where(flat, torch.ones_like(high), high - low)
    low = torch.where(flat, torch.zeros_like(low), low)
    return ((x - low) / scale).clamp(0.0, 1.0)


def equalize(x: torch.Tensor, m: torch.Tensor) -> torch.Tensor:
    """Histogram-equalize each channel of each image over the 256 uint8 levels (PIL's lookup table).

    One histogram per (image, channel) from a single bincount over offset levels; a channel with a
    single level (PIL's step 0) is left as it is.
    """
    n, c, h, w = x.shape
    if x.numel() == 0:
        return x
    rows = n * c
    levels = (x * (255.0 + 1.0 - 1e-3)).to(torch.uint8).view(rows, h * w).long()  # torchvision's float -> uint8
    offsets = torch.arange(rows, device=x.device).unsqueeze(1) * 256
    hist = torch.bincount((levels + offsets).view(-1), minlength=rows * 256).view(rows, 256)
    cum = hist.cumsum(dim=1)
    last = cum.argmax(dim=1, keepdim=True)  # the first level reaching the total: the highest level present
    step = (h * w - hist.gather(1, last)) // 255  # [rows, 1]
    lut = ((cum[:, :-1] + step // 2) // step.clamp(min=1)).clamp(0, 255)
    lut = torch.cat([torch.zeros_like(lut[:, :1]), lut], dim=1)
    out = (lut.gather(1, levels).to(x.dtype) / 255.0).view(n, c, h, w)
    return torch.where((step > 0).view(n, c, 1, 1), out, x)


# --- op spaces and per-sample application ----------------------------------------------------------


Op = Callable[[torch.Tensor, torch.Tensor], torch.Tensor]

OPS: dict[str, Op] = {
    "identity": identity, "shear_x": shear_x, "shear_y": shear_y, "translate_x": translate_x,
    "translate_y": translate_y, "rotate": rotate, "auto_contrast": auto_contrast, "equalize": equalize,
    "solarize": solarize, "posterize": posterize, "contrast": contrast, "color": color,
    "brightness": brightness, "sharpness": sharpness,
}
OP_NAMES: tuple[str, ...] = tuple(OPS)


@dataclass(frozen=True)
class OpSpace:
    """The magnitude ranges of the 14 ops, as torchvision's `_AUGMENTATION_SPACE` states them.

    Bin b of `bins` maps linearly to b / (bins - 1) of each range; signed ops take a random sign.
    """

    shear: float  # largest shear factor (x_in = x + factor * y)
    translate: float  # largest shift in pixels, when `translate_share` is None
    rotate: float  # largest rotation, degrees
    enhance: float  # largest |factor - 1| of brightness, color, contrast, sharpness
    posterize_drop: int  # bits posterize removes at the last bin (it keeps 8 - round(b / (bins - 1) * drop))
    translate_share: float | None = None  # largest shift as a share of the image side (overrides `translate`)

    def translate_px(self, side: int) -> float:
        return self.translate if self.translate_share is None else self.translate_share * side


# TrivialAugment's "wide" space (Muller & Hutter 2021, Table 1; torchvision TrivialAugmentWide).
WIDE = OpSpace(shear=0.99, translate=32.0, rotate=135.0, enhance=0.99, posterize_drop=6)
# RandAugment's space (AutoAugment's ranges, Cubuk et al. 2020; torchvision RandAugment): shifts up to
# 150/331 of the side (AutoAugment's 150 px on 331-px ImageNet crops).
STANDARD = OpSpace(shear=0.3, translate=0.0, rotate=30.0, enhance=0.9, posterize_drop=4, translate_share=150.0 / 331.0)

SIGNED = frozenset({"shear_x", "shear_y", "translate_x", "translate_y", "rotate", "brightness", "color",
                    "contrast", "sharpness"})


@dataclass(frozen=True)
class MagnitudeTable:
    """Each op's magnitude per bin, in the op's unit: degrees (rotate), whole pixels (translate, truncated
    as torchvision's int()), factor offsets (shear, enhance ops), bits kept (posterize), a threshold in
    [0, 1] (solarize), 0 for ops without one."""

    values: torch.Tensor  # float32 [num_ops, bins], unsigned
    signed: torch.Tensor  # bool [num_ops]: the op takes a random sign

    def to(self, device: torch.device) -> "MagnitudeTable":
        """The table on `device`: itself when already there, so a method may call this every batch."""
        if self.values.device == torch.device(device):
            return self
        return MagnitudeTable(self.values.to(device), self.signed.to(device))

    def of(self, draw: "OpDraw") -> torch.Tensor:
        """float32 [N]: each sample's magnitude from its op, bin and sign draw."""
        value = self.values[draw.op_index, draw.level]
        return torch.where(self.signed[draw.op_index] & draw.negate, -value, value)


def magnitude_table(ops: tuple[str, ...], space: OpSpace, bins: int, size: tuple[int, int]) -> MagnitudeTable:
    """The magnitudes of `ops` over `bins` bins of `space` for H x W images, computed as torchvision
    computes them (float32 `linspace`), so a bin means exactly what it means there."""
    h, w = size
    top = {"shear_x": space.shear, "shear_y": space.shear, "rotate": space.rotate,
           "translate_x": space.translate_px(w), "translate_y": space.translate_px(h),
           **{name: space.enhance for name in ("brightness", "color", "contrast", "sharpness")}}
    rows = []
    for name in ops:
        if name == "posterize":
            row = (8 - (torch.arange(bins) / ((bins - 1) / space.posterize_drop))).round()
        elif name == "solarize":
            row = torch.linspace(1.0, 0.0, bins)
        else:
            row = torch.linspace(0.0, top.get(name, 0.0), bins)
            if name in ("translate_x", "translate_y"):
                row = row.trunc()
        rows.append(row.float())
    return MagnitudeTable(torch.stack(rows), torch.tensor([name in SIGNED for name in ops]))


def apply_ops(x: torch.Tensor, op_index: torch.Tensor, magnitude: torch.Tensor, ops: tuple[str, ...]) -> torch.Tensor:
    """Apply op `ops[op_index[i]]` with `magnitude[i]` to sample i; `x` [N, C, H, W] is not modified.

    The batch is sorted once into groups: all geometric ops form one group, warped together by one
    `warp` with each sample's own matrix; every other op is a group of its own and runs once on its
    samples, read with `index_select` and written back with `index_copy_`. One host read (the group sizes).
    """
    if x.shape[0] == 0:
        return x.clone()
    names = [name for name in ops if name not in AFFINE]
    group_of = torch.tensor([0 if name in AFFINE else 1 + names.index(name) for name in ops], device=x.device)
    group = group_of[op_index]
    order = torch.argsort(group, stable=True)
    counts = torch.bincount(group, minlength=1 + len(names)).tolist()
    out = torch.empty_like(x)
    for g, rows in enumerate(order.split(counts)):
        if len(rows) == 0:
            continue
        chunk, m = x.index_select(0, rows), magnitude.index_select(0, rows)
        if g > 0:
            out.index_copy_(0, rows, OPS[names[g - 1]](chunk, m))
            continue
        index = op_index.index_select(0, rows)
        inverse = _identity_inverse(len(rows), x.device)
        for i, name in enumerate(ops):
            if name in AFFINE:
                inverse = torch.where((index == i).view(-1, 1, 1), AFFINE[name](m, tuple(x.shape[-2:])), inverse)
        out.index_copy_(0, rows, warp(chunk, inverse))
    return out


# --- cutout ------------------------------------------------------------------------------------


def draw_centres(n: int, size: tuple[int, int], generator: torch.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Square centres (row [N], column [N]), uniform over the pixels of an H x W map."""
    h, w = size
    rows = torch.randint(0, h, (n,), generator=generator, device=device)
    cols = torch.randint(0, w, (n,), generator=generator, device=device)
    return rows, cols


def cutout(x: torch.Tensor, rows: torch.Tensor, cols: torch.Tensor, side: int, fill: torch.Tensor) -> torch.Tensor:
    """Set one side x side square per sample, centred at (rows[i], cols[i]) and clipped at the border, to `fill`.

    The square spans rows [r - side // 2, r - side // 2 + side): for even sides DeVries & Taylor's
    [r - side/2, r + side/2). `fill` broadcasts over [N, C, H, W] (a per-channel value [1, C, 1, 1]).
    """
    h, w = x.shape[-2:]
    top, left = rows - side // 2, cols - side // 2
    r = torch.arange(h, device=x.device)
    c = torch.arange(w, device=x.device)
    in_rows = (r >= top[:, None]) & (r < top[:, None] + side)  # [N, H]
    in_cols = (c >= left[:, None]) & (c < left[:, None] + side)  # [N, W]
    mask = in_rows[:, None, :, None] & in_cols[:, None, None, :]
    return torch.where(mask, fill.to(x.dtype), x)


def cutout_area(rows: torch.Tensor, cols: torch.Tensor, side: int, size: tuple[int, int]) -> torch.Tensor:
    """Pixels [N] each clipped square covers: the count `cutout` sets per channel."""
    h, w = size
    top, left = rows - side // 2, cols - side // 2
    height = (top + side).clamp(max=h) - top.clamp(min=0)
    width = (left + side).clamp(max=w) - left.clamp(min=0)
    return height * width



@dataclass(frozen=True)
class OpDraw:
    """Per-sample random choices of one op layer (TrivialAugment's single op, one of RandAugment's N)."""

    op_index: torch.Tensor  # int64 [N], index into the method's op list
    level: torch.Tensor  # int64 [N], magnitude bin in [0, bins)
    negate: torch.Tensor  # bool [N], negative magnitude (signed ops only)


def draw_ops(n: int, num_ops: int, bins: int, generator: torch.Generator, device: torch.device,
             level: int | None = None) -> OpDraw:
    """Independent, uniform op choices for `n` samples; the bin uniform too, or fixed at `level` (RandAugment's M)."""
    op_index = torch.randint(0, num_ops, (n,), generator=generator, device=device)
    if level is None:
        levels = torch.randint(0, bins, (n,), generator=generator, device=device)
    else:
        levels = torch.full((n,), level, dtype=torch.int64, device=device)
    negate = torch.rand(n, generator=generator, device=device) < 0.5
    return OpDraw(op_index, levels, negate)
