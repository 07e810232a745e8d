"""What the generative methods (gan, wgan_gp, vae) share: parameters, the fit loop with divergence
checks, the on-disk cache, sampling, batch mixing, and their metrics (FID(task) and CAS).

A subclass only says how to build its networks and how to take one optimisation step; its decoder
(`nets["decoder"]`, a `gen_nets.Decoder`) is what is cached and sampled.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, ClassVar, Literal

import torch
from torch import nn
from tqdm.auto import tqdm

from augbench.core.cache import atomic_save, cache_lock, load_verified
from augbench.core.device import compute_identity
from augbench.core.errors import UsageError
from augbench.config.cell import canonical_json
from augbench.evaluation.generative_metrics import classification_accuracy_score, fid_task, reference_classifier
from augbench.core.seeding import derive_seed, forked_rng, make_generator
from augbench.methods.base import ByLabel, FitContext, GeneratorFit, Method, train_auxiliary_classifier
from augbench.methods.gen_nets import Decoder, RangeOutput, check_shape
from augbench.tasks.base import POOL_SEED, Split, Task, TaskData
from augbench.tasks.splits import stratified_indices

# Fields of the parameters that only change how samples are mixed into batches, not the generator:
# they are left out of the cache key, so changing them reuses the fitted generator.
MIXING_FIELDS = ("ratio", "labels", "filter_tau", "mix")
# Where a generator's training data come from (the row's `generator_data`): `scarce`, the cell's own training
# subset (the classifier's n_train examples); `pool`, the task's whole train split outside the validation rows,
# fitted once per (task, method, gen_seed) and shared by every size and seed of the classifier (it consumes every
# label of that split); `unlabelled`, the same inputs with their labels withheld: an unconditional generator,
# whose samples the cell's own classifier labels (a teacher trained on the cell's n labels; Gowal et al. 2021's
# recipe), so it consumes the cell's labels and the pool's inputs, the scarce-label setting of the literature.
GENERATOR_DATA = ("scarce", "pool", "unlabelled")
# The regimes whose generator is fitted on the task's whole train split (one per task, method and gen_seed).
POOL_REGIMES = ("pool", "unlabelled")
# Candidates an `unlabelled` cell draws once from its generator and has its teacher label (the bank its batches
# draw from, per pseudo-label): about as many as a quick cell's training mixes in fresh (MNIST at 600 digits:
# 30 epochs x 10 batches x 32 replaced positions = 9,600).
UNLABELLED_BANK = {"smoke": 1000, "quick": 10000, "full": 100000}
# Fields added after rows were stored: at these values they are left out of the resolved parameters (and so of
# the config hash and the cache key), so every row stored before them keeps its run_id.
LATER_DEFAULTS = {"data": "scarce", "gen_seed": 0, "filter_tau": 0.0, "mix": "replace"}
# A pool generator's steps as a multiple of the profile's scarce budget, when `steps` is not given: it is fitted
# once and reused by every cell, as a generator pretrained elsewhere is (docs/methods/generated-data.md).
# Chosen on validation (MNIST, 600 digits, 3 seeds; results/generated/generated-data.md) among 1x, 3x and 10x:
# 10x for vae and wgan_gp; a method whose best multiple differs sets its own `POOL_STEPS` (gan: 3x).
POOL_STEPS = {"smoke": 1, "quick": 10, "full": 1}
# The confidence filter draws at most this many rounds of candidates for the positions still unfilled; the
# positions left then keep their real examples (the row's gen_filter_kept says how many candidates passed).
FILTER_ROUNDS = 8
# Samples drawn per forward pass when many are needed (FID, CAS, grids): bounds peak memory.
SAMPLE_CHUNK = 1000
# Losses are checked for NaN/inf every this many steps (each check is a host-device sync).
CHECK_EVERY = 10
# A class whose samples' per-dimension std, averaged, is below this share of the input range (or of 1
# for unbounded features) has collapsed: all its samples are (nearly) the same.
COLLAPSE_STD = 1e-3


def _seconds(value: object) -> float | None:
    """A stored fit time as float seconds; None when it is absent or not a finite, non-negative number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


class GeneratorDiverged(RuntimeError):
    """The generator's training failed (a NaN/inf loss or collapsed samples); the cell becomes a failed row."""


