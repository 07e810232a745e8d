"""classic: per-sample crops and flips, never a flipped digit, exactly the shifted content."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from augbench.transforms.augmentations import apply_crop_flip, draw_crop_flip
from augbench.methods.classic import Classic, ClassicParams
from augbench.tasks import TASKS


def classic(task_name: str, seed: int = 0, **params) -> Classic:
    return Classic(ClassicParams(**params), TASKS.get(task_name)(), seed)


def test_each_sample_gets_its_own_crop(small_batches):
    x, y = small_batches["cifar10"]
    repeated = x[:1].repeat(64, 1, 1, 1)
    out, _ = classic("cifar10").augment(repeated, y[:1].repeat(64), None)
    distinct = {tuple(o.flatten().tolist()) for o in out}
    assert len(distinct) > 20, "one set of crop parameters was applied to the whole batch"


def test_crop_is_the_padded_image_at_the_drawn_offset(small_batches):
    x, _ = small_batches["cifar10"]
    generator = torch.Generator().manual_seed(1)
    draw = draw_crop_flip(len(x), 4, True, generator, x.device)
    out = apply_crop_flip(x, draw, 4)
    padded = F.pad(x, (4, 4, 4, 4))
    for i in range(len(x)):
        top, left = int(draw.top[i]), int(draw.left[i])
        expected = padded[i, :, top:top + 32, left:left + 32]
        if draw.flip[i]:
            expected = expected.flip(-1)
        assert torch.equal(out[i], expected)


def test_mnist_is_never_flipped(small_batches):
    x, y = small_batches["mnist"]
    out, out_y = classic("mnist", padding=0).augment(x.repeat(8, 1, 1, 1), y.repeat(8), None)
    assert torch.equal(out, x.repeat(8, 1, 1, 1))  # no padding: only a flip could change anything
    assert torch.equal(out_y, y.repeat(8))
    with pytest.raises(ValueError, match="classic.flip=true is invalid for task 'mnist'"):
        classic("mnist", flip=True)


def test_cifar10_flips_some_samples_and_not_others(small_batches):
    x, y = small_batches["cifar10"]
    batch = x.repeat(8, 1, 1, 1)
    out, _ = classic("cifar10", padding=0).augment(batch, y.repeat(8), None)
    same = (out == batch).flatten(1).all(1)
    mirrored = (out == batch.flip(-1)).flatten(1).all(1)
    assert bool((same | mirrored).all())
    assert 0 < int(mirrored.sum()) < len(batch) and 0 < int(same.sum())


def test_task_defaults_are_resolved_into_the_params():
    assert classic("mnist").resolved_params() == {"padding": 2, "flip": False}
    assert classic("cifar10").resolved_params() == {"padding": 4, "flip": True}
    assert classic("cifar10", padding=2, flip=False).resolved_params() == {"padding": 2, "flip": False}


def test_invalid_padding_is_refused():
    with pytest.raises(ValueError, match="classic.padding=-1"):
        classic("cifar10", padding=-1)


def test_other_seed_other_output(small_batches):
    x, y = small_batches["cifar10"]
    a, _ = classic("cifar10", seed=0).augment(x, y, None)
    b, _ = classic("cifar10", seed=1).augment(x, y, None)
    assert not torch.equal(a, b)
