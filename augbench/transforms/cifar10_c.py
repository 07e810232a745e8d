"""CIFAR-10-C's 15 benchmark corruptions at severities 1-5 (Hendrycks & Dietterich 2019), as
hendrycks/robustness `ImageNet-C/create_c/make_cifar_c.py` computes them, with its CIFAR constants.

Each corruption takes one uint8 [32, 32, 3] RGB image, a severity in 1-5 and a `numpy.random.RandomState`,
and returns the corrupted image as floats in [0, 255] (the dataset stores np.uint8 of that: truncated, as the
reference's `np.uint8(corruption(img))` does; `apply` does it). Only the benchmark's 15 are here: speckle
noise, Gaussian blur, spatter and saturate are CIFAR-10-C's held-out validation corruptions, and a model
tuned on them would not be judged on unseen corruptions.

Where this differs from the reference, and why:
- motion blur (and snow's motion-blurred flakes) use ImageMagick's definition written out in numpy
  (`corruption_primitives.motion_blur`) instead of ImageMagick through Wand, a system library.
- skimage's `multichannel=True`, removed from scikit-image, is its equivalent `channel_axis=-1`.
- impulse noise draws skimage's salt-and-pepper from a seed taken from the state (the reference's skimage
  drew from numpy's global state), so a run is reproducible.
- frost crops come from the reference's frost textures already resized by its 0.2 (assets/cifar10_c_frost,
  made by studies/robustness/corruption_frost_assets.py from the reference's files).
"""

from __future__ import annotations

from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Callable

import cv2
import numpy as np
from PIL import Image
from scipy.ndimage import map_coordinates
from skimage import color as sk_color
from skimage.filters import gaussian
from skimage.util import random_noise

from augbench.transforms.corruption_primitives import clipped_zoom, disk, motion_blur as magick_motion_blur, plasma_fractal

SIZE = 32
FROST_DIR = Path(__file__).parent / "assets" / "cifar10_c_frost"

Corruption = Callable[[np.ndarray, int, np.random.RandomState], np.ndarray]


