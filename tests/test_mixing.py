"""mixup and CutMix: soft targets through the shared loss, per-sample weights, CutMix's box against its label weight."""

from __future__ import annotations

import copy
import json
import math

import pytest
import torch
import torch.nn.functional as F

from augbench.cli import main
from augbench.config.profiles import TrainConfig
from augbench.core.device import place_model
from augbench.results.store import Store
from augbench.training.trainer import PassThrough, train
from augbench.methods import METHODS
from augbench.methods.cutmix import BoxDraw, CutMix, CutMixParams
from augbench.methods.mixup import MixDraw, Mixup, MixupParams
from augbench.tasks import TASKS


def make(method_name: str, task_name: str, seed: int = 0, **params):
    cls, task = METHODS.get(method_name), TASKS.get(task_name)()
    return cls(cls.Params(**params) if params else cls.default_params("quick", task), task, seed)


def constant_batch(task_name: str) -> tuple[torch.Tensor, torch.Tensor]:
    """One input per class, each filled with its own value, so every output pixel tells where it came from."""
    task = TASKS.get(task_name)
    n = task.num_classes
    values = (torch.arange(n, dtype=torch.float32) + 1) / (n + 1)
    x = values.view(n, *[1] * len(task.input_shape)).expand(n, *task.input_shape).clone()
    return x, torch.arange(n)


def partner_of(targets: torch.Tensor, i: int) -> int:
    """Sample i's partner in a batch of one sample per class (label == index): the other class with mass."""
    others = [j for j in torch.nonzero(targets[i] > 0).flatten().tolist() if j != i]
    assert len(others) <= 1
    return others[0] if others else i


