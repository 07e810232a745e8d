"""Robustness of a trained classifier: FGSM, PGD, AutoAttack (opt-in, `autoattack`) and corruption accuracy on
fixed test examples, plus the sanity checks that catch a broken attack or gradient masking.

RobustBench's protocol is AutoAttack's standard version on the whole test split (and CIFAR-10-C for corruptions);
the suite meets it only with `autoattack=standard`, `samples=None` and `corruptions=benchmark` (the full profile's
settings once the baseline moves to them). The quick profile's PGD-10 on 500 examples is a cheaper, weaker
measurement, and docs/metrics.md says by how much it overstates adversarially trained models.

On text and audio, FGSM and PGD move the feature vector and measure smoothness; the attacks on the input a person
gives are word substitutions on the sentence (word_substitution.py) and PGD on the waveform (waveform_attack.py),
whose accuracy is those rows' robust_acc.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

import torch
from torch import nn

from augbench.evaluation.attacks import default_pgd_alpha, fgsm, pgd
from augbench.evaluation.autoattack import VERSIONS as AUTOATTACK_VERSIONS, AutoAttackConfig, autoattack, eps_curve
from augbench.evaluation.corruption_benchmark import benchmark_accuracy, mean_accuracy
from augbench.evaluation.waveform_attack import WaveAttackConfig, waveform_pgd
from augbench.evaluation.word_substitution import WordAttackConfig, pwws
from augbench.transforms.corruptions import corrupt
from augbench.core.errors import UsageError
from augbench.core.seeding import make_generator
from augbench.tasks.base import POOL_SEED, Split, Task
from augbench.tasks.splits import stratified_indices



@dataclass(frozen=True)
class RobustnessConfig:
    """How robustness is measured; picked per profile, overridable as `--param robust.KEY=VALUE`."""

    samples: int | None = 1000  # fixed stratified test examples attacked and corrupted (None: the whole split)
    pgd_steps: int = 10  # PGD iterations at the task's epsilon
    restarts: int = 1  # PGD random starts per example; an example counts as robust only if it survives all
    pgd_alpha: float | None = None  # PGD step in input units (None: 2.5 * eps / steps, Madry et al.)
    eps: float | None = None  # L-inf radius in input units (None: the task's standard epsilon)
    check_samples: int = 100  # examples used by the large-epsilon and double-steps checks
    tolerance: float = 0.03  # slack of the ordering check PGD <= FGSM <= clean, in accuracy
    batch_size: int = 500  # examples per attack batch
    autoattack: str = "off"  # AutoAttack on image tasks: off | fast (APGD-CE, APGD-T) | standard (+ FAB-T, Square)
    # correct is the reference's (aa_acc is AutoAttack's own accuracy); survivors gives the same per-example worst
    # case (robust_acc) in expectation without spending APGD's iterations on what PGD already broke (aa_acc is then
    # the cascade's accuracy)
    aa_examples: str = "correct"  # which examples AutoAttack attacks: correct (every one correct clean) | survivors (those FGSM and PGD left)
    # suite: each task's own corruption set; benchmark: the published benchmark where a task has one (CIFAR-10-C,
    # MNIST-C; text and audio have none and keep their own set)
    corruptions: str = "suite"  # suite (each task's own set) | benchmark (CIFAR-10-C, MNIST-C where a task has one)
    # last: PGD's last iterate (every stored row); strongest: per example, the first misclassified iterate of the
    # walk, else its highest-loss one (over steps, and over restarts as before: robust only if every start fails)
    pgd_iterate: str = "last"  # which PGD iterate counts per example: last | strongest (first misclassified, else highest loss)
    severities: str = "1,2,3,4,5"  # CIFAR-10-C's severities averaged over (MNIST-C has one published level)
    # The text tasks' real-input attack: pwws (word substitutions, augbench/evaluation/word_substitution.py) | off
    word_attack: str = "pwws"  # text tasks' attack on the sentence: pwws (word substitutions) | off
    word_share: float = 0.2  # PWWS: most words of a sentence that may change, as a share of its words
    # The audio task's real-input attack: pgd (on the waveform, augbench/evaluation/waveform_attack.py) | off
    wave_attack: str = "pgd"  # audio task's attack on the recording: pgd (on the waveform) | off
    wave_db: float = -40.0  # its radius: the perturbation's peak relative to the recording's, in dB

    def __post_init__(self) -> None:
        if self.corruptions not in CORRUPTION_SETS:
            raise UsageError(f"robust.corruptions={self.corruptions} is invalid: valid choices are {', '.join(CORRUPTION_SETS)}")
        if self.pgd_iterate not in PGD_ITERATES:
            raise UsageError(f"robust.pgd_iterate={self.pgd_iterate} is invalid: valid choices are {', '.join(PGD_ITERATES)}")
        levels = [level.strip() for level in str(self.severities).split(",")]
        if not levels or any(level not in SEVERITY_CHOICES for level in levels) or len(set(levels)) != len(levels):
            raise UsageError(f"robust.severities={self.severities} is invalid: give distinct severities from "
                             f"{', '.join(SEVERITY_CHOICES)}, separated by commas (e.g. 1,2,3,4,5 or 3)")
        object.__setattr__(self, "severities", ",".join(sorted(levels)))  # one spelling per choice, one run_id
        if self.word_attack not in WORD_ATTACKS:
            raise UsageError(f"robust.word_attack={self.word_attack} is invalid: valid choices are {', '.join(WORD_ATTACKS)}")
        WordAttackConfig(self.word_share)  # raises on a share outside (0, 1]
        if self.wave_attack not in WAVE_ATTACKS:
            raise UsageError(f"robust.wave_attack={self.wave_attack} is invalid: valid choices are {', '.join(WAVE_ATTACKS)}")
        WaveAttackConfig(self.wave_db)  # raises on a loudness outside [-100, 0)
        if self.autoattack != "off" and self.autoattack not in AUTOATTACK_VERSIONS:
            raise UsageError(f"robust.autoattack={self.autoattack} is invalid: valid choices are off, "
                             f"{', '.join(AUTOATTACK_VERSIONS)}")
        if self.aa_examples not in AA_EXAMPLES:
            raise UsageError(f"robust.aa_examples={self.aa_examples} is invalid: valid choices are {', '.join(AA_EXAMPLES)}")
        if self.eps is not None and not self.eps >= 0:
            raise UsageError(f"robust.eps={self.eps} is invalid: it must be >= 0")
        for name in ("pgd_steps", "restarts"):
            if getattr(self, name) < 1:
                raise UsageError(f"robust.{name}={getattr(self, name)} is invalid: it must be >= 1")
        if self.pgd_alpha is not None and not self.pgd_alpha > 0:
            raise UsageError(f"robust.pgd_alpha={self.pgd_alpha} is invalid: it must be > 0")
        for name in ("samples", "check_samples", "batch_size"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise UsageError(f"robust.{name}={value} is invalid: it must be >= 1")
        if not 0 <= self.tolerance < 1:
            raise UsageError(f"robust.tolerance={self.tolerance} is invalid: it must be in [0, 1)")

    def identity(self) -> dict[str, object]:
        """The settings as they enter the config hash and a row's eval_config. `autoattack` came later: at its
        default (off) it is left out, so every row stored before it keeps its run_id and eval_config."""
        values = dataclasses.asdict(self)
        if values["autoattack"] == "off" or values["aa_examples"] == "correct":
            del values["aa_examples"]  # likewise; it means nothing without AutoAttack
        if values["autoattack"] == "off":
            del values["autoattack"]
        if values["corruptions"] == "suite":  # likewise the corruption benchmarks
            del values["corruptions"], values["severities"]
        if values["pgd_iterate"] == "last":  # and PGD's strongest iterate
            del values["pgd_iterate"]
        # only the text and audio tasks' rows carry them (identity_for)
        del values["word_attack"], values["word_share"], values["wave_attack"], values["wave_db"]
        return values

    def identity_for(self, task: Task) -> dict[str, object]:
        """`identity()` plus the settings of the real-input attacks that run on `task`: a row names exactly what
        judged it, and rows of tasks the word-substitution attack does not touch keep their run_ids."""
        values = self.identity()
        if self.word_attack_applies(task):
            values["word_attack"] = WordAttackConfig(self.word_share).describe()
        if self.wave_attack_applies(task):
            values["wave_attack"] = WaveAttackConfig(self.wave_db).describe(self.pgd_steps)
        return values

    def wave_attack_applies(self, task: Task) -> bool:
        return self.wave_attack != "off" and getattr(task, "raw_kind", None) == "waveform"

    def raw_attack_applies(self, task: Task) -> bool:
        """Whether a cell of `task` needs its raw test items and featurizer (`evaluate_robustness`'s `raw`)."""
        return self.word_attack_applies(task) or self.wave_attack_applies(task)

    def word_attack_applies(self, task: Task) -> bool:
        return self.word_attack != "off" and getattr(task, "raw_kind", None) == "text"

    def severity_levels(self) -> tuple[int, ...]:
        return tuple(sorted(int(level) for level in str(self.severities).split(",")))


CORRUPTION_SETS = ("suite", "benchmark")
AA_EXAMPLES = ("correct", "survivors")
WORD_ATTACKS = ("pwws", "off")
WAVE_ATTACKS = ("pgd", "off")
PGD_ITERATES = ("last", "strongest")
SEVERITY_CHOICES = ("1", "2", "3", "4", "5")


PROFILE_CONFIGS = {
    "smoke": RobustnessConfig(samples=200, pgd_steps=5, check_samples=100),
    # quick: 500 examples and one random start (1,000 examples cost ~18 s of PGD per CIFAR-10 cell, and each
    # restart another ~5 s: too much for the 60-cell grid). The full profile takes the standard best of 5 starts.
    "quick": RobustnessConfig(samples=500, pgd_steps=10, check_samples=100),
    "full": RobustnessConfig(samples=None, pgd_steps=20, check_samples=1000, restarts=5),
}


@dataclass
class RobustnessResult:
    metrics: dict[str, object]  # record fields: fgsm_acc, pgd_acc, corruption_acc, corruption_json
    problems: list[str] = field(default_factory=list)  # failed sanity checks, each a sentence


def evaluate_robustness(model: nn.Module, task: Task, test: Split, config: RobustnessConfig,
                        raw: tuple[np.ndarray, Callable[[Any], np.ndarray]] | None = None) -> RobustnessResult:
    """FGSM, PGD and corruption accuracy of `model` on a fixed stratified subset of `test`, and sanity checks.

    The subset, the PGD random starts and the corruption noise are drawn from fixed seeds, so every
    method and seed is judged on exactly the same perturbed examples. `raw`: the raw items of `test` and the
    cell's featurizer (`FeatureTask.raw_test_inputs`), for the attacks that act on inputs a person could
    produce (the text tasks' word substitutions, the audio task's waveform PGD); without it they are not run (the
    sweep always passes it where they apply, and refuses a task that cannot give it).
    """
    was_training = model.training
    model.eval()
    try:
        return _evaluate(model, task, test, config, raw)
    finally:
        model.train(was_training)


def _evaluate(model: nn.Module, task: Task, test: Split, config: RobustnessConfig,
              raw: tuple[np.ndarray, Callable[[Any], np.ndarray]] | None) -> RobustnessResult:
    keep = torch.arange(len(test), device=test.y.device)
    if config.samples is not None and config.samples < len(test):
        keep = torch.from_numpy(stratified_indices(test.y.cpu().numpy(), config.samples, POOL_SEED)).to(test.y.device)
    x, y = task.prepare(test.x[keep]), test.y[keep]
    eps = task.attack_eps if config.eps is None else config.eps
    alpha = config.pgd_alpha or default_pgd_alpha(eps, config.pgd_steps)
    device, bounds, size = x.device, task.input_range, config.batch_size

    def run(fn, xs=x, ys=y) -> torch.Tensor:
        return torch.cat([_predict_correct(model, fn(xs[i:i + size], ys[i:i + size]), ys[i:i + size])
                          for i in range(0, len(ys), size)]) if len(ys) else torch.zeros(0, dtype=torch.bool)

    # how far the attacks at `eps` moved inputs, out of range by how much, and the largest input magnitude (float32
    # rounds x + eps to its spacing there: standardized features of a small training set can reach 1e6)
    reach = {"radius": 0.0, "outside": 0.0, "scale": 0.0}

    def measured(attack):
        def attack_and_measure(xb: torch.Tensor, yb: torch.Tensor) -> torch.Tensor:
            adv = attack(xb, yb)
            reach["radius"] = max(reach["radius"], float((adv - xb).abs().max()) if len(xb) else 0.0)
            reach["scale"] = max(reach["scale"], float(xb.abs().max()) if len(xb) else 0.0)
            if bounds is not None and len(xb):
                reach["outside"] = max(reach["outside"], float((bounds[0] - adv).clamp(min=0).max()),
                                       float((adv - bounds[1]).clamp(min=0).max()))
            return adv
        return attack_and_measure

    pgd_gen = make_generator(POOL_SEED, "pgd", device)
    strongest = config.pgd_iterate == "strongest"
    clean_ok = run(lambda xb, yb: xb)
    fgsm_ok = run(measured(lambda xb, yb: fgsm(model, xb, yb, eps, bounds)))
    pgd_ok = clean_ok.clone()
    first_start_ok = None  # one start's result: what the double-steps check (one start too) compares with
    for _ in range(config.restarts):  # best of N random starts: robust only if no start breaks it
        survived = run(measured(lambda xb, yb: pgd(model, xb, yb, eps, alpha, config.pgd_steps, pgd_gen, bounds, strongest=strongest)))
        first_start_ok = clean_ok & survived if first_start_ok is None else first_start_ok
        pgd_ok &= survived
    # The checks use a stratified share of the subset: test files may be sorted by class, so a
    # prefix could hold a single class.
    check = torch.arange(len(y), device=y.device)
    if config.check_samples < len(y):
        check = torch.from_numpy(stratified_indices(y.cpu().numpy(), config.check_samples, POOL_SEED)).to(y.device)
    aa_metrics, aa_problems = _autoattack_metrics(model, task, x, y, eps, config, clean_ok & fgsm_ok & pgd_ok, check)
    raw_metrics = {**_word_attack_metrics(model, task, x, y, keep, config, raw),
                   **_wave_attack_metrics(model, task, x, y, keep, config, raw)}
    per_corruption: dict[str, object] = {}
    benchmark = task.corruption_benchmark if config.corruptions == "benchmark" else None
    if benchmark is not None:  # {corruption: {severity: accuracy}}, averaged over every corruption and severity
        per_corruption = benchmark_accuracy(model, benchmark, x, y, POOL_SEED, size, config.severity_levels())
    for name in () if benchmark is not None else task.corruptions:
        if name in test.views:  # computed by the task from raw data (e.g. noise on the waveform)
            view = task.prepare(test.views[name][keep])
            per_corruption[name] = float(run(lambda xb, yb: xb, view, y).double().mean())
        else:
            per_corruption[name] = float(run(lambda xb, yb, name=name: corrupt(name, xb, POOL_SEED)).double().mean())
    metrics: dict[str, object] = {
        "fgsm_acc": float(fgsm_ok.double().mean()),
        "pgd_acc": float(pgd_ok.double().mean()),
        "corruption_acc": (mean_accuracy(per_corruption) if benchmark is not None else
                           sum(per_corruption.values()) / len(per_corruption) if per_corruption else None),
        "corruption_json": json.dumps(per_corruption, sort_keys=True) if per_corruption else None,
        **aa_metrics,
        **raw_metrics,
    }
    clean = float(clean_ok.double().mean())
    problems = ordering_problems(clean, metrics["fgsm_acc"], metrics["pgd_acc"], config.tolerance)
    problems += reach_problems(reach["radius"], reach["outside"], eps, reach["scale"])
    problems += aa_problems

    check_x, check_y = x[check], y[check]
    wide_eps, steps = task.sanity_eps, config.pgd_steps
    wide_gen = make_generator(POOL_SEED, "pgd-wide", device)
    wide_alpha = default_pgd_alpha(wide_eps, steps)
    wide = float(run(lambda xb, yb: pgd(model, xb, yb, wide_eps, wide_alpha, steps, wide_gen, bounds, strongest=strongest),
                     check_x, check_y).double().mean())
    chance = majority_rate(check_y)
    near_chance = float(clean_ok[check].double().mean()) <= chance + binomial_noise(chance, len(check), config.tolerance)
    metrics["near_chance"] = near_chance
    problem = wide_eps_problem(wide, chance, len(check), wide_eps, config.tolerance)
    if problem and not near_chance:  # a model at chance keeps chance under any attack: the check cannot judge it
        problems.append(problem)
    double_alpha = default_pgd_alpha(eps, 2 * steps) if config.pgd_alpha is None else config.pgd_alpha / 2
    double_gen = make_generator(POOL_SEED, "pgd-double", device)
    double_ok = run(lambda xb, yb: pgd(model, xb, yb, eps, double_alpha, 2 * steps, double_gen, bounds, strongest=strongest),
                    check_x, check_y) & clean_ok[check]
    single_ok = first_start_ok[check]  # not the best of N starts: that is a stronger attack
    problems += masking_problems(single_ok, double_ok, config.tolerance)
    return RobustnessResult(metrics, problems)


def _autoattack_metrics(model: nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor, eps: float,
                        config: RobustnessConfig, survived: torch.Tensor, check: torch.Tensor) -> tuple[dict[str, object], list[str]]:
    """AutoAttack's accuracy, the worst case over every attack (`survived`: correct clean, FGSM and every PGD
    start), the reference's warning flags and the accuracy-against-radius curve on the check examples (`check`), with the
    problems that fail the row (a rising curve, Square breaking what the gradient attacks could not).

    Images only: AutoAttack's attacks work in [0, 1], and text and audio are attacked in feature space, where
    the suite's PGD is the measurement (their rows leave these metrics empty)."""
    if config.autoattack == "off" or task.input_range != (0.0, 1.0) or eps <= 0:
        return {}, []
    aa_config = AutoAttackConfig(version=config.autoattack)
    start = survived if config.aa_examples == "survivors" else None
    result = autoattack(model, x, y, eps, task.num_classes, aa_config, config.batch_size, start=start)
    curve = eps_curve(model, x[check], y[check], eps, config.batch_size)
    problems = curve_problems(curve, len(check), config.tolerance)
    if "square" in result.broken_by and len(y):
        problems += square_problems(result.broken_by["square"], len(y), config.tolerance)
    described = {**aa_config.describe(eps), "examples": config.aa_examples, "broken_by": result.broken_by, "flags": result.flags,
                 "eps_curve": [[round(r, 6), a] for r, a in curve], "eps_curve_examples": len(check)}
    return ({"aa_acc": result.accuracy,
             "robust_acc": float((survived & result.robust).double().mean()) if len(y) else 0.0,
             "aa_json": json.dumps(described, sort_keys=True)}, problems)


def _word_attack_metrics(model: nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor, keep: torch.Tensor,
                         config: RobustnessConfig, raw: tuple[np.ndarray, Callable[[Any], np.ndarray]] | None) -> dict[str, object]:
    """PWWS on the raw sentences of the attacked examples, each candidate featurized by the cell's featurizer and
    classified by the model: accuracy under it (also the row's robust_acc, the worst case over the text tasks'
    real-input attacks, of which it is the one), its success rate and the mean share of words it changed.

    The featurizer is refitted for the attack; it must reproduce the features the model was tested on, else the
    attack would judge another pipeline than the row's (a RuntimeError: a bug, not a measurement)."""
    if not config.word_attack_applies(task) or raw is None:
        return {}
    items, featurize = raw
    sentences = [str(s) for s in items[keep.cpu().numpy()]]
    features = x.detach().cpu().numpy().reshape(len(sentences), -1)
    gap = float(np.abs(featurize(sentences).reshape(len(sentences), -1) - features).max()) if sentences else 0.0
    if gap > 1e-4:
        raise RuntimeError(f"task {task.name}: the refitted featurizer differs from the cell's test features by {gap:.3g}")

    def predict(batch: list[str]) -> np.ndarray:
        inputs = torch.from_numpy(featurize(batch)).to(x.device, x.dtype).reshape(len(batch), *x.shape[1:])
        with torch.inference_mode():
            return torch.cat([torch.softmax(model(inputs[i:i + config.batch_size]).float(), dim=1)
                              for i in range(0, len(batch), config.batch_size)]).cpu().numpy()

    attack = WordAttackConfig(config.word_share)
    result = pwws(predict, sentences, y.cpu().numpy(), attack)
    described = {**attack.describe(), "examples": len(sentences), "success_rate": result.success_rate,
                 "mean_words_changed": result.mean_changed, "clean_correct": int(result.correct.sum())}
    return {"word_acc": result.accuracy, "robust_acc": result.accuracy, "word_json": json.dumps(described, sort_keys=True)}


def _wave_attack_metrics(model: nn.Module, task: Task, x: torch.Tensor, y: torch.Tensor, keep: torch.Tensor,
                         config: RobustnessConfig, raw: tuple[np.ndarray, Any] | None) -> dict[str, object]:
    """PGD on the attacked recordings' samples through the cell's front end (augbench/evaluation/waveform_attack.py):
    accuracy under it (also the row's robust_acc, the worst case over the audio task's real-input attacks, of which
    it is the one), and its radius. The front end is refitted and must reproduce the features the model was tested
    on (a RuntimeError otherwise: a bug, not a measurement)."""
    if not config.wave_attack_applies(task) or raw is None:
        return {}
    items, front = raw
    waves, mask = front.fixed([items[i] for i in keep.cpu().numpy()])
    front, waves, mask = front.to(x.device), waves.to(x.device), mask.to(x.device)
    with torch.no_grad():
        gap = float((front(waves) - x).abs().max()) if len(waves) else 0.0
    if gap > 1e-3:
        raise RuntimeError(f"task {task.name}: the refitted front end differs from the cell's test features by {gap:.3g}")
    attack = WaveAttackConfig(config.wave_db)
    robust, adversarial = waveform_pgd(model, front, waves, mask, y, attack, config.pgd_steps,
                                       make_generator(POOL_SEED, "pgd-wave", x.device), config.batch_size,
                                       strongest=True)
    loud = (adversarial - waves).abs().amax(dim=1) / (waves.abs() * mask).amax(dim=1).clamp_min(1e-12)
    described = {**attack.describe(config.pgd_steps), "examples": len(waves), "iterate": "strongest",
                 "loudest_db": float(20 * torch.log10(loud.max().clamp_min(1e-12))) if len(waves) else None}
    accuracy = float(robust.double().mean()) if len(robust) else 0.0
    return {"wave_acc": accuracy, "robust_acc": accuracy, "wave_json": json.dumps(described, sort_keys=True)}


def curve_problems(curve: list[tuple[float, float]], n: int, tolerance: float) -> list[str]:
    """Accuracy must not rise with the radius beyond noise (two binomial standard errors, at least `tolerance`):
    a larger ball holds every perturbation of a smaller one, so a working attack finds at least as much there."""
    problems = []
    for (r0, a0), (r1, a1) in zip(curve, curve[1:]):
        noise = binomial_noise(a0, n, tolerance)
        if a1 > a0 + noise:
            problems.append(f"accuracy rises from {a0:.3f} at eps={r0:.4g} to {a1:.3f} at eps={r1:.4g} (> noise {noise:.3f}): "
                            "gradient masking?")
    return problems


def square_problems(broken: int, n: int, tolerance: float) -> list[str]:
    """The black-box Square runs last: examples it breaks had survived every white-box attack. More than
    `tolerance` of them means the gradients mislead (the reference warns above 0.2%; aa_json keeps that flag)."""
    if broken / n > tolerance:
        return [f"Square (black-box) broke {broken} of {n} examples ({broken / n:.1%}) that every gradient attack "
                f"left standing (> {tolerance:.0%}): gradient masking?"]
    return []


def _predict_correct(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    with torch.inference_mode():
        return model(x).argmax(dim=1) == y


def reach_problems(radius: float, outside: float, eps: float, scale: float = 0.0) -> list[str]:
    """Adversarial inputs must stay within `eps` (L-inf) of the clean ones and inside the input range: an
    attack that skips the projection reports accuracy under a larger, unstated perturbation. `scale` (the largest
    input magnitude) allows float32's rounding of x + eps there (two spacings), and nothing more."""
    problems = []
    if radius > eps * (1 + 1e-4) + 1e-6 + 2 * float(np.spacing(np.float32(scale))):
        problems.append(f"attacks at eps={eps:g} moved inputs by {radius:.4g} (L-inf): the projection onto the eps-ball is missing")
    if outside > 1e-6:
        problems.append(f"attacks left the valid input range by {outside:.4g}")
    return problems


def majority_rate(y: torch.Tensor) -> float:
    """Chance on these examples: the share of the most frequent class (what a constant prediction scores)."""
    return float(torch.bincount(y).max()) / len(y) if len(y) else 0.0


def binomial_noise(p: float, n: int, floor: float) -> float:
    """Two binomial standard errors of an accuracy `p` measured on `n` examples, at least `floor`."""
    return max(floor, 2 * math.sqrt(max(p * (1 - p), 1e-12) / max(n, 1)))


def wide_eps_problem(wide_acc: float, chance: float, n: int, eps: float, tolerance: float) -> str | None:
    """At an epsilon that spans the input range, a working attack leaves no more than chance (the
    majority-class rate of the checked examples) plus noise; more means the attack is broken (e.g. no
    gradient reaches the input, or the model is attacked in train mode)."""
    limit = chance + binomial_noise(chance, n, tolerance)
    if wide_acc > limit:
        return f"PGD at eps={eps:g} leaves accuracy {wide_acc:.3f} > chance {chance:.3f} + noise = {limit:.3f} (the attack is not working)"
    return None


def ordering_problems(clean: float, fgsm_acc: float, pgd_acc: float, tolerance: float) -> list[str]:
    """A stronger attack must not leave more accuracy than a weaker one: PGD <= FGSM <= clean (+ tolerance)."""
    problems = []
    if fgsm_acc > clean + tolerance:
        problems.append(f"FGSM accuracy {fgsm_acc:.3f} exceeds clean accuracy {clean:.3f} + {tolerance}")
    if pgd_acc > fgsm_acc + tolerance:
        problems.append(f"PGD accuracy {pgd_acc:.3f} exceeds FGSM accuracy {fgsm_acc:.3f} + {tolerance}")
    return problems


MASKING_ALPHA = 0.01  # one-sided exact McNemar level of the double-steps check


def masking_problems(single_ok: torch.Tensor, double_ok: torch.Tensor, tolerance: float) -> list[str]:
    """Twice the PGD steps must not raise accuracy beyond noise: if it does, the gradients mislead the attack
    (gradient masking). `single_ok` and `double_ok` say, per checked example, whether it survived each attack.

    Beyond noise means both: the rise exceeds two binomial standard errors of the single attack's accuracy
    (at least `tolerance`), and the examples only the longer attack left standing outnumber those only the
    shorter one left standing by more than chance allows (exact one-sided McNemar test, p < MASKING_ALPHA).
    The second condition matters near zero, where the first has no width: the two attacks start from
    different random points, and a model with a few borderline examples saw 0 of 100 survive PGD-10 and 4 of
    100 survive PGD-20 (MNIST randaugment, 600 digits; McNemar 4 vs 0, p = 0.06), while a masked gradient
    leaves many more standing (0.40 -> 0.60 on 200 examples: 40 vs 0, p ~ 1e-12)."""
    from scipy.stats import binomtest

    n = max(len(single_ok), 1)
    single, double = float(single_ok.double().mean()), float(double_ok.double().mean())
    noise = max(tolerance, 2 * math.sqrt(max(single * (1 - single), 1e-12) / n))
    if double <= single + noise:
        return []
    gained = int((double_ok & ~single_ok).sum())  # survived the longer attack only
    lost = int((single_ok & ~double_ok).sum())
    p = binomtest(gained, gained + lost, 0.5, alternative="greater").pvalue
    if p >= MASKING_ALPHA:
        return []
    return [f"PGD with twice the steps raises accuracy from {single:.3f} to {double:.3f} (> noise {noise:.3f}; "
            f"{gained} examples survive only the longer attack, {lost} only the shorter, McNemar p={p:.2g}): "
            "gradient masking?"]