def gaussian_noise(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [0.04, 0.06, .08, .09, .10][severity - 1]
    x = np.array(x) / 255.
    return np.clip(x + rng.normal(size=x.shape, scale=c), 0, 1) * 255


def shot_noise(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [500, 250, 100, 75, 50][severity - 1]
    x = np.array(x) / 255.
    return np.clip(rng.poisson(x * c) / c, 0, 1) * 255


def impulse_noise(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [.01, .02, .03, .05, .07][severity - 1]
    x = random_noise(np.array(x) / 255., mode="s&p", amount=c, rng=int(rng.randint(2 ** 31)))
    return np.clip(x, 0, 1) * 255


def defocus_blur(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(0.3, 0.4), (0.4, 0.5), (0.5, 0.6), (1, 0.2), (1.5, 0.1)][severity - 1]
    x = np.array(x) / 255.
    kernel = disk(radius=c[0], alias_blur=c[1])
    channels = np.array([cv2.filter2D(x[:, :, d], -1, kernel) for d in range(3)]).transpose((1, 2, 0))
    return np.clip(channels, 0, 1) * 255


def glass_blur(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(0.05, 1, 1), (0.25, 1, 1), (0.4, 1, 1), (0.25, 1, 2), (0.4, 1, 2)][severity - 1]  # sigma, max delta, iterations
    x = np.uint8(gaussian(np.array(x) / 255., sigma=c[0], channel_axis=-1) * 255)
    # The reference shuffles pixels locally with `x[h, w], x[h', w'] = x[h', w'], x[h, w]`. On a colour image
    # x[h, w] is a view, so that statement copies the neighbour's pixel into (h, w) rather than swapping the two;
    # this loop does exactly that, on pixels packed into one int each (plain Python lists: 20x faster than
    # numpy's per-pixel indexing, the same output). The reference draws (dx, dy) per pixel in loop order; one
    # draw of all of them gives the same numbers (numpy's legacy randint fills arrays element by element).
    span = range(SIZE - c[1], c[1], -1)
    shifts = rng.randint(-c[1], c[1], size=(c[2] * len(span) ** 2, 2)).tolist()
    packed = ((x[..., 0].astype(np.int64) << 16) | (x[..., 1].astype(np.int64) << 8) | x[..., 2]).tolist()
    draws = iter(shifts)
    for _ in range(c[2]):
        for h in span:
            row = packed[h]
            for w in span:
                dx, dy = next(draws)
                row[w] = packed[h + dy][w + dx]
    flat = np.array(packed, dtype=np.int64)
    x = np.stack([(flat >> 16) & 255, (flat >> 8) & 255, flat & 255], axis=-1).astype(np.uint8)
    return np.clip(gaussian(x / 255., sigma=c[0], channel_axis=-1), 0, 1) * 255


def motion_blur(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(6, 1), (6, 1.5), (6, 2), (8, 2), (9, 2.5)][severity - 1]
    blurred = magick_motion_blur(np.asarray(x, dtype=np.uint8), radius=c[0], sigma=c[1], angle=rng.uniform(-45, 45))
    return np.clip(blurred, 0, 255).astype(np.float64)


def zoom_blur(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [np.arange(1, 1.06, 0.01), np.arange(1, 1.11, 0.01), np.arange(1, 1.16, 0.01),
         np.arange(1, 1.21, 0.01), np.arange(1, 1.26, 0.01)][severity - 1]
    x = (np.array(x) / 255.).astype(np.float32)
    out = np.zeros_like(x)
    for zoom_factor in c:
        out += clipped_zoom(x, zoom_factor)
    return np.clip((x + out) / (len(c) + 1), 0, 1) * 255


def snow(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(0.1, 0.2, 1, 0.6, 8, 3, 0.95),
         (0.1, 0.2, 1, 0.5, 10, 4, 0.9),
         (0.15, 0.3, 1.75, 0.55, 10, 4, 0.9),
         (0.25, 0.3, 2.25, 0.6, 12, 6, 0.85),
         (0.3, 0.3, 1.25, 0.65, 14, 12, 0.8)][severity - 1]
    x = np.array(x, dtype=np.float32) / 255.
    snow_layer = rng.normal(size=x.shape[:2], loc=c[0], scale=c[1])
    snow_layer = clipped_zoom(snow_layer[..., np.newaxis], c[2])
    snow_layer[snow_layer < c[3]] = 0
    flakes = (np.clip(snow_layer.squeeze(), 0, 1) * 255).astype(np.uint8)
    snow_layer = magick_motion_blur(flakes, radius=c[4], sigma=c[5], angle=rng.uniform(-135, -45)) / 255.
    snow_layer = snow_layer[..., np.newaxis]
    x = c[6] * x + (1 - c[6]) * np.maximum(x, cv2.cvtColor(x, cv2.COLOR_RGB2GRAY).reshape(SIZE, SIZE, 1) * 1.5 + 0.5)
    return np.clip(x + snow_layer + np.rot90(snow_layer, k=2), 0, 1) * 255


@lru_cache(maxsize=None)
def frost_textures() -> tuple[np.ndarray, ...]:
    """The reference's frost1-5 as RGB uint8, resized by its 0.2 (the reference draws from the first five)."""
    return tuple(np.asarray(Image.open(FROST_DIR / f"frost{i}.png").convert("RGB")) for i in range(1, 6))


def frost(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(1, 0.2), (1, 0.3), (0.9, 0.4), (0.85, 0.4), (0.75, 0.45)][severity - 1]
    texture = frost_textures()[rng.randint(5)]
    x_start, y_start = rng.randint(0, texture.shape[0] - SIZE), rng.randint(0, texture.shape[1] - SIZE)
    texture = texture[x_start:x_start + SIZE, y_start:y_start + SIZE]
    return np.clip(c[0] * np.array(x) + c[1] * texture, 0, 255)


def fog(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(.2, 3), (.5, 3), (0.75, 2.5), (1, 2), (1.5, 1.75)][severity - 1]
    x = np.array(x) / 255.
    max_val = x.max()
    x += c[0] * plasma_fractal(rng, mapsize=SIZE, wibbledecay=c[1])[:SIZE, :SIZE][..., np.newaxis]
    return np.clip(x * max_val / (max_val + c[0]), 0, 1) * 255


def brightness(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [.05, .1, .15, .2, .3][severity - 1]
    x = sk_color.rgb2hsv(np.array(x) / 255.)
    x[:, :, 2] = np.clip(x[:, :, 2] + c, 0, 1)
    return np.clip(sk_color.hsv2rgb(x), 0, 1) * 255


def contrast(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [.75, .5, .4, .3, 0.15][severity - 1]
    x = np.array(x) / 255.
    means = np.mean(x, axis=(0, 1), keepdims=True)  # per channel
    return np.clip((x - means) * c + means, 0, 1) * 255


def elastic_transform(image: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [(SIZE * 0, SIZE * 0, SIZE * 0.08),
         (SIZE * 0.05, SIZE * 0.2, SIZE * 0.07),
         (SIZE * 0.08, SIZE * 0.06, SIZE * 0.06),
         (SIZE * 0.1, SIZE * 0.04, SIZE * 0.05),
         (SIZE * 0.1, SIZE * 0.03, SIZE * 0.03)][severity - 1]
    image = np.array(image, dtype=np.float32) / 255.
    shape = image.shape
    shape_size = shape[:2]
    # a random affine warp of three points about the centre
    center_square = np.float32(shape_size) // 2
    square_size = min(shape_size) // 3
    pts1 = np.float32([center_square + square_size,
                       [center_square[0] + square_size, center_square[1] - square_size],
                       center_square - square_size])
    pts2 = pts1 + rng.uniform(-c[2], c[2], size=pts1.shape).astype(np.float32)
    image = cv2.warpAffine(image, cv2.getAffineTransform(pts1, pts2), shape_size[::-1], borderMode=cv2.BORDER_REFLECT_101)
    # then a smooth random displacement field
    dx = (gaussian(rng.uniform(-1, 1, size=shape[:2]), c[1], mode="reflect", truncate=3) * c[0]).astype(np.float32)
    dy = (gaussian(rng.uniform(-1, 1, size=shape[:2]), c[1], mode="reflect", truncate=3) * c[0]).astype(np.float32)
    dx, dy = dx[..., np.newaxis], dy[..., np.newaxis]
    xs, ys, zs = np.meshgrid(np.arange(shape[1]), np.arange(shape[0]), np.arange(shape[2]))
    indices = np.reshape(ys + dy, (-1, 1)), np.reshape(xs + dx, (-1, 1)), np.reshape(zs, (-1, 1))
    return np.clip(map_coordinates(image, indices, order=1, mode="reflect").reshape(shape), 0, 1) * 255


def pixelate(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [0.95, 0.9, 0.85, 0.75, 0.65][severity - 1]
    image = Image.fromarray(np.asarray(x, dtype=np.uint8))
    image = image.resize((int(SIZE * c), int(SIZE * c)), Image.BOX).resize((SIZE, SIZE), Image.BOX)
    return np.asarray(image, dtype=np.float64)


def jpeg_compression(x: np.ndarray, severity: int, rng: np.random.RandomState) -> np.ndarray:
    c = [80, 65, 58, 50, 40][severity - 1]
    output = BytesIO()
    Image.fromarray(np.asarray(x, dtype=np.uint8)).save(output, "JPEG", quality=c)
    return np.asarray(Image.open(output), dtype=np.float64)


# The benchmark's order (the reference's table and its published per-corruption results).
CORRUPTIONS: dict[str, Corruption] = {
    "gaussian_noise": gaussian_noise, "shot_noise": shot_noise, "impulse_noise": impulse_noise,
    "defocus_blur": defocus_blur, "glass_blur": glass_blur, "motion_blur": motion_blur, "zoom_blur": zoom_blur,
    "snow": snow, "frost": frost, "fog": fog, "brightness": brightness, "contrast": contrast,
    "elastic_transform": elastic_transform, "pixelate": pixelate, "jpeg_compression": jpeg_compression,
}
SEVERITIES = (1, 2, 3, 4, 5)