@pytest.mark.parametrize("smoothing", [0.0, 0.1, 0.2])
def test_label_smoothing_composes_with_probability_targets(smoothing):
    """torch's cross_entropy smooths probability targets as (1 - eps) * t + eps / C, as it smooths labels,
    so one-hot targets give exactly the hard-label loss: the loop needs no case for soft targets."""
    logits, y = torch.randn(32, 10), torch.randint(0, 10, (32,))
    soft = torch.softmax(torch.randn(32, 10), dim=1)
    by_hand = -(((1 - smoothing) * soft + smoothing / 10) * F.log_softmax(logits, dim=1)).sum(dim=1).mean()
    assert torch.allclose(F.cross_entropy(logits, soft, label_smoothing=smoothing), by_hand, atol=1e-6)
    one_hot = F.one_hot(y, 10).float()
    assert torch.allclose(F.cross_entropy(logits, one_hot, label_smoothing=smoothing),
                          F.cross_entropy(logits, y, label_smoothing=smoothing), atol=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
@pytest.mark.parametrize("method_name", ["mixup", "cutmix"])
def test_a_mix_weight_of_one_gives_the_hard_label_loss(method_name, smoothing, small_batches):
    x, y = small_batches["cifar10"]
    method = make(method_name, "cifar10")
    partner = torch.randperm(len(y))
    if method_name == "mixup":
        draw = MixDraw(weight=torch.ones(len(y)), partner=partner)
    else:
        empty = torch.zeros(len(y), dtype=torch.int64)  # boxes of no area
        draw = BoxDraw(partner, top=empty + 3, bottom=empty + 3, left=empty, right=empty + 32)
    out_x, targets = method.apply(x, y, draw)
    assert torch.equal(out_x, x) and torch.equal(targets, F.one_hot(y, 10).float())
    logits = torch.randn(len(y), 10)
    assert torch.allclose(F.cross_entropy(logits, targets, label_smoothing=smoothing),
                          F.cross_entropy(logits, y, label_smoothing=smoothing), atol=1e-6)


class OneHot:
    """Augmenter returning the batch's labels as one-hot probability targets."""

    def augment(self, x, y, model):
        return x, F.one_hot(y, 10).float()


def test_the_loop_trains_alike_on_one_hot_targets_and_on_labels(sources):
    """The shared loop with label smoothing, run on labels and on the same labels as probability vectors."""
    task = TASKS.get("mnist")()
    config = TrainConfig(epochs=2, batch_size=64, width=8, train_pool=256, test_limit=10, label_smoothing=0.1)
    data = task.load(sources["mnist"], 1.0, 0, config, torch.device("cpu"))
    model = place_model(task.classifier(config), torch.device("cpu"), image_input=True)
    twin = copy.deepcopy(model)
    hard = train(model, task, data.train, PassThrough(), config, seed=0, progress=False)
    soft = train(twin, task, data.train, OneHot(), config, seed=0, progress=False)
    assert math.isclose(hard.final_loss, soft.final_loss, rel_tol=1e-5)
    for a, b in zip(model.state_dict().values(), twin.state_dict().values()):
        assert torch.allclose(a.float(), b.float(), atol=1e-5)


@pytest.mark.parametrize("task_name", ["mnist", "fsdd", "trec"])
def test_mixup_mixes_each_input_and_its_label_with_one_weight(task_name):
    x, y = constant_batch(task_name)
    out_x, targets = make("mixup", task_name).augment(x, y, None)
    assert torch.allclose(targets.sum(dim=1), torch.ones(len(y)))
    for i in range(len(y)):
        j = partner_of(targets, i)
        expected = targets[i, i] * x[i] + (1 - targets[i, i]) * x[j]
        assert torch.allclose(out_x[i], expected, atol=1e-6)


@pytest.mark.parametrize("method_name", ["mixup", "cutmix"])
def test_weights_are_drawn_per_sample(method_name, small_batches):
    x, y = small_batches["cifar10"]
    x, y = x.repeat(8, 1, 1, 1), y.repeat(8)  # 128 samples
    _, targets = make(method_name, "cifar10").augment(x, y, None)
    own = targets.gather(1, y.unsqueeze(1)).flatten()
    assert own.unique().numel() > 30  # one weight per batch would give one value (ties aside)
    assert bool((own < 1).any()) and bool((own > 0).all())


@pytest.mark.parametrize("alpha", [0.2, 1.0])
def test_mixup_weights_follow_beta_alpha_alpha(alpha):
    weights = make("mixup", "cifar10", alpha=alpha).draw(20_000, torch.device("cpu")).weight
    assert abs(weights.mean().item() - 0.5) < 0.01
    assert abs(weights.var().item() - 1 / (4 * (2 * alpha + 1))) < 0.01  # Var Beta(a, a) = 1 / (4 (2a + 1))


def test_mixup_defaults_follow_the_paper_per_modality():
    assert make("mixup", "cifar10").params.alpha == 1.0  # CIFAR-10 in Zhang et al.
    assert make("mixup", "mnist").params.alpha == 1.0
    assert make("mixup", "fsdd").params.alpha == 0.2  # their Google commands spectrograms: 0.1-0.2
    assert make("mixup", "trec").params.alpha == 0.2
    assert make("cutmix", "cifar10").params == CutMixParams(alpha=1.0, prob=1.0)


def test_cutmix_on_fsdd_at_the_quick_profile_boxes_a_quarter_of_the_maps():
    """Chosen on validation (results/tuning/fsdd-strengths.md); every other task and profile keeps the paper's."""
    fsdd, cifar10, mnist = (TASKS.get(name)() for name in ("fsdd", "cifar10", "mnist"))
    assert CutMix.default_params("quick", fsdd) == CutMixParams(alpha=1.0, prob=0.25)
    for profile in ("smoke", "quick", "full"):
        assert CutMix.default_params(profile, cifar10) == CutMix.default_params(profile, mnist) == CutMixParams()
    assert CutMix.default_params("smoke", fsdd) == CutMix.default_params("full", fsdd) == CutMixParams()


@pytest.mark.parametrize("task_name", ["cifar10", "fsdd"])
def test_cutmix_pastes_a_box_whose_area_is_the_partners_label_weight(task_name):
    """Per sample: the pixels taken from the partner form one rectangle over every channel, and their share
    equals 1 - the weight of the sample's own label (the partner's weight), clipping included."""
    x, y = constant_batch(task_name)
    method = make("cutmix", task_name, prob=1.0)  # a box on every sample (the quick profile's FSDD default is 0.25)
    height, width = x.shape[-2:]
    clipped, seen = 0, 0
    for _ in range(20):
        out_x, targets = method.augment(x, y, None)
        for i in range(len(y)):
            j = partner_of(targets, i)
            pasted = out_x[i] != x[i]
            assert bool((out_x[i][pasted] == x[j][pasted]).all())
            assert torch.equal(pasted, pasted[:1].expand_as(pasted))  # the same box in every channel
            box = pasted[0]
            share = box.float().mean().item()
            assert math.isclose(share, 1 - targets[i, i].item(), abs_tol=1e-6)
            if j != i:
                assert math.isclose(share, targets[i, j].item(), abs_tol=1e-6)
            if box.any():
                rows, cols = box.any(dim=1).nonzero().flatten(), box.any(dim=0).nonzero().flatten()
                assert box.sum() == (rows[-1] - rows[0] + 1) * (cols[-1] - cols[0] + 1)  # a filled rectangle
                seen += 1
                clipped += int(rows[0] == 0 or rows[-1] == height - 1 or cols[0] == 0 or cols[-1] == width - 1)
    assert seen > 100 and clipped > 0  # boxes were pasted, and some of them were clipped at an edge


def test_cutmix_kept_share_is_the_clipped_area():
    draw = BoxDraw(torch.tensor([1, 0]), top=torch.tensor([0, 4]), bottom=torch.tensor([8, 4]),
                   left=torch.tensor([16, 0]), right=torch.tensor([32, 32]))
    assert torch.allclose(draw.kept_share(32, 32), torch.tensor([1 - 8 * 16 / 1024, 1.0]))


def test_cutmix_refuses_a_feature_task_with_a_clear_error(capsys, tmp_path):
    with pytest.raises(ValueError, match=r"'trec' \(modality features\).*image, audio"):
        CutMix(CutMixParams(), TASKS.get("trec")(), 0)
    assert main(["run", "--profile", "smoke", "--tasks", "trec", "--methods", "cutmix", "--store",
                 str(tmp_path / "runs.sqlite"), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "cutmix" in err and "image" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "runs.sqlite").exists()


@pytest.mark.parametrize("bad", [{"alpha": 0.0}, {"alpha": -1.0}, {"alpha": float("nan")}])
@pytest.mark.parametrize("method_name", ["mixup", "cutmix"])
def test_invalid_alpha_is_refused_naming_the_value(method_name, bad):
    with pytest.raises(ValueError, match=rf"{method_name}\.alpha={bad['alpha']}"):
        make(method_name, "cifar10", **bad)


@pytest.mark.parametrize("prob", [-0.1, 1.5])
def test_invalid_cutmix_prob_is_refused(prob):
    with pytest.raises(ValueError, match=rf"cutmix\.prob={prob}"):
        make("cutmix", "cifar10", prob=prob)


def test_cutmix_prob_zero_pastes_nothing(small_batches):
    x, y = small_batches["cifar10"]
    out_x, targets = make("cutmix", "cifar10", prob=0.0).augment(x, y, None)
    assert torch.equal(out_x, x) and torch.equal(targets, F.one_hot(y, 10).float())


@pytest.mark.parametrize("method_name", ["mixup", "cutmix"])
def test_other_seed_other_output(method_name, small_batches):
    x, y = small_batches["cifar10"]
    a = make(method_name, "cifar10", seed=0).augment(x, y, None)
    b = make(method_name, "cifar10", seed=1).augment(x, y, None)
    assert not torch.equal(a[0], b[0]) and not torch.equal(a[1], b[1])


@pytest.mark.parametrize("method_name", ["mixup", "cutmix"])
def test_augment_reads_nothing_back_from_the_device(method_name, small_batches, host_reads):
    """The step loop must not wait for the device: the Beta draws happen on the host and only go to it."""
    x, y = small_batches["fsdd"]
    method = make(method_name, "fsdd")
    with host_reads() as reads:
        method.augment(x, y, None)
    assert reads == []


def test_a_smoke_run_with_soft_targets_learns(tmp_path):
    """The sweep end to end on MNIST (1,000 images, one epoch): both cells ok, clearly above chance (10%)."""
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "mixup,cutmix", "--seeds", "1",
                 "--store", str(store), "--no-progress"]) == 0
    with Store(store) as opened:
        rows = opened.records()
    assert {r["method"] for r in rows} == {"mixup", "cutmix"}
    for row in rows:
        assert row["status"] == "ok", row["error"]
        assert row["val_acc"] > 0.5, row["method"]  # `none` reaches ~0.84 here
        assert row["aug_throughput"] > 0
    params = {r["method"]: json.loads(r["method_params"]) for r in rows}
    assert params == {"mixup": {"alpha": 1.0}, "cutmix": {"alpha": 1.0, "prob": 1.0}}