@dataclass(frozen=True)
class GenerativeParams:
    """Parameters every generative method has; `None` budgets are picked from the profile by the method."""

    ratio: float = 0.5  # share of each training batch that is synthetic, in [0, 1] (mix=add: below 1)
    mix: Literal["replace", "add"] = "replace"  # replace: samples take a ratio share of the batch's positions; add: they join the real batch, a ratio share of the larger batch (Gowal et al. 2021: 0.7)
    labels: Literal["frequency", "uniform"] = "frequency"  # synthetic labels: those of the replaced examples (class frequency) or uniform
    steps: int | None = None  # generator optimizer steps; none: the profile's budget
    width: int | None = None  # base channels (conv) / hidden units / 4 (MLP) of the networks; none: the profile's
    batch_size: int | None = None  # real examples per generator step; none: the profile's
    z_dim: int = 64  # latent dimensions
    data: Literal["scarce", "pool", "unlabelled"] = "scarce"  # the generator's training data: the cell's subset, the task's whole train split outside validation, or that split's inputs without labels
    gen_seed: int = 0  # the pool generator's seed (pool and unlabelled only: every classifier seed shares it)
    filter_tau: float = 0.0  # keep a synthetic sample only when a classifier trained on the cell's real subset gives its label probability >= tau (unlabelled: its most probable label, which becomes the sample's); 0: off


@dataclass(frozen=True)
class Budget:
    """A generator's training budget for one profile (each method sets its own per profile)."""

    steps: int  # generator optimizer steps
    width: int  # network width, as in GenerativeParams.width
    batch_size: int  # real examples per step


@dataclass(frozen=True)
class EvalBudget:
    """Sample counts of the generative metrics for one profile."""

    fid_samples: int  # real test examples and synthetic samples compared by FID(task) (each)
    cas_samples: int  # synthetic training samples of the CAS classifier (class-balanced), at most the real train size


EVAL_BUDGETS = {
    "smoke": EvalBudget(fid_samples=500, cas_samples=1000),
    # quick: CAS's classifier run (a second training run per generative cell) was a quarter of the grid's time
    # with as many samples as the real split; 500 (50 per class on the 10-class tasks) halves it at the
    # smallest sizes and is the same protocol at every size. (Half the task's epochs was tried for the budget
    # of `make bench`: 40 s of a 16.8-minute run, and MNIST `gan` CAS fell to 51.5% at 1,200 digits, next to
    # validate's 50% bar: not kept.)
    "quick": EvalBudget(fid_samples=2000, cas_samples=500),
    "full": EvalBudget(fid_samples=10000, cas_samples=50000),
}


def generator_identity(cell: dict[str, Any], method: str, version: int, params: dict[str, Any], budget: Budget,
                       input_space: dict[str, Any] | None = None) -> dict[str, Any]:
    """Everything that determines a fitted generator, from a cell identity (`Cell.identity()` or a stored row).

    The training data are fixed by task, task parameters, data checksum, profile pool, fraction and
    seed (and, for a feature task, by how its features are made); the classifier's other training
    settings are left out, so they share one generator. A `pool` generator's data are the task's whole
    train split outside validation: fraction, pool and the cell's seed are replaced by `gen_seed`, and a
    feature task adds `input_space` (the featurizer's fit rows), in which its pool features are made.
    """
    train_config = cell["train_config"]
    if isinstance(train_config, str):
        train_config = json.loads(train_config)
    task_params = cell["task_params"]
    if isinstance(task_params, str):
        task_params = json.loads(task_params)
    identity = {
        "method": method, "version": version,
        "params": {k: v for k, v in params.items() if k not in MIXING_FIELDS},
        "budget": dataclasses.asdict(budget),
        "task": cell["task"], "task_params": task_params, "data_variant": cell["data_variant"],
        "data_checksum": cell["data_checksum"], "profile": cell["profile"],
        "train_pool": train_config.get("train_pool"), "fraction": float(cell["fraction"]), "seed": int(cell["seed"]),
        "compute": compute_identity(),
    }
    if params.get("data") in POOL_REGIMES:  # one generator per task, method and gen_seed: the cell's subset and seed are not in it
        for key in ("train_pool", "fraction", "seed"):
            del identity[key]
        identity["seed"] = int(params.get("gen_seed", 0))
        if input_space:  # a feature task's inputs are made by a featurizer fitted on the cell's rows: one generator per space
            identity["input_space"] = input_space
    features = _features_identity(cell["task"])
    return {**identity, "features": features} if features else identity  # image tasks keep their keys


