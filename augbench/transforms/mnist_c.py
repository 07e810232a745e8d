"""MNIST-C's 15 corruptions (Mu & Gilmer 2019), as google-research/mnist-c `corruptions.py` computes them,
each at the one severity the published dataset uses (the reference functions' default severities).

Each corruption takes one uint8 [28, 28] digit and a `numpy.random.RandomState` and returns the corrupted
digit as float32 in [0, 255], as the reference's functions do (the cast decides a value such as
250.99999999999997, which float32 rounds to 251); the benchmark stores np.uint8 of that. MNIST-C has one severity per corruption, so
its mean is over the 15 corruptions alone.

Where this differs from the reference, and why:
- motion blur uses ImageMagick's definition written out in numpy (`corruption_primitives.motion_blur`)
  instead of ImageMagick through Wand, a system library.
- glass blur: the reference calls skimage's `gaussian(..., multichannel=True)` on a 2-D digit, which
  blurs along the rows' axis only (the last axis is taken for channels); `sigma=(s, 0)` keeps that.
- impulse noise draws skimage's salt-and-pepper from a seed taken from the state (the reference's skimage
  drew from numpy's global state), so a run is reproducible.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
from skimage import color as sk_color, feature, transform
from skimage.filters import gaussian
from skimage.util import random_noise

from augbench.transforms.corruption_primitives import line_from_points, motion_blur as magick_motion_blur, plasma_fractal

SIZE = 28
CENTRE = 13.5  # the affine corruptions keep the digit's centre fixed

Corruption = Callable[[np.ndarray, np.random.RandomState], np.ndarray]


def shot_noise(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = 3  # severity 5: photons at full intensity
    x = np.array(x) / 255.
    return (np.clip(rng.poisson(x * c) / float(c), 0, 1) * 255).astype(np.float32)


def impulse_noise(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = 0.17  # severity 4: share of pixels set to salt or pepper
    x = random_noise(np.array(x) / 255., mode="s&p", amount=c, rng=int(rng.randint(2 ** 31)))
    return (np.clip(x, 0, 1) * 255).astype(np.float32)


def glass_blur(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    sigma, max_delta, iterations = 0.7, 1, 2  # severity 1
    x = np.uint8(gaussian(np.array(x) / 255., sigma=(sigma, 0)) * 255)
    for _ in range(iterations):  # locally shuffle pixels, each with probability 1/2
        for h in range(SIZE - max_delta, max_delta, -1):
            for w in range(SIZE - max_delta, max_delta, -1):
                if rng.choice([True, False], 1)[0]:
                    dx, dy = rng.randint(-max_delta, max_delta, size=(2,))
                    h_prime, w_prime = h + dy, w + dx
                    x[h, w], x[h_prime, w_prime] = x[h_prime, w_prime], x[h, w]
    return (np.clip(gaussian(x / 255., sigma=(sigma, 0)), 0, 1) * 255).astype(np.float32)


def motion_blur(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    radius, sigma = 10, 3  # severity 1
    blurred = magick_motion_blur(np.asarray(x, dtype=np.uint8), radius=radius, sigma=sigma, angle=rng.uniform(-45, 45))
    return blurred.astype(np.float32)


def _about_centre(**params: object) -> transform.AffineTransform:
    """An affine map with `params` (skimage's names) that leaves the image centre where it is."""
    aff = transform.AffineTransform(**params)
    a1, a2 = aff.params[0, :2]
    b1, b2 = aff.params[1, :2]
    return transform.AffineTransform(**params, translation=[CENTRE * (1 - a1 - a2), CENTRE * (1 - b1 - b2)])


def shear(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = 0.4 * rng.choice([-1, 1], 1)[0]  # severity 2, in a random direction
    x = transform.warp(np.array(x) / 255., inverse_map=_about_centre(shear=c))
    return (np.clip(x, 0, 1) * 255.).astype(np.float32)


def scale(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = (1 / .7, 1 / .7)  # severity 3: the inverse map magnifies by 1/0.7, so the digit shrinks to 70%
    x = transform.warp(np.array(x) / 255., inverse_map=_about_centre(scale=c))
    return (np.clip(x, 0, 1) * 255).astype(np.float32)


def rotate(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = 0.4 * rng.choice([-1, 1], 1)[0]  # severity 2: radians, in a random direction
    x = transform.warp(np.array(x) / 255., inverse_map=_about_centre(rotation=c))
    return (np.clip(x, 0, 1) * 255).astype(np.float32)


def brightness(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = .5  # severity 5: added to HSV value
    x = sk_color.rgb2hsv(sk_color.gray2rgb(np.array(x) / 255.))
    x[:, :, 2] = np.clip(x[:, :, 2] + c, 0, 1)
    x = sk_color.rgb2gray(sk_color.hsv2rgb(x))
    return (np.clip(x, 0, 1) * 255).astype(np.float32)


def translate(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = 3  # severity 3: pixels along each axis, each in a random direction
    bit = rng.choice([-1, 1], 2)
    aff = transform.AffineTransform(translation=[c * bit[0], c * bit[1]])
    x = transform.warp(np.array(x) / 255., inverse_map=aff)
    return (np.clip(x, 0, 1) * 255).astype(np.float32)


def stripe(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    x = np.array(x).astype(np.float32)
    x[:, :7] = 255. - x[:, :7]
    x[:, 21:] = 255. - x[:, 21:]
    return x


def fog(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = (3., 1.4)  # severity 5: fog strength, wibble decay
    x = np.array(x) / 255.
    max_val = x.max()
    x = x + c[0] * plasma_fractal(rng, mapsize=256, wibbledecay=c[1])[:SIZE, :SIZE]
    return (np.clip(x * max_val / (max_val + c[0]), 0, 1) * 255).astype(np.float32)


def spatter(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    c = (0.65, 0.3, 1, 0.65, 1.5, 1)  # severity 4: mud
    x = np.array(x, dtype=np.float32) / 255.
    liquid_layer = rng.normal(size=x.shape, loc=c[0], scale=c[1])
    liquid_layer = gaussian(liquid_layer, sigma=c[2])
    liquid_layer[liquid_layer < c[3]] = 0
    m = np.where(liquid_layer > c[3], 1, 0)
    m = gaussian(m.astype(np.float32), sigma=c[4])
    m[m < 0.8] = 0
    mud = 63 / 255. * np.ones_like(x) * m
    x *= (1 - m)
    return (np.clip(x + mud, 0, 1) * 255).astype(np.float32)


def dotted_line(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    x = np.array(x) / 255.
    r0, r1 = rng.randint(low=0, high=27, size=2)
    line = line_from_points(0, r0, 27, r1, SIZE)
    edges = np.arange(0, 30, 2)
    off = True
    for i in range(1, len(edges)):  # blank every other 2-pixel stretch
        if off:
            line[:, edges[i - 1]:edges[i]] = 0
        off = not off
    return (np.clip(x + line, 0, 1) * 255).astype(np.float32)


def zigzag(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    x = np.array(x) / 255.
    a, b = 2., 2.  # length and width of the zigzags
    c0, c1 = 2, 25
    r0 = rng.randint(low=0, high=27)
    r1 = r0 + rng.randint(low=-5, high=5)
    theta = np.arctan((r1 - r0) / (c1 - c0))
    d = (c1 - c0) / np.cos(theta)  # length of the straight line
    endpoints = [(0, 0)]
    for i in range(int((d - a) // (2 * a)) + 1):
        r_i = (-1) ** i * b
        endpoints.append(((2 * i + 1) * a, r_i))
    max_c = (2 * a) * (d // (2 * a))
    if d != max_c:
        endpoints.append((d, r_i / (2 * (d - max_c))))
    ends = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]]).dot(np.array(endpoints).T)
    cs, rs = ends
    cs += c0
    rs += r0
    for i in range(1, ends.shape[1]):
        x += line_from_points(cs[i - 1], rs[i - 1], cs[i], rs[i], SIZE)
        x = np.clip(x, 0, 1)
    return (x * 255).astype(np.float32)


def canny_edges(x: np.ndarray, rng: np.random.RandomState) -> np.ndarray:
    return feature.canny(np.array(x) / 255.).astype(np.float32) * 255


# The published dataset's 15, in its order.
CORRUPTIONS: dict[str, Corruption] = {
    "shot_noise": shot_noise, "impulse_noise": impulse_noise, "glass_blur": glass_blur, "motion_blur": motion_blur,
    "shear": shear, "scale": scale, "rotate": rotate, "brightness": brightness, "translate": translate,
    "stripe": stripe, "fog": fog, "spatter": spatter, "dotted_line": dotted_line, "zigzag": zigzag,
    "canny_edges": canny_edges,
}
# The settings, for the docs and the report.
SETTINGS: dict[str, str] = {
    "shot_noise": "Poisson, 3 photons at full intensity (severity 5)",
    "impulse_noise": "salt and pepper on 17% of pixels (severity 4)",
    "glass_blur": "sigma 0.7 along rows, 2 passes of local pixel swaps (severity 1)",
    "motion_blur": "ImageMagick motion blur, radius 10, sigma 3, angle in [-45, 45] degrees (severity 1)",
    "shear": "shear 0.4 about the centre, random direction (severity 2)",
    "scale": "shrunk to 70% about the centre (severity 3)",
    "rotate": "0.4 rad (23 degrees) about the centre, random direction (severity 2)",
    "brightness": "HSV value + 0.5 (severity 5)",
    "translate": "3 px along each axis, random directions (severity 3)",
    "stripe": "left 7 and right 7 columns inverted",
    "fog": "plasma fractal, strength 3, decay 1.4 (severity 5)",
    "spatter": "mud blots (severity 4)",
    "dotted_line": "a dotted line across the digit",
    "zigzag": "a zigzag line across the digit",
    "canny_edges": "Canny edge map of the digit",
}
