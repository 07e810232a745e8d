"""Cutout, TrivialAugment and RandAugment: one square per sample, per-sample op draws, the ops against
torchvision.transforms.v2.functional on real images, identity settings, and the [0, 1] range."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from augbench.transforms import image_ops as O
from augbench.core.seeding import make_generator
from augbench.methods import METHODS
from augbench.methods.base import FitContext
from augbench.tasks import TASKS
from augbench.tasks.base import Split

TF = pytest.importorskip("torchvision.transforms.v2.functional")


def build(method_name: str, task_name: str, seed: int = 0, **params):
    cls, task = METHODS.get(method_name), TASKS.get(task_name)()
    return cls(cls.Params(**params), task, seed)


@pytest.fixture(scope="module")
def cifar(small_batches):
    """8 real CIFAR-10 images: float [8, 3, 32, 32] in [0, 1] (uint8 levels / 255) and the uint8 originals."""
    x = small_batches["cifar10"][0][:8]
    return x, torch.round(x * 255).to(torch.uint8)


# --- cutout --------------------------------------------------------------------------------------------


def test_cutout_masks_one_clipped_square_per_sample():
    n, side, size = 2000, 10, (28, 28)
    rows, cols = O.draw_centres(n, size, make_generator(0, "test"), torch.device("cpu"))
    x = torch.rand(n, 1, *size) * 0.5 + 0.5  # never 0: every 0 after cutout is masked
    out = O.cutout(x, rows, cols, side, torch.zeros(1, 1, 1, 1))
    masked = out == 0
    assert torch.equal(masked.sum(dim=(1, 2, 3)), O.cutout_area(rows, cols, side, size))
    # one axis-aligned box: the masked count is the product of the masked rows and columns
    n_rows, n_cols = masked.any(dim=3).sum(dim=(1, 2)), masked.any(dim=2).sum(dim=(1, 2))
    assert torch.equal(masked.sum(dim=(1, 2, 3)), n_rows * n_cols)
    assert int(n_rows.max()) == side and int(n_cols.max()) == side
    inside = (rows >= side // 2) & (rows + side // 2 <= 28) & (cols >= side // 2) & (cols + side // 2 <= 28)
    assert bool((O.cutout_area(rows, cols, side, size)[inside] == side * side).all())
    assert bool((O.cutout_area(rows, cols, side, size)[~inside] < side * side).all())  # clipped at the border
    assert torch.equal(out[~masked], x[~masked])
    # centres uniform over the pixels: every row and column of the 28 x 28 map is drawn
    assert len(rows.unique()) == 28 and len(cols.unique()) == 28


@pytest.mark.parametrize("task_name,side", [("mnist", 10), ("cifar10", 16), ("fsdd", 14)])
def test_cutout_method_fills_one_square_with_the_training_mean(task_name, side, small_batches):
    x, y = small_batches[task_name]
    x = x.repeat(16, 1, 1, 1)
    method = build("cutout", task_name, size=None)
    assert method.size == side
    method.fit(Split(x, y.repeat(16)), FitContext({}, "smoke", torch.device("cpu"), None))
    expected_fill = x.double().mean(dim=(0, 2, 3)).float()
    assert torch.allclose(method.fill_value.flatten(), expected_fill, atol=1e-6)
    out, out_y = method.augment(x, y.repeat(16), None)
    changed = (out != x).any(dim=1)  # [N, H, W]
    per_sample = changed.sum(dim=(1, 2))
    assert bool((per_sample <= side * side).all()) and bool((per_sample > 0).any())
    n_rows, n_cols = changed.any(dim=2).sum(dim=1), changed.any(dim=1).sum(dim=1)
    assert bool((n_rows <= side).all()) and bool((n_cols <= side).all())
    assert torch.equal(per_sample, n_rows * n_cols)  # one rectangle (pixels equal to the fill may hide a few)
    fill = method.fill_value.expand(len(out), -1, *out.shape[-2:])
    assert torch.equal(out.permute(0, 2, 3, 1)[changed], fill.permute(0, 2, 3, 1)[changed])


def test_cutout_refuses_bad_sizes_and_fills():
    with pytest.raises(ValueError, match=r"cutout.size=40 is invalid.*\[1, 32\]"):
        build("cutout", "cifar10", size=40)
    with pytest.raises(ValueError, match=r"cutout.size=0"):
        build("cutout", "mnist", size=0)
    with pytest.raises(ValueError, match=r"cutout.fill=2.0 is invalid.*\[0.0, 1.0\]"):
        build("cutout", "mnist", fill=2.0)
    with pytest.raises(ValueError, match="trec"):
        build("cutout", "trec")


def test_cutout_square_is_smaller_on_fsdd_at_the_quick_profile():
    """Chosen on validation (results/tuning/fsdd-retune.md, on the 16-band maps); every other task and profile keeps
    SIZES."""
    cutout = METHODS.get("cutout")
    sides = {(profile, name): cutout.default_params(profile, TASKS.get(name)()).size
             for profile in ("smoke", "quick", "full") for name in ("mnist", "cifar10", "fsdd")}
    assert sides == {**{(profile, name): side for profile in ("smoke", "quick", "full")
                        for name, side in (("mnist", 10), ("cifar10", 16), ("fsdd", 14))}, ("quick", "fsdd"): 3}


# --- per-sample draws ---------------------------------------------------------------------------------


def test_draws_cover_every_op_and_bin_uniformly_and_differ_between_samples():
    n = 4096
    draw = O.draw_ops(n, len(O.OP_NAMES), 31, make_generator(0, "test"), torch.device("cpu"))
    ops = torch.bincount(draw.op_index, minlength=len(O.OP_NAMES))
    bins = torch.bincount(draw.level, minlength=31)
    assert bool((ops > 0).all()) and bool((bins > 0).all())
    assert stats.chisquare(ops.numpy()).pvalue > 1e-3  # uniform over the 14 ops
    assert stats.chisquare(bins.numpy()).pvalue > 1e-3  # and over the 31 bins
    assert 0.45 < draw.negate.float().mean() < 0.55
    pairs = torch.stack([draw.op_index, draw.level], 1)
    assert len(pairs.unique(dim=0)) > 300  # 434 (op, bin) pairs: samples do not share one draw


@pytest.mark.parametrize("method_name", ["trivialaugment", "randaugment"])
@pytest.mark.parametrize("task_name", ["mnist", "cifar10"])
def test_one_image_repeated_gets_many_different_results(method_name, task_name, small_batches):
    x = small_batches[task_name][0][:1].repeat(512, 1, 1, 1)
    out, _ = build(method_name, task_name).augment(x, torch.zeros(512, dtype=torch.long), None)
    distinct = len(out.flatten(1).unique(dim=0))
    assert distinct > 100, distinct  # one op per batch would give 1 (or a handful for per-sample magnitudes)
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


def test_trivialaugment_applies_the_op_each_sample_drew(cifar):
    x, _ = cifar
    x = x.repeat(64, 1, 1, 1)
    method = build("trivialaugment", "cifar10", seed=3)
    out, _ = method.augment(x, torch.zeros(len(x), dtype=torch.long), None)
    generator = make_generator(3, "method:TrivialAugment")  # the method's own stream, replayed
    draw = O.draw_ops(len(x), len(method.ops), 31, generator, x.device)
    m = O.magnitude_table(method.ops, O.WIDE, 31, (32, 32)).of(draw)
    for i in range(0, len(x), 37):
        expected = O.OPS[method.ops[draw.op_index[i]]](x[i:i + 1], m[i:i + 1])
        assert torch.equal(out[i:i + 1], expected), (i, method.ops[draw.op_index[i]])


def test_mnist_excludes_rotation_color_and_wide_translation_and_never_flips():
    dropped = ("rotate", "color", "translate_x", "translate_y")
    assert build("trivialaugment", "mnist").ops == tuple(n for n in O.OP_NAMES if n not in dropped)
    assert build("randaugment", "mnist").ops == tuple(n for n in O.OP_NAMES if n != "color")
    assert build("trivialaugment", "cifar10").ops == O.OP_NAMES
    assert not any("flip" in name for name in O.OP_NAMES)


@pytest.mark.parametrize("kwargs,message", [
    ({"num_ops": 0}, r"randaugment.num_ops=0 is invalid: it must be in \[1, 10\]"),
    ({"magnitude": 31}, r"randaugment.magnitude=31 is invalid: it must be in \[0, 30\]"),
])
def test_randaugment_refuses_bad_params(kwargs, message):
    with pytest.raises(ValueError, match=message):
        build("randaugment", "cifar10", **kwargs)


def test_trivialaugment_refuses_bad_bins_and_audio():
    with pytest.raises(ValueError, match=r"trivialaugment.bins=1 is invalid"):
        build("trivialaugment", "cifar10", bins=1)
    with pytest.raises(ValueError, match="fsdd"):
        build("trivialaugment", "fsdd")


# --- the magnitude spaces are torchvision's ----------------------------------------------------------


@pytest.mark.parametrize("space,tv_class", [(O.WIDE, "TrivialAugmentWide"), (O.STANDARD, "RandAugment")])
def test_magnitudes_match_torchvision_spaces(space, tv_class):
    from torchvision.transforms import v2

    tv_space = getattr(v2, tv_class)._AUGMENTATION_SPACE
    tv_names = {"identity": "Identity", "shear_x": "ShearX", "shear_y": "ShearY", "translate_x": "TranslateX",
                "translate_y": "TranslateY", "rotate": "Rotate", "auto_contrast": "AutoContrast",
                "equalize": "Equalize", "solarize": "Solarize", "posterize": "Posterize", "contrast": "Contrast",
                "color": "Color", "brightness": "Brightness", "sharpness": "Sharpness"}
    levels, table = torch.arange(31), O.magnitude_table(O.OP_NAMES, space, 31, (32, 32))
    for i, name in enumerate(O.OP_NAMES):
        fn, signed = tv_space[tv_names[name]]
        assert signed == (name in O.SIGNED), name
        expected = fn(31, 32, 32)
        for negate in (False, True):
            got = table.of(O.OpDraw(torch.full((31,), i), levels, torch.full((31,), negate)))
            if expected is None:
                assert bool((got == 0).all()), name
                continue
            want = expected.float()
            if name.startswith("translate"):
                want = want.trunc()  # torchvision: translate=[int(magnitude), 0]
            if negate and signed:
                want = -want
            assert torch.equal(got, want), (name, got, want)


# --- each op: identity setting, torchvision's result, range ------------------------------------------


@pytest.mark.parametrize("name,identity_magnitude", [
    ("identity", 0.0), ("shear_x", 0.0), ("shear_y", 0.0), ("translate_x", 0.0), ("translate_y", 0.0),
    ("rotate", 0.0), ("brightness", 0.0), ("color", 0.0), ("contrast", 0.0), ("sharpness", 0.0),
    ("posterize", 8.0), ("solarize", 1.01),
])
@pytest.mark.parametrize("task_name", ["mnist", "cifar10"])
def test_each_op_at_its_identity_setting_returns_the_input(name, identity_magnitude, task_name, small_batches):
    x = small_batches[task_name][0]
    out = O.OPS[name](x, torch.full((len(x),), identity_magnitude))
    assert torch.equal(out, x), name


def _tv_affine(x, **kwargs):
    return torch.stack([TF.affine(xi, angle=0.0, translate=[0, 0], scale=1.0, shear=[0.0, 0.0], **kwargs) for xi in x])


@pytest.mark.parametrize("name,m,reference", [
    ("rotate", 30.0, lambda x, u: torch.stack([TF.rotate(xi, 30.0) for xi in x])),
    ("rotate", -121.5, lambda x, u: torch.stack([TF.rotate(xi, -121.5) for xi in x])),
    ("shear_x", 0.99, lambda x, u: torch.stack([TF.affine(xi, angle=0.0, translate=[0, 0], scale=1.0, center=[0, 0],
                                                          shear=[math.degrees(math.atan(0.99)), 0.0]) for xi in x])),
    ("shear_y", -0.3, lambda x, u: torch.stack([TF.affine(xi, angle=0.0, translate=[0, 0], scale=1.0, center=[0, 0],
                                                          shear=[0.0, math.degrees(math.atan(-0.3))]) for xi in x])),
    ("translate_x", 7.0, lambda x, u: torch.stack([TF.affine(xi, angle=0.0, translate=[7, 0], scale=1.0, shear=[0.0, 0.0]) for xi in x])),
    ("translate_y", -12.0, lambda x, u: torch.stack([TF.affine(xi, angle=0.0, translate=[0, -12], scale=1.0, shear=[0.0, 0.0]) for xi in x])),
    ("solarize", 0.4, lambda x, u: TF.solarize(x, 0.4)),
    ("posterize", 3.0, lambda x, u: TF.posterize(u, 3).float() / 255),
    ("brightness", 0.6, lambda x, u: TF.adjust_brightness(x, 1.6)),
    ("contrast", -0.7, lambda x, u: torch.stack([TF.adjust_contrast(xi, 0.3) for xi in x])),
    ("color", 0.9, lambda x, u: torch.stack([TF.adjust_saturation(xi, 1.9) for xi in x])),
    ("sharpness", 0.99, lambda x, u: torch.stack([TF.adjust_sharpness(xi, 1.99) for xi in x])),
    ("equalize", 0.0, lambda x, u: torch.stack([TF.equalize(ui) for ui in u]).float() / 255),
    ("auto_contrast", 0.0, lambda x, u: torch.stack([TF.autocontrast(xi) for xi in x])),
])
def test_op_matches_torchvision_on_single_images(name, m, reference, cifar):
    """Our batched op on 8 real images with one magnitude each vs torchvision applied image by image
    (float images, or uint8 where torchvision's float path differs: posterize, equalize)."""
    x, u = cifar
    out = O.OPS[name](x, torch.full((len(x),), m))
    expected = reference(x, u)
    diff = (out - expected).abs()
    assert float(diff.max()) <= 1e-5 or float((diff > 1e-5).float().mean()) < 0.005, (name, float(diff.max()))


@pytest.mark.parametrize("name", O.OP_NAMES)
@pytest.mark.parametrize("task_name", ["mnist", "cifar10"])
def test_ops_keep_range_shape_and_input(name, task_name, small_batches):
    x = small_batches[task_name][0]
    before = x.clone()
    top = {"posterize": 1.0, "solarize": 0.0, "rotate": 135.0, "translate_x": 32.0, "translate_y": -32.0}.get(name, -0.99)
    for m in (torch.full((len(x),), top), torch.linspace(-0.99, 0.99, len(x))):
        if name == "posterize":
            m = torch.arange(len(x)) % 8 + 1.0
        out = O.OPS[name](x, m)
        assert out.shape == x.shape and out.dtype == x.dtype
        assert float(out.min()) >= 0 and float(out.max()) <= 1
    assert torch.equal(x, before)


def test_apply_ops_groups_samples_by_op_and_puts_them_back(cifar):
    x, _ = cifar
    op_index = torch.tensor([5, 0, 8, 5, 12, 0, 3, 8])
    m = torch.tensor([30.0, 0.0, 0.5, -45.0, 0.4, 0.0, 4.0, 0.2])
    out = O.apply_ops(x, op_index, m, O.OP_NAMES)
    for i in range(len(x)):
        assert torch.equal(out[i:i + 1], O.OPS[O.OP_NAMES[op_index[i]]](x[i:i + 1], m[i:i + 1]))
    assert O.apply_ops(x[:0], op_index[:0], m[:0], O.OP_NAMES).shape == x[:0].shape
