"""Classic augmentation: the recipe each task declares for its modality, drawn per sample on the device.

Images get a random crop after zero padding plus a horizontal flip where mirroring keeps the label;
spectrogram maps get SpecAugment masking plus a small time shift; dense text features get feature
dropout plus Gaussian noise. The recipes live in `augbench/transforms/augmentations.py`; a task picks one and its
defaults (`Task.classic`), and `--param classic.KEY=VALUE` overrides a setting of that recipe.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import torch
from torch import nn

from augbench.transforms.augmentations import recipe_fields
from augbench.methods import METHODS
from augbench.methods.base import Method
from augbench.tasks.base import Task


@dataclass(frozen=True)
class ClassicParams:
    """Overrides of the task's recipe; `None` keeps the task's choice. Each applies to one recipe only."""

    padding: int | None = None  # images: pixels of zero padding before the random crop
    flip: bool | None = None  # images: random horizontal flip with p=0.5 (never for digits)
    freq_masks: int | None = None  # spectrograms: frequency masks per sample
    freq_width: int | None = None  # spectrograms: maximum mel bins per frequency mask
    time_masks: int | None = None  # spectrograms: time masks per sample
    time_width: int | None = None  # spectrograms: maximum frames per time mask
    shift: int | None = None  # spectrograms: maximum frames of random time shift
    dropout: float | None = None  # feature vectors: probability of dropping a feature to its mean
    noise_std: float | None = None  # feature vectors: std of additive Gaussian noise (standardized units)


@METHODS.register("classic")
class Classic(Method):
    """The task's classic recipe (crop/flip, SpecAugment, or feature dropout + noise), per sample."""

    Params = ClassicParams

    def __init__(self, params: ClassicParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        default = task.classic
        if default is None:
            raise ValueError(f"classic has no recipe for task {task.name!r} (modality {task.modality})")
        valid = recipe_fields(default)
        overrides = {k: v for k, v in dataclasses.asdict(params).items() if v is not None}
        foreign = sorted(set(overrides) - set(valid))
        if foreign:
            raise ValueError(f"classic.{foreign[0]} does not apply to task {task.name!r}: its recipe "
                             f"{type(default).__name__} takes {', '.join(valid)}")
        self.recipe = dataclasses.replace(default, **overrides)
        self.recipe.check(task.name, tuple(task.input_shape), default)

    def resolved_params(self) -> dict:
        return dataclasses.asdict(self.recipe)

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return self.recipe.apply(x, self.generator(x.device)), y
