"""Corruptions: deterministic for a seed, they change the input, and keep shape, dtype and range."""

from __future__ import annotations

import pytest
import torch

from augbench.transforms.corruptions import CORRUPTIONS, IMAGE_CORRUPTIONS, corrupt
from augbench.tasks import TASKS


def test_the_image_set_covers_the_issue_list():
    assert set(IMAGE_CORRUPTIONS) >= {"gaussian_noise", "shot_noise", "impulse_noise", "gaussian_blur", "contrast",
                                      "brightness", "pixelate", "jpeg"}
    for name in TASKS.list():
        assert set(TASKS.get(name).corruptions) <= set(CORRUPTIONS)


@pytest.mark.parametrize("task_name", ["mnist", "cifar10"])
@pytest.mark.parametrize("name", IMAGE_CORRUPTIONS)
def test_corruption_contract(small_batches, task_name, name):
    x, _ = small_batches[task_name]
    before = x.clone()
    out = corrupt(name, x, seed=0)
    assert out.shape == x.shape and out.dtype == x.dtype and out.device == x.device
    assert out.min() >= 0 and out.max() <= 1
    assert (out - x).abs().mean() > 1e-3, f"{name} left the images unchanged"
    assert torch.equal(x, before), f"{name} modified its input"
    assert torch.equal(corrupt(name, x, seed=0), out)


@pytest.mark.parametrize("name", ["gaussian_noise", "shot_noise", "impulse_noise"])
def test_noise_depends_on_the_seed(small_batches, name):
    x, _ = small_batches["cifar10"]
    assert not torch.equal(corrupt(name, x, seed=0), corrupt(name, x, seed=1))


def test_brightness_matches_hsv_value_shift():
    # An orange pixel: HSV value 0.8 -> 0.95, hue and saturation kept, so RGB scales by 0.95 / 0.8.
    x = torch.tensor([0.8, 0.4, 0.2]).view(1, 3, 1, 1)
    out = corrupt("brightness", x, seed=0)
    assert torch.allclose(out.flatten(), torch.tensor([0.95, 0.475, 0.2375]), atol=1e-6)


def test_empty_batch(small_batches):
    x, _ = small_batches["mnist"]
    for name in IMAGE_CORRUPTIONS:
        assert corrupt(name, x[:0], seed=0).shape == x[:0].shape
