"""Self-training on the unlabelled pool: what the inputs a `pool` generator is fitted on buy without a generator.

A teacher (the task's classifier with the profile's settings) is trained on the cell's labelled examples, then
labels the task's whole train split outside validation (the pool) without reading its labels; within each label it
gives, the `keep` most confident share of its examples is kept (a share, not a probability threshold: the profiles
train with label smoothing, which caps the softmax at 0.91 on MNIST and 0.82 on CIFAR-10, so a fixed threshold
would keep a different share on every task; per label, so the kept examples keep the teacher's class balance).
They replace a `share` of each training batch, as a generator's samples do (augbench/methods/generative.py), so the two
arms differ only in where the extra examples come from. This is the
pseudo-labelling baseline of Lee 2013 and, with the teacher trained on the labelled subset only, the setting of
Carmon et al. 2019 that Gowal et al. 2021 apply to generated instead of real unlabelled inputs.

The pool never includes validation or test rows (`Task.generator_pool_rows`); its labels are never read: only
its inputs enter, and the teacher's argmax is the label (tests/test_self_training.py feeds a pool whose labels
are all -1).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from augbench.methods import METHODS
from augbench.methods.base import ByLabel, FitContext, Method, train_auxiliary_classifier
from augbench.tasks.base import Split


@dataclass(frozen=True)
class SelfTrainingParams:
    share: float = 0.5  # share of each batch replaced by pseudo-labelled pool examples, in [0, 1] (the generators' default)
    keep: float = 0.5  # share of the pool kept, the most confident first within each label the teacher gives, in (0, 1]


# The quick profile's keep and share per task, chosen on the validation split over 3 seeds at the smaller size
# (results/tuning/self-training-validation.md: the highest mean of keep 0.25, 0.5, 1 x share 0.25, 0.5; on CIFAR-10
# the six are within noise of each other). Other tasks and profiles take the untuned defaults.
QUICK_SETTINGS: dict[str, dict[str, float]] = {"mnist": {"keep": 1.0, "share": 0.25},
                                               "cifar10": {"keep": 0.25, "share": 0.25}}


@METHODS.register("self_training")
class SelfTraining(Method):
    """Replaces a share of each batch with pool examples labelled by a teacher trained on the cell's labels."""

    Params = SelfTrainingParams
    compose_stage = 0  # like a generator: its examples enter first

    @classmethod
    def default_params(cls, profile: str, task) -> SelfTrainingParams:
        if profile == "quick" and task.name in QUICK_SETTINGS:
            return SelfTrainingParams(**QUICK_SETTINGS[task.name])
        return SelfTrainingParams()

    def __init__(self, params: SelfTrainingParams, task, seed: int) -> None:
        super().__init__(params, task, seed)
        if not 0 <= params.share <= 1:
            raise ValueError(f"self_training.share={params.share} is invalid: it must be in [0, 1]")
        if not 0 < params.keep <= 1:
            raise ValueError(f"self_training.keep={params.keep} is invalid: it must be in (0, 1]")
        self.kept: ByLabel | None = None  # pool inputs the teacher kept (stored form, prepared per batch), by its label
        self.kept_share: float | None = None  # share of the pool kept

    def fit(self, train: Split, context: FitContext) -> None:
        """Train the teacher on the cell's labelled split, then label the pool and keep its most confident share."""
        if context.pool is None:
            raise ValueError("self_training needs the task's train split outside validation, and this run has none")
        teacher = train_auxiliary_classifier(self.task, train, context, self.seed, "self_training:teacher")
        batch_size = self.task.train_config(context.profile).eval_batch_size
        pool_x = context.pool().x  # the inputs alone: the pool's labels are never read
        confidence, labels = [], []
        with torch.inference_mode():
            for i in range(0, len(pool_x), batch_size):
                probabilities = teacher(self.task.prepare(pool_x[i:i + batch_size])).softmax(dim=1)
                top, label = probabilities.max(dim=1)
                confidence.append(top)
                labels.append(label)
        confidence, labels = torch.cat(confidence), torch.cat(labels)
        keep = torch.zeros(len(labels), dtype=torch.bool, device=labels.device)
        for label in labels.unique():
            members = (labels == label).nonzero().flatten()
            count = max(1, round(self.params.keep * len(members)))
            # stable sort: ties keep pool order, so the kept set is the same on every run
            order = torch.sort(confidence[members], descending=True, stable=True).indices[:count]
            keep[members[order]] = True
        self.kept_share = float(keep.double().mean()) if len(keep) else 0.0
        kept = keep.nonzero().flatten()  # grouped by the teacher's label, pool order within each
        self.kept = ByLabel.grouped(pool_x[kept.to(pool_x.device)], labels[kept], self.task.num_classes)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """Replace a `share` of the batch (random positions) with kept pool examples of the same label, drawn at
        random: as a class-conditional generator's samples replace their positions, so the batch's labels and
        class balance stay as they were (a position whose label the teacher never gave keeps its example)."""
        if self.kept is None:
            raise RuntimeError("self_training.augment before fit")
        out_x, out_y = x.clone(), y.clone()
        k = round(self.params.share * len(y))
        if k == 0 or len(self.kept.y) == 0:
            return out_x, out_y
        generator = self.generator(x.device)
        positions = torch.randperm(len(y), generator=generator, device=x.device)[:k]
        draws = torch.rand(k, generator=generator, device=x.device)  # one uniform per position, whatever its label
        labels = y[positions].to(self.kept.count.device)
        pick, has = self.kept.draw(labels, draws.to(labels.device))
        replacement = self.task.prepare(self.kept.x[pick.to(self.kept.x.device)])
        has = has.to(x.device).view(-1, *([1] * (x.dim() - 1)))  # a label the teacher never gave: unchanged
        out_x[positions] = torch.where(has, replacement.to(device=x.device, dtype=x.dtype), x[positions])
        return out_x, out_y

    def evaluate(self, model: nn.Module, data, context: FitContext) -> dict:
        """The share of the pool the teacher kept, in the field generators use for their filter's share."""
        return {"gen_filter_kept": self.kept_share}