def _features_identity(task_name: str) -> dict[str, Any]:
    """What a feature task's inputs depend on beyond the cell (featurizer version, library versions, BLAS
    kernel): a generator fitted on features made otherwise must not be loaded. {} for raw-input tasks."""
    from augbench.tasks import TASKS

    try:
        task_class = TASKS.get(task_name)
    except UsageError:  # a row of a task this checkout lacks (an export read by the report): nothing to add
        return {}
    return task_class().features_identity()


class GenerativeMethod(Method):
    """Base of gan, wgan_gp and vae: fit (or load) a class-conditional generator, then mix its samples in.

    Subclasses set `name`, `VERSION` (bump when the training code changes: old cache entries then miss),
    `BUDGETS` ({profile: Budget}), `Params`, and implement `build`, `optimizers` and `step`.
    """

    name: ClassVar[str]
    VERSION: ClassVar[int]
    BUDGETS: ClassVar[dict[str, Budget]]
    POOL_STEPS: ClassVar[dict[str, int]] = POOL_STEPS  # the pool regime's steps, as a multiple of BUDGETS' per profile
    # {profile: {(task, regime): (ratio, filter_tau)}}: the share and confidence filter chosen on validation where
    # they beat the defaults (0.5, off); a method that was tuned sets its own (vae).
    SHARE_FILTER: ClassVar[dict[str, dict[tuple[str, str], tuple[float, float]]]] = {}
    Params: ClassVar[type] = GenerativeParams
    compose_stage = 0  # in a composition its samples are mixed in first

    def __init__(self, params: GenerativeParams, task: Task, seed: int) -> None:
        super().__init__(params, task, seed)
        if not 0.0 <= params.ratio <= 1.0:
            raise ValueError(f"{self.name}.ratio={params.ratio} is invalid: it must be in [0, 1]")
        if params.labels not in ("frequency", "uniform"):
            raise ValueError(f"{self.name}.labels={params.labels!r} is invalid: use frequency or uniform")
        if params.mix not in ("replace", "add"):
            raise ValueError(f"{self.name}.mix={params.mix!r} is invalid: use replace or add")
        if params.mix == "add" and params.ratio >= 1.0:
            raise ValueError(f"{self.name}.ratio={params.ratio} is invalid with mix=add: the real batch stays, so the "
                             f"synthetic share must be below 1 (0.7 makes the batch 3.3x its real size)")
        for field in ("steps", "width", "batch_size", "z_dim"):
            value = getattr(params, field)
            if value is not None and value < 1:
                raise ValueError(f"{self.name}.{field}={value} is invalid: it must be >= 1")
        for field in dataclasses.fields(params):
            value = getattr(params, field.name)
            if isinstance(value, float) and not math.isfinite(value):
                raise ValueError(f"{self.name}.{field.name}={value} is invalid: it must be finite")
        if params.data not in GENERATOR_DATA:
            raise ValueError(f"{self.name}.data={params.data!r} is invalid; valid: {', '.join(GENERATOR_DATA)}")
        if params.gen_seed < 0:
            raise ValueError(f"{self.name}.gen_seed={params.gen_seed} is invalid: it must be >= 0")
        if params.gen_seed != 0 and params.data not in POOL_REGIMES:
            raise ValueError(f"{self.name}.gen_seed={params.gen_seed} applies to data=pool and data=unlabelled only "
                             "(a scarce generator takes the cell's seed)")
        if not 0.0 <= params.filter_tau < 1.0:
            raise ValueError(f"{self.name}.filter_tau={params.filter_tau} is invalid: it must be in [0, 1) (0: no filter)")
        check_shape(task)
        self.decoder: Decoder | None = None
        self.output = RangeOutput(task.input_range)
        self.fit_source: str | None = None  # "cache" or "fit", once fitted
        self.fit_s: float | None = None  # the generator's fit time: measured by `fit`, or stored with the one `load_cached` loaded
        self.filter_model: nn.Module | None = None  # the confidence filter's classifier (filter_tau > 0), trained in `fit`
        self.filter_drawn = 0  # candidates the filter judged, and how many it kept (the row's gen_filter_kept)
        self.filter_kept = 0
        # data=unlabelled: the bank of samples the teacher (the task's classifier on the cell's labelled split)
        # labelled, grouped by that label
        self.labelled_bank: ByLabel | None = None

    # --- what subclasses provide ------------------------------------------------------------------
    def build(self, budget: Budget) -> nn.ModuleDict:
        """Fresh networks; must contain "decoder" (a gen_nets.Decoder)."""
        raise NotImplementedError

    def optimizers(self, nets: nn.ModuleDict) -> dict[str, torch.optim.Optimizer]:
        raise NotImplementedError

    def step(self, nets: nn.ModuleDict, optimizers: dict[str, torch.optim.Optimizer],
             next_batch: Callable[[], tuple[torch.Tensor, torch.Tensor]], generator: torch.Generator) -> torch.Tensor:
        """One generator optimisation step (plus its critic steps); returns the detached losses [K]."""
        raise NotImplementedError

    # --- budget and cache -------------------------------------------------------------------------
    @classmethod
    def default_params(cls, profile: str, task: Task) -> GenerativeParams:
        """The profile's budget written into the parameters, so the run record shows the values used."""
        base = cls.BUDGETS[profile]
        return dataclasses.replace(cls.Params(), steps=base.steps, width=base.width, batch_size=base.batch_size)

    @classmethod
    def complete_params(cls, params: GenerativeParams, profile: str, given: set[str],
                        task: Task | None = None) -> GenerativeParams:
        """A pool generator's default steps are POOL_STEPS x the profile's (unless `steps` was given); the share
        and filter chosen on validation for (task, regime) replace the defaults the user did not set (SHARE_FILTER)."""
        if params.data in POOL_REGIMES and "steps" not in given:
            params = dataclasses.replace(params, steps=cls.BUDGETS[profile].steps * cls.POOL_STEPS[profile])
        tuned = cls.SHARE_FILTER.get(profile, {}).get((task.name, params.data)) if task is not None else None
        if tuned is not None:
            chosen = {"ratio": tuned[0], "filter_tau": tuned[1]}
            params = dataclasses.replace(params, **{k: v for k, v in chosen.items() if k not in given})
        return params

    def resolved_params(self) -> dict[str, Any]:
        """As run; `data`, `gen_seed`, `filter_tau` and `mix` at their defaults are left out (LATER_DEFAULTS)."""
        values = super().resolved_params()
        for key, default in LATER_DEFAULTS.items():
            if values.get(key) == default:
                del values[key]
        return values

    def budget(self, profile: str) -> Budget:
        """The profile's budget with the parameters' overrides applied."""
        base = self.BUDGETS[profile]
        p = self.params
        return Budget(steps=p.steps or base.steps, width=p.width or base.width, batch_size=p.batch_size or base.batch_size)

    def cache_path(self, cell: dict[str, Any], cache_dir: Path, input_space: dict[str, Any] | None = None) -> tuple[Path, str]:
        """Where this cell's generator is cached, and the key the file must carry."""
        identity = generator_identity(cell, self.name, self.VERSION, self.resolved_params(), self.budget(cell["profile"]),
                                      input_space)
        key = hashlib.sha256(canonical_json(identity).encode()).hexdigest()[:24]
        return cache_dir / "generators" / f"{cell['task']}-{self.name}-{key}.pt", key

    def load_cached(self, cell: dict[str, Any], cache_dir: Path, device: torch.device,
                    input_space: dict[str, Any] | None = None) -> bool:
        """Load the cached generator for `cell`; False when there is none or it fails any check."""
        path, key = self.cache_path(cell, cache_dir, input_space)
        payload = load_verified(path)
        if not isinstance(payload, dict) or payload.get("key") != key:
            return False
        decoder = self.build(self.budget(cell["profile"]))["decoder"]  # the same network `fit` trains
        try:
            decoder.load_state_dict(payload["state"])
        except (KeyError, RuntimeError):
            return False
        self.decoder = decoder.to(device).eval()
        self.fit_s = _seconds(payload.get("fit_s"))
        return True

    def generator_fit(self) -> GeneratorFit | None:
        """The fit time stored with the generator (on a cache hit too) and whether it was loaded."""
        return None if self.fit_source is None else GeneratorFit(self.fit_s, cache_hit=self.fit_source == "cache")

    # --- fitting ----------------------------------------------------------------------------------
    @property
    def fit_seed(self) -> int:
        """The seed of the generator's fit (initialisation, noise, batch order, BatchNorm calibration): the cell's
        seed for a scarce generator, `gen_seed` for a pool one, which every classifier seed shares. Were it the
        cell's seed, the cached pool generator would be whichever cell fitted it first, and one run_id could hold
        other numbers when the cells ran in another order (or two at once)."""
        return self.params.gen_seed if self.params.data in POOL_REGIMES else self.seed

    def fit(self, train: Split, context: FitContext) -> None:
        """Load this cell's generator from the cache, or train it and cache it: on `train` (scarce), or on the
        task's whole train split outside validation (`context.pool`, data=pool), or on its inputs alone
        (data=unlabelled). Then, with a filter, train the filter's classifier on `train`, the real examples the
        classifier sees; with data=unlabelled, train the teacher there instead and have it label the bank.

        A cache entry without a usable fit time (written by hand, not by this code) is refitted, so the
        row's gen_fit_s is always a real fit time.

        Raises:
            GeneratorDiverged: a NaN/inf loss, or samples with (nearly) no variance.
        """
        self._fit_generator(train, context)
        if self.params.data == "unlabelled":
            self._fit_teacher_and_bank(train, context)
        elif self.params.filter_tau > 0:
            self._fit_filter(train, context)

    def _fit_teacher_and_bank(self, train: Split, context: FitContext) -> None:
        """data=unlabelled: train the teacher on the cell's labelled split (as the filter's classifier is), draw
        UNLABELLED_BANK samples once, and keep each whose most probable label the teacher gives a probability
        >= filter_tau (0: every sample), with that label. Batches then draw per label from this bank."""
        teacher = train_auxiliary_classifier(self.task, train, context, self.seed, f"{self.name}:teacher")
        count = UNLABELLED_BANK[context.profile]
        samples = self.sample(torch.zeros(count, dtype=torch.int64, device=context.device),
                              make_generator(self.seed, f"{self.name}:bank", context.device))
        with torch.no_grad():
            probability = torch.cat([torch.softmax(teacher(samples[i:i + SAMPLE_CHUNK]).float(), dim=1)
                                     for i in range(0, count, SAMPLE_CHUNK)])
        confidence, labels = probability.max(dim=1)
        keep = confidence >= self.params.filter_tau
        self.filter_drawn, self.filter_kept = count, int(keep.sum())
        self.labelled_bank = ByLabel.grouped(samples[keep], labels[keep], self.task.num_classes)

    def from_bank(self, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """data=unlabelled: a bank sample of each label in `labels` [K], uniform among the samples the teacher gave
        that label, and which labels had any (bool [K]; a position without one keeps its real example)."""
        if self.labelled_bank is None:
            raise RuntimeError(f"{self.name} has no bank: call fit() with data=unlabelled before drawing from it")
        uniform = torch.rand(labels.shape[0], generator=generator, device=labels.device)
        pick, have = self.labelled_bank.draw(labels, uniform)
        if not len(self.labelled_bank.y):  # nothing passed the threshold: every position keeps its real example
            return torch.zeros((labels.shape[0], *self.task.input_shape), device=labels.device), have
        return self.labelled_bank.x[pick], have

    def _fit_filter(self, train: Split, context: FitContext) -> None:
        """The confidence filter's classifier: the task's classifier with the profile's settings, trained on the
        cell's real training split with its own seeded streams (as CAS's classifier is on synthetic samples)."""
        self.filter_model = train_auxiliary_classifier(self.task, train, context, self.seed, f"{self.name}:filter")

    def _fit_generator(self, train: Split, context: FitContext) -> None:
        input_space = context.input_space if self.params.data in POOL_REGIMES else None
        with cache_lock(self.cache_path(context.cell, context.cache_dir, input_space)[0]):
            self._load_or_fit_generator(train, context, input_space)

    def _load_or_fit_generator(self, train: Split, context: FitContext, input_space: dict[str, Any] | None) -> None:
        if self.load_cached(context.cell, context.cache_dir, context.device, input_space) and self.fit_s is not None:
            self.fit_source = "cache"
            return
        start = time.perf_counter()
        if self.params.data in POOL_REGIMES:
            if context.pool is None:
                raise ValueError(f"{self.name}.data={self.params.data} needs the task's train split outside validation, "
                                 "and this run has none")
            train = context.pool()
        if self.params.data == "unlabelled":  # the inputs alone: every example is class 0 to the conditional nets
            train = Split(train.x, torch.zeros_like(train.y))
        if len(train) == 0:
            raise ValueError(f"{self.name} cannot fit a generator on an empty training split")
        budget = self.budget(context.profile)
        seed = self.fit_seed
        with forked_rng(context.device, derive_seed(seed, f"{self.name}:init")):  # without moving the global stream
            nets = self.build(budget).to(context.device)
        optimizers = self.optimizers(nets)
        noise = make_generator(seed, f"{self.name}:fit", context.device)
        order = make_generator(seed, f"{self.name}:batches")

        def next_batch() -> tuple[torch.Tensor, torch.Tensor]:
            index = torch.randint(0, len(train), (budget.batch_size,), generator=order).to(train.y.device)
            return self.task.prepare(train.x[index]), train.y[index]

        nets.train()
        bar = tqdm(range(budget.steps), desc=f"fit {self.name}", unit="step", leave=False,
                   disable=None if context.progress is None else not context.progress)
        recent: list[torch.Tensor] = []
        for i in bar:
            recent.append(self.step(nets, optimizers, next_batch, noise))
            if len(recent) == CHECK_EVERY or i == budget.steps - 1:
                losses = torch.stack(recent)
                if not torch.isfinite(losses).all():
                    bar.close()
                    raise GeneratorDiverged(f"{self.name} training loss became {losses[~torch.isfinite(losses)][0].item()} "
                                            f"by step {i + 1} of {budget.steps}")
                recent = []
        bar.close()
        self.decoder = nets["decoder"]
        self._recalibrate_batchnorm(context.device)
        self.decoder.eval()
        self._check_samples(context.device)
        self.fit_s = time.perf_counter() - start
        path, key = self.cache_path(context.cell, context.cache_dir, input_space)
        atomic_save({"key": key, "fit_s": self.fit_s, "steps": budget.steps,
                     "state": {k: v.detach().cpu() for k, v in self.decoder.state_dict().items()}}, path)
        self.fit_source = "fit"

    @torch.no_grad()
    def _recalibrate_batchnorm(self, device: torch.device, batches: int = 10, batch_size: int = 128) -> None:
        """Replace the decoder's BatchNorm running statistics with exact averages over prior samples.

        Sampling runs in eval mode (so a sample does not depend on the rest of its batch); the running
        averages from training lag behind the last steps, so they are recomputed here ("precise BN").
        """
        norms = [m for m in self.decoder.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
        if not norms:
            return
        saved = [m.momentum for m in norms]
        for m in norms:
            m.reset_running_stats()
            m.momentum = None  # cumulative average over the calibration batches
        generator = make_generator(self.fit_seed, f"{self.name}:calibrate", device)
        self.decoder.train()
        classes = 1 if self.params.data == "unlabelled" else self.task.num_classes
        for _ in range(batches):
            y = torch.randint(0, classes, (batch_size,), generator=generator, device=device)
            z = torch.randn(batch_size, self.params.z_dim, generator=generator, device=device)
            self.decoder(z, y)
        for m, momentum in zip(norms, saved):
            m.momentum = momentum

    def _check_samples(self, device: torch.device) -> None:
        """Raise GeneratorDiverged when samples are not finite or a class's samples have collapsed.

        Collapse is judged within each class (10 samples per class): a generator that maps every z of a
        class to one image still varies across classes, so a pooled spread would miss it.
        """
        generator = make_generator(self.fit_seed, f"{self.name}:check", device)
        classes = self.task.num_classes
        labels = torch.arange(classes, device=device).repeat_interleave(10)
        samples = self.sample(labels, generator).reshape(classes, 10, -1)
        if not torch.isfinite(samples).all():
            raise GeneratorDiverged(f"{self.name} produced non-finite samples")
        scale = 1.0 if self.task.input_range is None else self.task.input_range[1] - self.task.input_range[0]
        spread = samples.std(dim=1).mean(dim=1)  # [classes]: mean per-dimension std within each class
        collapsed = (spread < COLLAPSE_STD * scale).nonzero().flatten().tolist()
        if collapsed:
            raise GeneratorDiverged(f"{self.name} samples collapsed for classes {collapsed}: mean per-dimension "
                                    f"std {spread.min().item():.2e} < {COLLAPSE_STD * scale:.0e}")

    # --- sampling and mixing ----------------------------------------------------------------------
    @torch.no_grad()
    def sample(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Class-conditional samples [N, *input_shape] (float32, in the task's input range) for labels [N].

        Raises:
            RuntimeError: the method was not fitted (nothing to sample from).
        """
        if self.decoder is None:
            raise RuntimeError(f"{self.name} has no generator: call fit() before sampling")
        shape = (labels.shape[0], *self.task.input_shape)
        if labels.shape[0] == 0:
            return torch.empty(shape, device=labels.device)
        if self.params.data == "unlabelled":  # an unconditional generator: its one class is 0 (labels only count samples)
            labels = torch.zeros_like(labels)
        chunks = []
        for i in range(0, labels.shape[0], SAMPLE_CHUNK):
            y = labels[i:i + SAMPLE_CHUNK]
            z = torch.randn(y.shape[0], self.params.z_dim, generator=generator, device=labels.device)
            chunks.append(self.output(self.decoder(z, y)))
        return torch.cat(chunks).view(shape)

    def draw_mix(self, y: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Which positions of a batch become synthetic, and their labels.

        Returns positions [K] (K = round(ratio * N), distinct, random) and labels [K]: with
        labels=frequency the replaced examples' own labels (so synthetic labels follow the training
        split's class frequencies and the batch's labels are unchanged), with labels=uniform uniform ones.
        """
        n = y.shape[0]
        k = int(math.floor(self.params.ratio * n + 0.5))
        positions = torch.randperm(n, generator=generator, device=y.device)[:k]
        if self.params.labels == "uniform":
            labels = torch.randint(0, self.task.num_classes, (k,), generator=generator, device=y.device)
        else:
            labels = y[positions]
        return positions, labels

    def draw_added(self, y: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Labels [K] of the samples `mix=add` appends to a real batch of N: K = round(ratio / (1 - ratio) * N), so that
        they are a `ratio` share of the batch of N + K; labels=frequency draws them from the batch's own labels (with
        replacement), labels=uniform uniformly. A sample the filter rejects is not appended."""
        n = y.shape[0]
        k = int(math.floor(self.params.ratio / (1.0 - self.params.ratio) * n + 0.5))
        if self.params.labels == "uniform":
            return torch.randint(0, self.task.num_classes, (k,), generator=generator, device=y.device)
        return y[torch.randint(0, n, (k,), generator=generator, device=y.device)]

    def draw_synthetic(self, labels: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """Synthetic inputs [K, *input_shape] for a batch's replaced positions of labels [K]: fresh samples."""
        return self.sample(labels, generator)

    @torch.no_grad()
    def filtered(self, labels: torch.Tensor, generator: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """Synthetic inputs for labels [K] and which of them passed the filter (bool [K]).

        Without a filter every draw is kept. With one, a candidate is kept when the filter's classifier gives
        its label a probability >= filter_tau; positions still empty are drawn again, for at most
        FILTER_ROUNDS rounds, and those left keep their real example.
        """
        if self.params.data == "unlabelled":  # the teacher's labels and threshold were applied to the bank
            return self.from_bank(labels, generator)
        out = self.draw_synthetic(labels, generator)
        if self.filter_model is None:
            return out, torch.ones_like(labels, dtype=torch.bool)
        filled = torch.zeros_like(labels, dtype=torch.bool)
        for round_ in range(FILTER_ROUNDS):
            todo = (~filled).nonzero().flatten()
            if todo.numel() == 0:
                break
            candidates = out[todo] if round_ == 0 else self.draw_synthetic(labels[todo], generator)
            probability = torch.softmax(self.filter_model(candidates).float(), dim=1)
            passed = probability.gather(1, labels[todo].unsqueeze(1)).squeeze(1) >= self.params.filter_tau
            out[todo[passed]] = candidates[passed]
            filled[todo[passed]] = True
            self.filter_drawn += int(todo.numel())
            self.filter_kept += int(passed.sum())
        return out, filled

    def augment(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        """Replace a `ratio` share of the batch with fresh samples (new tensors; the inputs are untouched);
        with a confidence filter, only samples it keeps replace their positions. `mix=add` keeps every real example
        and appends the samples instead (`draw_added`)."""
        generator = self.generator(x.device)
        if self.params.mix == "add":
            labels = self.draw_added(y, generator)
            samples, kept = self.filtered(labels, generator) if labels.numel() else (x[:0], labels.bool())
            return torch.cat([x, samples[kept].to(x.dtype)]), torch.cat([y, labels[kept]])
        positions, labels = self.draw_mix(y, generator)
        out_x, out_y = x.clone(), y.clone()
        if positions.numel():
            samples, kept = self.filtered(labels, generator)
            out_x[positions[kept]] = samples[kept].to(x.dtype)
            out_y[positions[kept]] = labels[kept]
        return out_x, out_y

    def timed_call(self, x: torch.Tensor, y: torch.Tensor, model: nn.Module) -> Callable[[], object]:
        """aug_throughput of a generative method: class-conditional samples per second of its generator."""
        generator = self.generator(y.device)
        return lambda: self.sample(y, generator)

    # --- metrics ----------------------------------------------------------------------------------
    def evaluate(self, model: nn.Module, data: TaskData, context: FitContext) -> dict[str, Any]:
        """FID(task) against the real test split and CAS, with the profile's sample counts (EVAL_BUDGETS)."""
        counts = EVAL_BUDGETS[context.profile]
        reference = reference_classifier(self.task, data.source, context.profile, context.device,
                                         context.cache_dir, context.progress, data)
        test = data.test
        if counts.fid_samples < len(test):
            keep = torch.from_numpy(stratified_indices(test.y.cpu().numpy(), counts.fid_samples, POOL_SEED)).to(test.y.device)
            real_x, real_y = test.x[keep], test.y[keep]
        else:
            real_x, real_y = test.x, test.y
        # Synthetic samples get the real subset's labels, so FID compares like class mixes. FID and CAS judge the
        # generator: its samples unfiltered, whatever the confidence filter keeps for training.
        fake_x = self.sample(real_y, make_generator(self.seed, f"{self.name}:fid", context.device))
        fid = fid_task(reference, self.task, real_x, fake_x)
        del fake_x
        # As many synthetic samples as the real training split has, capped by the profile: small tasks do not
        # pay for a larger classifier run than their own.
        cas_samples = min(counts.cas_samples, max(len(data.train), self.task.num_classes))
        labels = torch.arange(cas_samples, device=context.device) % self.task.num_classes
        cas_generator = make_generator(self.seed, f"{self.name}:cas", context.device)
        synthetic: Split | None
        if self.params.data == "unlabelled":  # CAS of the samples as training uses them: labelled by the teacher,
            # balanced over the labels its bank holds (a label the teacher never gave cannot be trained on, and the
            # test split's examples of it count against CAS); a bank that kept nothing trains nothing: no CAS
            present = (self.labelled_bank.count > 0).nonzero().flatten().to(context.device)
            labels = present[torch.arange(cas_samples, device=context.device) % len(present)] if len(present) else labels[:0]
            synthetic = Split(self.from_bank(labels, cas_generator)[0], labels) if len(labels) else None
        else:
            synthetic = Split(self.sample(labels, cas_generator), labels)
        cas = None if synthetic is None else classification_accuracy_score(
            self.task, synthetic, test, context.profile, self.seed, context.device, context.progress)
        metrics = {"fid": fid, "cas": cas, "generator_data": self.params.data}
        if self.filter_model is not None or (self.params.data == "unlabelled" and self.params.filter_tau > 0):
            metrics["gen_filter_kept"] = self.filter_kept / self.filter_drawn if self.filter_drawn else None
        return metrics
