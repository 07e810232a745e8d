"""`augbench reproduce NAME`: a published result re-run through the suite's own loop, store and attacks,
over several seeds.

A reproduction is a set of cells with the paper's settings (as `--param` overrides of an ordinary sweep),
one per seed, so its rows land in a store like any other and its numbers come from the same trainer and
PGD as the leaderboard's. One seed is an anecdote: FGSM-RS on MNIST overfits catastrophically on some
seeds and not on others, so the result is the distribution. A seed whose PGD accuracy lies more than
`stats.COLLAPSE_POINTS` from the seeds' median has collapsed (the rule `validate` (c) applies); the
verdict compares the mean of the other seeds with the paper's number and states the collapse rate beside
it. The measured numbers, the paper's and the gap are written to results/reproductions/, where
`augbench validate` reads them.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from augbench.core.errors import UsageError
from augbench.core.provenance import REPO_ROOT
from augbench.reporting.stats import COLLAPSE_POINTS, collapsed, mean_interval
from augbench.results.store import Store
from augbench.runner.sweep import SweepSpec, plan, run_sweep

OUTPUT_DIR = REPO_ROOT / "results" / "reproductions"
COLLAPSE_METRIC = "pgd_acc"  # the accuracy catastrophic overfitting destroys
REPRODUCED, GAP = "REPRODUCED", "GAP"

# The wong2020-mnist recipe (their train_mnist.py defaults) and evaluation (their evaluate_mnist.py defaults).
_WONG_TRAIN = {"epochs": "10", "batch_size": "100", "optimizer": "adam", "lr": "0.005", "warmup": "0.4",
               "weight_decay": "0", "label_smoothing": "0", "train_pool": "none", "test_limit": "none"}
_WONG_EVAL = {"pgd_steps": "50", "pgd_alpha": "0.01", "restarts": "10", "samples": "none"}
_WONG_FGSM = {"attack": "fgsm_rs", "eps": "0.3", "alpha": "0.375", "share": "1.0", "guard": "true",
              "guard_samples": "512", "clamp_start": "false"}


@dataclass(frozen=True)
class Contrast:
    """The reproduction's cells with other settings, run on the seeds where its guard tripped (elsewhere the
    guard's answer changes nothing: the two runs are the same computation) and reported beside it."""

    label: str  # e.g. "on_collapse=stop"
    overrides: dict[str, dict[str, str]]  # merged over the reproduction's


@dataclass(frozen=True)
class Reproduction:
    """A published result and the suite settings that reproduce it."""

    name: str
    title: str
    task: str
    method: str
    profile: str  # the profile whose remaining defaults the cells take
    overrides: dict[str, dict[str, str]]  # --param overrides, by owner
    reference: dict[str, float]  # record field -> the paper's value
    reference_source: str
    tolerance_points: float  # |mean of the non-collapsed seeds - reference| in points that still counts as reproduced
    seeds: int = 5  # seeds 0..seeds-1 unless --seeds says otherwise
    notes: tuple[str, ...] = field(default_factory=tuple)  # how this run differs from the paper's, honestly
    contrast: Contrast | None = None


