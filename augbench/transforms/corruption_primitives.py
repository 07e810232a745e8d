"""The building blocks CIFAR-10-C's and MNIST-C's corruptions share, as their authors' code defines them.

Hendrycks & Dietterich (2019, hendrycks/robustness `make_cifar_c.py`) and Mu & Gilmer (2019,
google-research/mnist-c `corruptions.py`) build their corruptions from the same helpers: an anti-aliased
disk kernel, a diamond-square plasma fractal, a centre zoom that keeps the image size, ImageMagick's motion
blur, and (MNIST-C) an anti-aliased line. Each function below computes what the reference's helper computes,
with the reference's library where it used one (OpenCV, scipy), so a corruption differs from the reference
only where a library changed between versions. The one helper the reference took from a system library,
ImageMagick's MotionBlurImage (through Wand), is written out here from ImageMagick's definition; the study
`studies/robustness/corruptions_vs_reference.py` measures it against ImageMagick itself.

Random draws come from a `numpy.random.RandomState` passed in, called in the reference's order with the
reference's calls, so a state seeded like the reference's global `np.random` gives the reference's draws.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
from scipy.ndimage import zoom as scipy_zoom


def disk(radius: float, alias_blur: float = 0.1, dtype: type = np.float32) -> np.ndarray:
    """A normalized disk of `radius` pixels, anti-aliased by a small Gaussian (the defocus-blur kernel)."""
    if radius <= 8:
        span, ksize = np.arange(-8, 8 + 1), (3, 3)
    else:
        span, ksize = np.arange(-radius, radius + 1), (5, 5)
    xs, ys = np.meshgrid(span, span)
    aliased = np.array((xs ** 2 + ys ** 2) <= radius ** 2, dtype=dtype)
    aliased /= np.sum(aliased)
    return cv2.GaussianBlur(aliased, ksize=ksize, sigmaX=alias_blur)


def plasma_fractal(rng: np.random.RandomState, mapsize: int = 32, wibbledecay: float = 3) -> np.ndarray:
    """A [mapsize, mapsize] height map in [0, 1] by the diamond-square algorithm (the fog layer).
    `mapsize` must be a power of two; `wibbledecay` sets how fast the detail fades at finer scales."""
    assert mapsize & (mapsize - 1) == 0, "mapsize must be a power of two"
    maparray = np.empty((mapsize, mapsize), dtype=np.float64)
    maparray[0, 0] = 0
    stepsize = mapsize
    wibble = 100.0

    def wibbledmean(array: np.ndarray) -> np.ndarray:
        return array / 4 + wibble * rng.uniform(-wibble, wibble, array.shape)

    def fillsquares() -> None:
        cornerref = maparray[0:mapsize:stepsize, 0:mapsize:stepsize]
        squareaccum = cornerref + np.roll(cornerref, shift=-1, axis=0)
        squareaccum += np.roll(squareaccum, shift=-1, axis=1)
        maparray[stepsize // 2:mapsize:stepsize, stepsize // 2:mapsize:stepsize] = wibbledmean(squareaccum)

    def filldiamonds() -> None:
        size = maparray.shape[0]
        drgrid = maparray[stepsize // 2:size:stepsize, stepsize // 2:size:stepsize]
        ulgrid = maparray[0:size:stepsize, 0:size:stepsize]
        # Summed in the reference's order: floating-point addition is not associative.
        ltsum = (drgrid + np.roll(drgrid, 1, axis=0)) + (ulgrid + np.roll(ulgrid, -1, axis=1))
        maparray[0:size:stepsize, stepsize // 2:size:stepsize] = wibbledmean(ltsum)
        ttsum = (drgrid + np.roll(drgrid, 1, axis=1)) + (ulgrid + np.roll(ulgrid, -1, axis=0))
        maparray[stepsize // 2:size:stepsize, 0:size:stepsize] = wibbledmean(ttsum)

    while stepsize >= 2:
        fillsquares()
        filldiamonds()
        stepsize //= 2
        wibble /= wibbledecay
    maparray -= maparray.min()
    return maparray / maparray.max()


def clipped_zoom(img: np.ndarray, zoom_factor: float) -> np.ndarray:
    """`img` magnified by `zoom_factor` about its centre (bilinear), cropped back to its own size; a
    trailing channel axis, when there is one, is not zoomed."""
    h = img.shape[0]
    ch = int(np.ceil(h / float(zoom_factor)))
    top = (h - ch) // 2
    factors = (zoom_factor, zoom_factor) + (1,) * (img.ndim - 2)
    img = scipy_zoom(img[top:top + ch, top:top + ch], factors, order=1)
    trim_top = (img.shape[0] - h) // 2
    return img[trim_top:trim_top + h, trim_top:trim_top + h]


def motion_blur(image: np.ndarray, radius: float, sigma: float, angle: float) -> np.ndarray:
    """ImageMagick's MotionBlurImage on a uint8 image ([H, W] or [H, W, C]): each pixel becomes the weighted
    mean of the pixels behind it along a line at `angle` degrees, weights a one-sided Gaussian of `sigma`
    over 2 * ceil(radius) + 1 taps, pixels beyond the border repeating the edge (ImageMagick's default
    virtual-pixel method), brought back to uint8 as a 16-bit-quantum ImageMagick (Debian's Q16 build) stores and
    writes it: rounded to a 16-bit level q, then q // 257 (measured: this matches ImageMagick 6.9.11 through Wand on
    every pixel tried; rounding both steps differs on a fifth of them)."""
    width = int(2 * math.ceil(radius) + 1) if radius > 1e-12 else 1
    sigma = max(abs(sigma), 1e-12)
    taps = np.arange(width, dtype=np.float64)
    kernel = np.exp(-(taps * taps) / (2.0 * sigma * sigma)) / (math.sqrt(2 * math.pi) * sigma)
    kernel /= kernel.sum()
    point_x, point_y = width * math.sin(math.radians(angle)), width * math.cos(math.radians(angle))
    hypot = math.hypot(point_x, point_y)
    h, w = image.shape[:2]
    source = image.astype(np.float64)
    rows, cols = np.arange(h)[:, None], np.arange(w)[None, :]
    blurred = np.zeros_like(source)
    for i in range(width):
        dx = math.ceil(i * point_y / hypot - 0.5)
        dy = math.ceil(i * point_x / hypot - 0.5)
        blurred += kernel[i] * source[np.clip(rows + dy, 0, h - 1), np.clip(cols + dx, 0, w - 1)]
    quantum = np.clip(np.floor(257.0 * blurred + 0.5), 0, 65535)
    return (quantum // 257).astype(np.uint8)


def line_from_points(c0: float, r0: float, c1: float, r1: float, size: int = 28) -> np.ndarray:
    """MNIST-C's anti-aliased line from (column c0, row r0) to (c1, r1) on a [size, size] canvas: intensity
    log(1 - d / 2.3) + 1 at distance d from the line, zero outside columns [floor(c0), ceil(c1))."""
    if c1 == c0:
        return np.zeros((size, size))
    cc, rr = np.meshgrid(np.linspace(0, size - 1, size), np.linspace(0, size - 1, size), sparse=True)
    slope = (r1 - r0) / (c1 - c0)
    dist = np.clip(np.abs(rr - (slope * (cc - c0) + r0)), 0, 2.3 - 1e-10)
    line = np.clip(np.log(1 - dist / 2.3) + 1, 0, 1)
    line[:, :int(np.floor(c0))] = 0
    line[:, int(np.ceil(c1)):] = 0
    return np.clip(line, 0, 1)
