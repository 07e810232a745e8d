"""What every augmentation method provides to the shared training loop.

A method sees batches on the run's device and returns batches; it never owns the training loop.
Methods that learn something (a generator) do it in `fit`, before training starts.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar

import torch
from torch import nn

from augbench.config.params import NoParams
from augbench.core.seeding import derive_seed, forked_rng, make_generator
from augbench.tasks.base import Split, Task, TaskData, ViewSpec


@dataclass(frozen=True)
class FitContext:
    """What a method may need beyond its own parameters to fit, cache and judge what it learned."""

    cell: dict[str, Any]  # the cell's identity (task, seed, fraction, profile, data checksum, ...), JSON-ready
    profile: str  # smoke | quick | full: methods with their own budgets pick them by profile
    device: torch.device  # the run's device
    cache_dir: Path  # root of the on-disk cache (AUGBENCH_CACHE, default results/cache)
    progress: bool | None = None  # show progress bars (None: only on a terminal)
    val: Split | None = None  # the task's validation split (early-stop guards look here, never at the test split)
    # The task's whole train split outside validation, loaded on first call, in the cell's input space: what a
    # `pool`-regime generator is fitted on (never the validation or test rows). None: not available.
    pool: Callable[[], Split] | None = None
    input_space: dict[str, Any] = dataclasses.field(default_factory=dict)  # what the inputs depend on beyond the task (a featurizer's fit rows); {} for raw inputs
    # A `raw_train` method's view of the pipeline, from `Task.with_raw_train`: the cell's featurizer fitted on its
    # training rows (audio: a differentiable module of the recordings; text: the sentences and their featurizer,
    # augbench.tasks.text.RawSentences); None for every other method.
    front_end: Any = None


@dataclass(frozen=True)
class GeneratorFit:
    """How a method got its generator: what the run record stores as gen_fit_s and gen_cache_hit.

    `fit_s` is the generator's own fit time, kept with the cached generator, so a cell that loads it
    reports the same cost as the cell that fitted it: a row's numbers never depend on what ran before.
    """

    fit_s: float  # seconds the generator's fit took, when it was fitted
    cache_hit: bool  # loaded from the cache (True) or fitted in this cell (False)


class Method:
    """Base class: subclasses set `Params` (a frozen dataclass) and implement `augment`.

    `__init__` must be cheap: the sweep builds each method once while planning, to validate its
    parameters before any cell runs. Heavy work (networks, fitting) belongs in `fit`.

    Args:
        params: an instance of `Params`; validate it in `__init__` and raise ValueError naming the bad value.
        task: the task the method runs on (its modality, input range, classic policy).
        seed: the cell's seed; all randomness comes from generators derived from it.
    """

    Params: ClassVar[type] = NoParams
    # Task modalities ("image", "audio", "features") the method has a meaning on; None: every modality.
    # CutMix's box means nothing on a feature vector: the sweep skips such pairs and says so.
    modalities: ClassVar[tuple[str, ...] | None] = None
    # Kinds of raw items (`Task.raw_kind`: "text", "waveform") the method edits before featurization; None:
    # it works on the classifier's inputs and needs none. EDA edits sentences: it applies to text tasks only.
    raw_kinds: ClassVar[tuple[str, ...] | None] = None
    # Whether `resolved_params` depends on the cell's training-set size (EDA's recommended settings per
    # size): the planner then counts each cell's training examples and records `resolved_params_for(n)`.
    size_dependent: ClassVar[bool] = False
    # Where the method acts in a composition (augbench/methods/compose.py): 0 a generator (mixes its samples in first),
    # 1 an input augmentation, 2 adversarial training (attacks the batch the others made).
    compose_stage: ClassVar[int] = 1
    # `augment` returns probability targets [N, C] (mixup, CutMix): nothing that needs class labels may follow it.
    soft_targets: ClassVar[bool] = False
    # The method trains on the raw items themselves (adversarial_wave attacks the recordings, adversarial_word the
    # sentences): the sweep replaces train.x by them (`Task.with_raw_train`) and passes the featurizer as
    # FitContext.front_end; `augment` then gets raw batches and returns the classifier's inputs [N, *input_shape].
    # Validation and test stay featurized.
    raw_train: ClassVar[bool] = False

    def __init__(self, params: Any, task: Task, seed: int) -> None:
        if not self.applies_to(task):
            raise ValueError(f"does not apply to task {task.name!r} (modality {task.modality}); it applies to "
                             f"{self.scope()}")
        self.params = params
        self.task = task
        self.seed = seed
        self._generators: dict[str, torch.Generator] = {}

    @classmethod
    def applies_to(cls, task: Task) -> bool:
        """Whether the method has a meaning on `task` (its modality is one of `modalities`, and its raw items
        one of `raw_kinds` when the method edits raw items)."""
        return ((cls.modalities is None or task.modality in cls.modalities)
                and (cls.raw_kinds is None or task.raw_kind in cls.raw_kinds))

    @classmethod
    def scope(cls) -> str:
        """The tasks the method applies to, in words, for errors: "image, audio tasks", "tasks with text raw items"."""
        where = f"{', '.join(cls.modalities)} tasks" if cls.modalities is not None else "every task"
        if cls.raw_kinds is not None:
            where = f"{where} with {' or '.join(cls.raw_kinds)} raw items"
        return where

    @classmethod
    def default_params(cls, profile: str, task: Task) -> Any:
        """The parameters a profile runs with before CLI overrides; a method whose cost must fit the
        profile's budget (an attack's step count, a generator's training steps) picks them here."""
        return cls.Params()

    @classmethod
    def complete_params(cls, params: Any, profile: str, given: set[str], task: Task | None = None) -> Any:
        """The parameters after the CLI's overrides (`given`: the keys the user set) on `task`: a method whose
        defaults follow another parameter's value (a pool generator's longer budget, a share and filter chosen
        per task and regime) fills them in here."""
        return params

    def resolved_params(self) -> dict[str, Any]:
        """The parameters as run (task defaults filled in): what the run record stores and the hash covers."""
        return dataclasses.asdict(self.params)

    def resolved_params_for(self, n_train: int) -> dict[str, Any]:
        """`resolved_params` for a cell of `n_train` training examples; only `size_dependent` methods differ."""
        return self.resolved_params()

    def train_views(self, n_train: int) -> ViewSpec | None:
        """Augmented copies of the raw training items this method trains on, or None (the default).

        With a spec, the sweep replaces the training split by [N, 1 + K, *input_shape] (the original first,
        `Task.with_train_views`) before `fit`, and `augment` gets batches of that shape; validation and test
        never pass through the augmenter. `n_train` is the cell's number of training examples.
        """
        return None

    def fit(self, train: Split, context: FitContext) -> None:
        """Learn from the training split (exactly the examples the classifier sees) before training starts.

        Generative methods train or load their generator here; the default does nothing.
        Raise an exception (e.g. on a NaN loss) to fail the cell: its row records the message.
        """

    def generator_fit(self) -> GeneratorFit | None:
        """After `fit`: the generator's fit cost and whether it came from the cache; None for a method
        without a generator (the sweep then records how long `fit` took and no cache flag)."""
        return None

    def end_epoch(self, model: nn.Module, epoch: int) -> bool:
        """Called after each training epoch (`epoch` counts from 1); return True to end training now.

        A method with an early-stop guard (FGSM-RS's catastrophic-overfitting check) judges the model on
        the validation split it got in `fit`, may load earlier weights into `model`, and says so in
        `evaluate` (`stopped_epoch`). The default never stops.
        """
        return False

    def evaluate(self, model: nn.Module, data: TaskData, context: FitContext) -> dict[str, Any]:
        """Metrics only this method can give (e.g. FID and CAS of a generator), as {record field: value}."""
        return {}

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """Return the batch the classifier trains on.

        Args:
            x: float inputs [N, *task.input_shape] in the task's input range, on the run's device.
            y: int64 labels [N] (always class labels: methods are not chained).
            model: the classifier being trained (adversarial methods attack it; leave its mode as found).

        Returns:
            (x', y'): new tensors (the inputs are never modified in place); x' has x's shape, device and
            dtype (a method with `train_views` or `raw_train` gets other batches and returns [N, *input_shape]). y' is either int64 class labels [N] or float32 probability targets [N, task.num_classes]
            (non-negative rows summing to 1), on the same device: mixing methods (mixup, CutMix) return
            soft targets. The training loop passes y' to `F.cross_entropy` as it is, which takes both
            forms, and `label_smoothing` then applies to probability targets too
            ((1 - eps) * y' + eps / C). Return one form for every batch, whatever its size.
        """
        raise NotImplementedError

    def timed_call(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> Callable[[], object]:
        """The operation `aug_throughput` times on a training batch (samples/s = len(y) per call).

        By default the whole `augment`; a method whose cost lives elsewhere (a generator's sampling)
        times that instead, so the number means the same for every generative method.
        """
        return lambda: self.augment(x, y, model)

    def generator(self, device: torch.device) -> torch.Generator:
        """This method's random stream on `device`, seeded from the cell's seed (one per device)."""
        key = str(device)
        if key not in self._generators:
            self._generators[key] = make_generator(self.seed, f"method:{type(self).__name__}", device)
        return self._generators[key]


def draw_views(n: int, versions: int, generator: torch.Generator, device: torch.device) -> torch.Tensor:
    """int64 [n]: which of the `versions` (1 + K) versions of its example each sample trains on, uniform."""
    return torch.randint(0, versions, (n,), generator=generator, device=device)


def take_views(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x [N, 1 + K, *shape] -> [N, *shape]: sample i's version index[i] (a new tensor; x is not modified)."""
    return x[torch.arange(x.shape[0], device=x.device), index]


def train_auxiliary_classifier(task: Task, train: Split, context: FitContext, seed: int, purpose: str) -> nn.Module:
    """The task's classifier with the profile's settings, trained on `train` with its own seeded streams
    (`purpose`:init, `purpose`:order) and without moving the cell's: what a method trains beside the cell's own
    classifier (a generator's confidence filter, self-training's teacher). Returned in eval mode."""
    from augbench.core.device import place_model
    from augbench.training.trainer import PassThrough, train as train_classifier

    config = task.train_config(context.profile)
    with forked_rng(context.device, derive_seed(seed, f"{purpose}:init")):
        model = place_model(task.classifier(config), context.device, image_input=len(task.input_shape) == 3)
        train_classifier(model, task, train, PassThrough(), config, derive_seed(seed, f"{purpose}:order"), context.progress)
    return model.eval()


@dataclass(frozen=True)
class ByLabel:
    """Examples grouped by label (in their given order within each), so that a batch position can take one of its
    own label uniformly at random: self-training's kept pool and an `unlabelled` generator's bank, both labelled by
    a teacher, are drawn from this way."""

    x: torch.Tensor  # the examples, label 0's first
    y: torch.Tensor  # their labels, sorted
    start: torch.Tensor  # [classes]: where each label's examples begin
    count: torch.Tensor  # [classes]: how many each label has

    @classmethod
    def grouped(cls, x: torch.Tensor, y: torch.Tensor, classes: int) -> "ByLabel":
        order = torch.sort(y, stable=True).indices
        count = torch.bincount(y, minlength=classes)
        return cls(x[order.to(x.device)], y[order], torch.cumsum(count, 0) - count, count)

    def draw(self, labels: torch.Tensor, uniform: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Rows of `x` for labels [K], one per uniform draw in [0, 1) [K], and which labels have any (bool [K]);
        a label without examples gets row 0, which the caller must not use (it keeps its own example there)."""
        count = self.count[labels]
        have = count > 0
        return torch.where(have, self.start[labels] + torch.minimum((uniform * count).long(), count - 1), 0), have