REPRODUCTIONS: dict[str, Reproduction] = {
    r.name: r
    for r in [
        Reproduction(
            name="wong2020-mnist",
            title="Wong, Rice & Kolter 2020 (Fast is better than free), FGSM-RS adversarial training on MNIST",
            task="mnist",
            method="adversarial",
            profile="full",
            overrides={
                "mnist": {"arch": "wong2020"},
                # on a collapse, go on from the kept weights with the step x0.8 (the method's default, chosen on
                # validation over 5 seeds: results/tuning/wong-on-collapse.md)
                "adversarial": {**_WONG_FGSM, "on_collapse": "shrink_step", "shrink_factor": "0.8"},
                # 10 epochs, batch 100, Adam, cyclic learning rate 0 -> 5e-3 -> 0 peaking at 2/5 of training
                "train": _WONG_TRAIN,
                # PGD-50, step 0.01, 10 restarts, on the whole test split
                "robust": _WONG_EVAL,
            },
            reference={"clean_acc": 0.9850, "pgd_acc": 0.8838},
            reference_source=("their released MNIST model fgsm.pth (github.com/locuslab/fast_adversarial), measured by "
                              "their evaluate_mnist.py (locuslab/fast_adversarial issue #20); the suite's evaluation of "
                              "the same file: results/reproductions/released/released-models.json"),
            tolerance_points=5.0,
            notes=(
                "trains on 59,000 images: the suite holds 1,000 out of the 60,000 as the validation split the guard reads",
                "the guard (PGD-5 on 512 fixed validation images after each epoch; a drop > 0.2 beyond the drop of clean "
                "accuracy rolls back to the last kept epoch) is adapted from Wong et al.'s CIFAR-10 script; their MNIST "
                "script has none. Here it goes on from the kept weights with the FGSM step x0.8 (on_collapse=shrink_step)",
                "the learning rate follows the suite's schedule: linear from 0 to 5e-3 over the first 40% of the steps, "
                "then linear to 0 (theirs interpolates per iteration over the same points)",
                "weights are initialised by the suite's seeding (seed_everything(seed) before the network is built), "
                "not their torch.manual_seed(0) stream",
            ),
            contrast=Contrast("on_collapse=stop", {"adversarial": {"on_collapse": "stop"}}),
        ),
        Reproduction(
            name="madry2018-mnist",
            title="Madry et al. 2018, PGD adversarial training on MNIST (eps 0.3), as Wong et al. 2020 ran it on their network",
            task="mnist",
            method="adversarial",
            profile="full",
            overrides={
                "mnist": {"arch": "wong2020"},
                # Madry et al.'s adversary (mnist_challenge/config.json: k=40, a=0.01, random start, eps 0.3), with
                # Wong et al.'s loop: an example's walk stops once the model misclassifies it (train_mnist.py:
                # `I = output.max(1)[1] == y`). Without that stop, training from scratch sits at chance
                # (results/reproductions/madry2018-reference-loop.txt).
                "adversarial": {"attack": "pgd", "eps": "0.3", "steps": "40", "alpha": "0.01", "share": "1.0",
                                "early_stop": "true"},
                # Adam at a flat 1e-4, batch 50, 100 epochs: Wong et al.'s train_mnist.py --attack pgd --alpha 0.01
                # --lr-type flat --lr-max 0.0001 --epochs 100 --batch-size 50 (their pgd_madry.pth)
                "train": {**_WONG_TRAIN, "epochs": "100", "batch_size": "50", "lr": "0.0001", "schedule": "flat",
                          "warmup": "0"},
                "robust": _WONG_EVAL,
            },
            reference={"clean_acc": 0.988, "pgd_acc": 0.893},
            reference_source=("Madry et al. 2018, Table 1 (MNIST, eps 0.3): natural 98.8%, PGD 100 steps x 20 restarts "
                              "89.3% (their larger network, 100,000 steps); Wong et al.'s released pgd_madry.pth on "
                              "this network, measured by the suite: results/reproductions/released/released-models.json"),
            tolerance_points=5.0,
            seeds=3,
            notes=(
                "the authors' budget, 100 epochs, takes about 3.5 hours per seed on one thread of the 2-core CPU (125 s "
                "an epoch): a GPU's run (`python -m bench reproduce madry2018-mnist --device cuda`). On the CPU the "
                "first 3 epochs were checked instead, the suite's path beside a plain loop of the same settings "
                "(results/reproductions/madry2018-cpu-check.md)",
                "Wong et al.'s network (conv 16, conv 32, FC 100), not Madry et al.'s (conv 32, conv 64, FC 1024, "
                "23 times the compute per image); Wong et al. trained their pgd_madry.pth on this one",
                "Wong et al.'s early stop of the walk (Madry et al.'s TensorFlow attack moves every example every step; "
                "with that, training from scratch at this learning rate stays at chance for at least 3 epochs here)",
                "trains on 59,000 images (1,000 held out as the validation split)",
                "evaluated with Wong et al.'s protocol (PGD-50, step 0.01, 10 restarts, whole test split), not Madry "
                "et al.'s PGD-100 with 20 restarts",
            ),
        ),
    ]
}


