"""Compositions: two methods in one cell (`adversarial+vae`, `classic+gan`), written with `+` in `--methods`.

Gowal et al. (2021) train adversarially on batches that mix real and generated samples; the crop and flip of
`classic` can act on generated images as on real ones. A composition is one cell with its own config hash: its
row's `method` names both parts (sorted, so `vae+adversarial` is the same cell as `adversarial+vae`) and its
`method_params` hold each part's resolved parameters under the part's name; `--param vae.ratio=0.3` sets the
part's parameter as it sets the method's.

The parts act on each batch in stage order: a generator first (it replaces a share of the real batch with its
samples), then an input augmentation (on real and synthetic inputs alike), then adversarial training (which
attacks the batch the others made). At most one part per stage; what cannot be composed is refused at
planning with one line:
- two parts of one stage (two generators, `classic+cutout`): their order would be arbitrary;
- a method that edits raw items before featurization (`eda`, `waveaug`): its training copies replace the
  training split, which a generator's samples have no raw item for;
- `none`, which adds nothing; a part that returns probability targets (`mixup`, `cutmix`) before the attack,
  whose loss needs class labels.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from augbench.core.errors import UsageError
from augbench.methods import METHODS
from augbench.methods.base import FitContext, GeneratorFit, Method
from augbench.tasks.base import Split, Task, TaskData

SEPARATOR = "+"
STAGE_NAMES = {0: "generator", 1: "input augmentation", 2: "adversarial training"}


def is_composition(name: str) -> bool:
    return SEPARATOR in name


def parts_of(name: str) -> list[str]:
    """The registry names a composition is made of, as written (validated by `canonical`)."""
    return [part.strip() for part in name.split(SEPARATOR)]


def canonical(name: str) -> str:
    """The composition's name with its parts sorted (the cell's `method`); raises UsageError when a part is
    unknown or the parts cannot be composed."""
    parts = parts_of(name)
    for part in parts:
        if not part:
            raise UsageError(f"empty part in composition {name!r}; write two methods joined by '+', e.g. adversarial+vae")
        METHODS.get_entry(part)  # unknown part: the registry's one-line error with its suggestion
    if len(set(parts)) != len(parts):
        raise UsageError(f"composition {name!r} names a method twice")
    if len(parts) < 2:
        raise UsageError(f"composition {name!r} needs two methods joined by '+', e.g. adversarial+vae")
    classes = {part: METHODS.get(part) for part in parts}
    for part, cls in classes.items():
        if part == "none":
            raise UsageError(f"composition {name!r}: `none` adds nothing to a composition; run it on its own")
        if cls.raw_kinds is not None:
            raise UsageError(f"composition {name!r}: {part} edits raw items before featurization and cannot be composed "
                             f"(its training copies replace the split a generator's samples have no raw item for)")
    stages: dict[int, str] = {}
    for part, cls in classes.items():
        if cls.compose_stage in stages:
            raise UsageError(f"composition {name!r}: {stages[cls.compose_stage]} and {part} are both "
                             f"{STAGE_NAMES[cls.compose_stage]}s; compose at most one of each stage "
                             f"(generator, input augmentation, adversarial training)")
        stages[cls.compose_stage] = part
    soft = [p for p, cls in classes.items() if cls.soft_targets]
    if soft and 2 in stages:
        raise UsageError(f"composition {name!r}: {soft[0]} returns probability targets, and {stages[2]}'s attack needs class labels")
    return SEPARATOR.join(sorted(parts))


def resolve_methods(spec: str) -> list[str]:
    """`--methods`: comma-separated names, patterns, `all` (the registry's rules) and compositions (`a+b`)."""
    names: list[str] = []
    for item in (part.strip() for part in spec.split(",")):
        matched = [canonical(item)] if is_composition(item) else METHODS.resolve(item)
        names.extend(name for name in matched if name not in names)
    return names


def method_class(name: str) -> type[Method]:
    """The class that runs `name`: a registered method, or the composition of its parts."""
    return _composition(canonical(name)) if is_composition(name) else METHODS.get(name)


@functools.lru_cache(maxsize=None)
def _composition(name: str) -> type[Method]:
    parts = tuple(sorted(parts_of(name), key=lambda part: METHODS.get(part).compose_stage))  # application order
    return type(f"Composition[{name}]", (Composition,), {"name": name, "parts": parts,
                                                          "size_dependent": any(METHODS.get(p).size_dependent for p in parts),
                                                          "compose_stage": -1})


class Composition(Method):
    """The parts of `parts` (in application order) on one cell; params are {part name: its parameters}."""

    name: ClassVar[str]
    parts: ClassVar[tuple[str, ...]]

    def __init__(self, params: dict[str, Any], task: Task, seed: int) -> None:
        for part in self.parts:
            if not METHODS.get(part).applies_to(task):
                raise ValueError(f"part {part} does not apply to task {task.name!r} (modality {task.modality}); "
                                 f"it applies to {METHODS.get(part).scope()}")
        super().__init__(params, task, seed)
        self.members: list[Method] = [METHODS.get(part)(params[part], task, seed) for part in self.parts]

    @classmethod
    def applies_to(cls, task: Task) -> bool:
        return all(METHODS.get(part).applies_to(task) for part in cls.parts)

    @classmethod
    def scope(cls) -> str:
        return "; ".join(f"{part}: {METHODS.get(part).scope()}" for part in cls.parts)

    @classmethod
    def default_params(cls, profile: str, task: Task) -> dict[str, Any]:
        return {part: METHODS.get(part).default_params(profile, task) for part in cls.parts}

    def resolved_params(self) -> dict[str, Any]:
        return {part: member.resolved_params() for part, member in zip(self.parts, self.members)}

    def resolved_params_for(self, n_train: int) -> dict[str, Any]:
        return {part: member.resolved_params_for(n_train) for part, member in zip(self.parts, self.members)}

    def fit(self, train: Split, context: FitContext) -> None:
        for member in self.members:
            member.fit(train, context)

    def generator_fit(self) -> GeneratorFit | None:
        fits = [fit for fit in (member.generator_fit() for member in self.members) if fit is not None]
        return fits[0] if fits else None

    def end_epoch(self, model: nn.Module, epoch: int) -> bool:
        return any([member.end_epoch(model, epoch) for member in self.members])  # every member judges the epoch

    def evaluate(self, model: nn.Module, data: TaskData, context: FitContext) -> dict[str, Any]:
        metrics: dict[str, Any] = {}
        for member in self.members:
            metrics.update(member.evaluate(model, data, context))
        return metrics

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        for member in self.members:
            x, y = member.augment(x, y, model)
        return x, y

    def timed_call(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> Callable[[], object]:
        """The whole composed augment: a generator's sampling and the attack together."""
        return lambda: self.augment(x, y, model)
