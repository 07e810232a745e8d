"""The run record: one row per cell, the single schema from which the store and every export are made."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

SCHEMA_VERSION = 10  # 2: validation split (val_acc, val_curve, converged), near_chance, stopped_epoch; 3: gen_cache_hit;
# 4: library_versions, lock_digest; 5: guard_json; 6: generator_data, gen_filter_kept; 7: exec_policy;
# 8: aa_acc, robust_acc, aa_json (AutoAttack); 9: word_acc, word_json (the text tasks' word substitutions);
# 10: wave_acc, wave_json (the audio task's waveform PGD)
# Every version so far only added columns: a store of an older version is migrated by adding them (store.py).


@dataclass
class RunRecord:
    """One cell's configuration, outcome, metrics and provenance. Metrics a run does not measure stay None."""

    # ids
    run_id: str  # config hash of the cell: its identity in the store
    task: str  # task registry name
    method: str  # method registry name
    seed: int  # the cell's seed (data subset, initialisation, order, method randomness)
    fraction: float  # share of the profile's training pool used, in (0, 1]
    profile: str  # smoke | quick | full
    method_params: str  # JSON of the method's resolved parameters
    task_params: str  # JSON of the task's parameters
    train_config: str  # JSON of the resolved training hyperparameters
    eval_config: str  # JSON of the resolved robustness-evaluation settings
    data_variant: str  # which copy of the data was read, e.g. cifar10-jpeg
    data_checksum: str  # sha256 over the verified data files' sha256s
    status: str  # ok | failed
    error: str | None = None  # the failure, for status=failed
    schema_version: int = SCHEMA_VERSION
    # sizes
    n_train: int | None = None  # training examples after pool and fraction
    n_test: int | None = None  # test examples evaluated
    # metrics (units and directions in augbench/results/metrics.py)
    clean_acc: float | None = None
    fgsm_acc: float | None = None
    pgd_acc: float | None = None
    corruption_acc: float | None = None
    corruption_json: str | None = None  # JSON {corruption: accuracy}; under a published benchmark {corruption: {severity: accuracy}}
    aa_acc: float | None = None  # AutoAttack accuracy (None: robust.autoattack=off, or a task whose inputs are not images)
    robust_acc: float | None = None  # per-example worst case over the task's real-input attacks that ran (images: FGSM, PGD, AutoAttack's; text: word substitutions; audio: waveform PGD); None without one of them
    aa_json: str | None = None  # JSON: the attacks that ran with their settings, and how many examples each broke first
    word_acc: float | None = None  # text tasks: accuracy under word substitutions on the sentence (PWWS; None: other tasks, or robust.word_attack=off)
    word_json: str | None = None  # JSON: the word attack's settings, success rate and mean share of words changed
    wave_acc: float | None = None  # audio tasks: accuracy under PGD on the waveform (None: other tasks, or robust.wave_attack=off)
    wave_json: str | None = None  # JSON: the waveform attack's radius in dB, steps, and the loudest perturbation it made
    fid: float | None = None
    cas: float | None = None
    aug_throughput: float | None = None
    train_throughput: float | None = None
    gen_fit_s: float | None = None  # the generator's own fit time (or the build time of a method's training views), the same whether this cell made it or loaded it
    gen_cache_hit: bool | None = None  # the generator (or the training views) came from the cache (False: made in this cell; None: neither)
    generator_data: str | None = None  # what the generator was fitted on: scarce (the cell's training subset) | pool (the task's whole train split outside validation); None: no generator
    gen_filter_kept: float | None = None  # share of the synthetic candidates the confidence filter kept (None: no filter)
    train_s: float | None = None
    eval_s: float | None = None
    total_s: float | None = None
    peak_mem_mb: float | None = None
    # the held-out validation split (never the test split): what hyperparameters are chosen on
    val_acc: float | None = None  # clean accuracy on the task's validation split after training
    val_curve: str | None = None  # JSON list: validation accuracy per epoch, in order; null where not measured (sweep.validation_epoch)
    converged: bool | None = None  # the trend line of validation accuracy over the last quarter of the epochs moved < 1 point (None: < 2 epochs)
    stopped_epoch: int | None = None  # an early-stop guard ended training and kept this epoch's weights (None: ran all epochs)
    guard_json: str | None = None  # JSON of what the catastrophic-overfitting guard did: {"events": [each trip: epoch, kept_epoch, action, ...], "final_val_clean", "final_val_pgd"} (None: no guard ran)
    near_chance: bool | None = None  # clean accuracy of the robustness check examples is within noise of chance: the large-eps check cannot judge the attack
    # how the timings were taken
    timing_warmup_steps: int | None = None  # training steps excluded from train_throughput
    aug_timing_iters: int | None = None  # timed calls of augment after its warm-up calls
    # provenance
    device: str | None = None  # cpu | cuda
    device_name: str | None = None  # CPU model or GPU name
    exec_policy: str | None = None  # JSON of the execution policy (augbench/core/policy.py): device, threads per cell, cells at once, kernels (None: stored before policies were recorded)
    torch_version: str | None = None
    torchvision_version: str | None = None
    python_version: str | None = None
    numpy_version: str | None = None
    library_versions: str | None = None  # JSON {distribution: version} of the other libraries that compute numbers (environment.NUMBER_LIBRARIES)
    lock_digest: str | None = None  # sha256[:16] of requirements.lock when every installed package matched it (None: not a locked environment)
    git_commit: str | None = None
    git_dirty: bool | None = None  # uncommitted changes in the checkout at run time
    started_at: str | None = None  # UTC ISO 8601
    finished_at: str | None = None  # UTC ISO 8601

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def record_fields() -> list[dataclasses.Field]:
    return list(dataclasses.fields(RunRecord))