def get_reproduction(name: str) -> Reproduction:
    if name not in REPRODUCTIONS:
        raise UsageError(f"unknown reproduction {name!r}; valid: {', '.join(sorted(REPRODUCTIONS))}")
    return REPRODUCTIONS[name]


class ReproductionFailed(RuntimeError):
    """A reproduction's cell ran and failed (its row, error included, stays in the store)."""


def _merge(base: dict[str, dict[str, str]], extra: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    return {owner: {**base.get(owner, {}), **extra.get(owner, {})} for owner in {**base, **extra}}


def _run_cells(spec_of: Reproduction, overrides: dict[str, dict[str, str]], seeds: list[int], device: torch.device,
               store: Store, data_dir: str | None, progress: bool | None) -> dict[int, dict]:
    """Run (or reuse) one cell per seed; {seed: its row}. Raises ReproductionFailed on a failed cell."""
    spec = SweepSpec(tasks=[spec_of.task], methods=[spec_of.method], seeds=seeds, fractions=[1.0],
                     profile=spec_of.profile, device=device, data_dir=data_dir, overrides=overrides)
    result = run_sweep(spec, store, progress=progress)
    if result.failed:
        raise ReproductionFailed(f"reproduction {spec_of.name} failed: {result.failed[0].error}")
    rows = store.frame().set_index("run_id")
    return {planned.cell.seed: rows.loc[planned.cell.run_id].to_dict() for planned in plan(spec)}


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def _guard(row: dict) -> dict | None:
    return None if _missing(row.get("guard_json")) else json.loads(row["guard_json"])


def _seed_entry(seed: int, row: dict, metrics: list[str]) -> dict:
    guard = _guard(row)
    return {"seed": seed, "run_id": row.get("run_id"),
            **{k: float(row[k]) for k in dict.fromkeys([*metrics, "clean_acc", "fgsm_acc", "pgd_acc"])},
            "val_acc": None if _missing(row.get("val_acc")) else float(row["val_acc"]),
            "stopped_epoch": None if _missing(row.get("stopped_epoch")) else int(row["stopped_epoch"]),
            "guard_events": guard["events"] if guard else [],
            "final_val_pgd": guard["final_val_pgd"] if guard else None,
            "total_s": round(float(row["total_s"]), 1)}


def summarize(per_seed: list[dict], reference: dict[str, float], tolerance_points: float) -> dict:
    """The distribution over seeds: which collapsed (PGD accuracy more than COLLAPSE_POINTS from the seeds'
    median), and per reference metric the mean and 95% t-interval over the others, the gap to the paper and
    the verdict. Where every seed is named collapsed (two seeds far apart), the mean is over all of them."""
    values = {entry["seed"]: entry[COLLAPSE_METRIC] for entry in per_seed}
    fallen = collapsed(values)
    kept = [e for e in per_seed if e["seed"] not in fallen] or per_seed
    summary = {}
    for metric, published in reference.items():
        interval = mean_interval([e[metric] for e in kept])
        summary[metric] = {"mean": interval.mean, "low": None if math.isnan(interval.low) else interval.low,
                           "high": None if math.isnan(interval.high) else interval.high, "n": interval.n,
                           "gap_points": round(100 * (interval.mean - published), 2)}
    within = all(abs(s["gap_points"]) <= tolerance_points + 1e-9 for s in summary.values())
    return {"collapsed_seeds": fallen, "n_seeds": len(per_seed), "kept_all": len(kept) == len(per_seed) and bool(fallen),
            "summary": summary, "verdict": REPRODUCED if within else GAP}


def run_reproduction(name: str, device: torch.device, store_path: Path, output_dir: Path = OUTPUT_DIR,
                     data_dir: str | None = None, progress: bool | None = None, seeds: list[int] | None = None) -> dict:
    """Run (or reuse from `store_path`) the reproduction's cells, one per seed (default: seeds 0..N-1 of the
    reproduction), then its contrast on the seeds whose guard tripped, and write `<name>.json` and `<name>.md`.

    Returns the JSON written. Raises UsageError on a bad name or data root; a failed cell raises
    ReproductionFailed with its error (nothing is written to `output_dir` then; the failed row is in the store).
    """
    spec_of = get_reproduction(name)
    seeds = list(range(spec_of.seeds)) if seeds is None else seeds
    metrics = list(spec_of.reference)
    with Store(store_path) as store:
        rows = _run_cells(spec_of, spec_of.overrides, seeds, device, store, data_dir, progress)
        per_seed = [_seed_entry(seed, rows[seed], metrics) for seed in seeds]
        contrast = None
        if spec_of.contrast is not None:
            tripped = [e["seed"] for e in per_seed if e["guard_events"]]
            other_rows = _run_cells(spec_of, _merge(spec_of.overrides, spec_of.contrast.overrides), tripped, device,
                                    store, data_dir, progress) if tripped else {}
            # Where the guard never tripped, the contrast is the same computation: its seeds keep their entries.
            combined = [_seed_entry(e["seed"], other_rows[e["seed"]], metrics) if e["seed"] in other_rows else e
                        for e in per_seed]
            contrast = {"label": spec_of.contrast.label, "overrides": spec_of.contrast.overrides,
                        "rerun_seeds": tripped, "per_seed": combined,
                        "rerun_s": round(sum(float(row["total_s"]) for row in other_rows.values()), 1),
                        **summarize(combined, spec_of.reference, spec_of.tolerance_points)}
    result = summarize(per_seed, spec_of.reference, spec_of.tolerance_points)
    first = rows[seeds[0]]
    seeds_arg = f" --seeds {','.join(map(str, seeds))}{',' if len(seeds) == 1 else ''}" if seeds != list(range(spec_of.seeds)) else ""
    # A collapsing seed's trajectory depends on the floating-point order of its sums, so on the thread count:
    # the command says how many threads the rows were made with where that was set.
    threads = f"OMP_NUM_THREADS={os.environ['OMP_NUM_THREADS']} " if os.environ.get("OMP_NUM_THREADS") else ""
    payload = {
        "name": spec_of.name,
        "title": spec_of.title,
        "command": f"{threads}augbench reproduce {spec_of.name}{seeds_arg}",
        "reference": {**spec_of.reference, "source": spec_of.reference_source},
        "seeds": seeds,
        "per_seed": per_seed,
        "collapse_rule": f"{COLLAPSE_METRIC} more than {COLLAPSE_POINTS:g} points from the seeds' median",
        **result,
        # what validate reads: the mean over the seeds that did not collapse
        "measured": {k: v["mean"] for k, v in result["summary"].items()},
        "gap_points": {k: v["gap_points"] for k, v in result["summary"].items()},
        "tolerance_points": spec_of.tolerance_points,
        "contrast": contrast,
        "machine": str(first["device_name"]),
        "versions": {"torch": first["torch_version"], "python": first["python_version"], "git_commit": first["git_commit"]},
        "settings": spec_of.overrides,
        "notes": list(spec_of.notes),
        "cells_total_s": round(sum(e["total_s"] for e in per_seed) + (contrast["rerun_s"] if contrast else 0.0), 1),
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(output_dir / f"{name}.json", json.dumps(payload, indent=2, default=str) + "\n")
    _write_atomic(output_dir / f"{name}.md", render_markdown(payload))
    return payload


def _pct(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.2f}%"


def _guard_text(entry: dict) -> str:
    if not entry["guard_events"]:
        return "–"
    parts = []
    for event in entry["guard_events"]:
        action = "stopped" if event["action"] == "stop" else f"step -> {event['alpha']:.4g}"
        parts.append(f"epoch {event['epoch']}: val PGD {_pct(event['kept_val_pgd'])} -> {_pct(event['val_pgd'])}, "
                     f"kept epoch {event['kept_epoch']}, {action}")
    return "; ".join(parts)


def _seed_table(per_seed: list[dict], fallen: list[int]) -> list[str]:
    lines = ["| seed | clean | FGSM | PGD | guard | collapsed | cell s |", "|---:|---:|---:|---:|---|---|---:|"]
    for e in per_seed:
        lines.append(f"| {e['seed']} | {_pct(e['clean_acc'])} | {_pct(e['fgsm_acc'])} | {_pct(e['pgd_acc'])} | "
                     f"{_guard_text(e)} | {'yes' if e['seed'] in fallen else 'no'} | {e['total_s']:.0f} |")
    return lines


def _collapse_line(result: dict) -> str:
    fallen = result["collapsed_seeds"]
    text = f"{len(fallen)} of {result['n_seeds']} seeds collapsed" + (
        f" (seed{'s' if len(fallen) > 1 else ''} {', '.join(map(str, fallen))})" if fallen else "")
    return text + ("; every seed is that far from the median, so the mean is over all of them" if result["kept_all"] else "")


def render_markdown(payload: dict) -> str:
    n_kept = next(iter(payload["summary"].values()))["n"]
    lines = [f"# {payload['title']}", "",
             f"Command: `{payload['command']}` ({payload['machine']}; the cells took {payload['cells_total_s']:.0f} s "
             "in all)", "", "Each seed:", ""]
    lines += _seed_table(payload["per_seed"], payload["collapsed_seeds"])
    lines += ["", f"Collapse: {_collapse_line(payload)} (rule: {payload['collapse_rule']}, as `validate` (c)).", "",
              f"Over the {n_kept} seed{'s' if n_kept != 1 else ''} that did not collapse (mean, 95% t-interval), "
              "against the paper:", "",
              "| metric | mean | interval | paper | gap (points) |", "|---|---:|---:|---:|---:|"]
    for metric, s in payload["summary"].items():
        interval = "–" if s["low"] is None else f"{_pct(s['low'])} .. {_pct(s['high'])}"
        lines.append(f"| {metric} | {_pct(s['mean'])} | {interval} | {_pct(payload['reference'][metric])} | "
                     f"{s['gap_points']:+.2f} |")
    lines += ["", f"Verdict: **{payload['verdict']}** within {payload['tolerance_points']:g} points, with "
              f"{_collapse_line(payload)}.", "", f"Paper's numbers: {payload['reference']['source']}."]
    contrast = payload.get("contrast")
    if contrast:
        rerun = contrast["rerun_seeds"]
        lines += ["", f"## With {contrast['label']}", "",
                  (f"Rerun on the seeds whose guard tripped ({', '.join(map(str, rerun))}); the other seeds are the same "
                   "computation either way and keep their rows." if rerun else
                   "The guard tripped on no seed, so this variant is the same computation on every seed."), ""]
        lines += _seed_table(contrast["per_seed"], contrast["collapsed_seeds"])
        means = ", ".join(f"{k} {_pct(s['mean'])} ({s['gap_points']:+.2f})" for k, s in contrast["summary"].items())
        lines += ["", f"Collapse: {_collapse_line(contrast)}. Mean over the others: {means}; verdict "
                  f"{contrast['verdict']}."]
    lines += ["", "Differences from the paper's run:"]
    lines += [f"- {note}" for note in payload["notes"]]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
