"""`augbench reproduce NAME`: a published result re-run through the suite's own loop, store and attacks.

A reproduction is one cell with the paper's settings (as `--param` overrides of an ordinary sweep), so
its row lands in a store like any other and its numbers come from the same trainer and PGD as the
leaderboard's. The measured numbers, the paper's and the gap are written to results/reproductions/,
where `augbench validate` reads them.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import torch

from bench.core.errors import UsageError
from bench.core.provenance import REPO_ROOT
from bench.results.store import Store
from bench.run.sweep import SweepSpec, plan, run_sweep

OUTPUT_DIR = REPO_ROOT / "results" / "reproductions"


@dataclass(frozen=True)
class Reproduction:
    """A published result and the suite settings that reproduce it."""

    name: str
    title: str
    task: str
    method: str
    profile: str  # the profile whose remaining defaults the cell takes
    overrides: dict[str, dict[str, str]]  # --param overrides, by owner
    reference: dict[str, float]  # record field -> the paper's value
    reference_source: str
    tolerance_points: float  # |measured - reference| in points that still counts as reproduced
    notes: tuple[str, ...] = field(default_factory=tuple)  # how this run differs from the paper's, honestly


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
                "adversarial": {"attack": "fgsm_rs", "eps": "0.3", "alpha": "0.375", "share": "1.0", "guard": "true",
                                "guard_samples": "512", "clamp_start": "false"},
                # 10 epochs, batch 100, Adam, cyclic learning rate 0 -> 5e-3 -> 0 peaking at 2/5 of training
                "train": {"epochs": "10", "batch_size": "100", "optimizer": "adam", "lr": "0.005", "warmup": "0.4",
                          "weight_decay": "0", "label_smoothing": "0", "train_pool": "none", "test_limit": "none"},
                # PGD-50, step 0.01, 10 restarts, on the whole test split
                "robust": {"pgd_steps": "50", "pgd_alpha": "0.01", "restarts": "10", "samples": "none"},
            },
            reference={"clean_acc": 0.9850, "pgd_acc": 0.8838},
            reference_source="their released MNIST model (github.com/locuslab/fast_adversarial, MNIST README)",
            tolerance_points=5.0,
            notes=(
                "trains on 59,000 images: the suite holds 1,000 out of the 60,000 as the validation split the guard reads",
                "the guard (PGD-5 on a fixed validation batch after each epoch, roll back on a drop > 0.2 beyond the "
                "drop of clean accuracy) is adapted from Wong et al.'s CIFAR-10 script; their MNIST script has none",
                "the learning rate follows the suite's schedule: linear from 0 to 5e-3 over the first 40% of the steps, "
                "then linear to 0 (theirs interpolates per iteration over the same points)",
            ),
        ),
    ]
}


def get_reproduction(name: str) -> Reproduction:
    if name not in REPRODUCTIONS:
        raise UsageError(f"unknown reproduction {name!r}; valid: {', '.join(sorted(REPRODUCTIONS))}")
    return REPRODUCTIONS[name]


class ReproductionFailed(RuntimeError):
    """The reproduction's cell ran and failed (its row, error included, stays in the store)."""


def run_reproduction(name: str, device: torch.device, store_path: Path, output_dir: Path = OUTPUT_DIR,
                     data_dir: str | None = None, progress: bool | None = None) -> dict:
    """Run (or reuse from `store_path`) the reproduction's cell and write `<name>.json` and `<name>.md`.

    Returns the JSON written. Raises UsageError on a bad name or data root; a failed cell raises
    ReproductionFailed with its error (nothing is written to `output_dir` then; the failed row is in the store).
    """
    spec_of = get_reproduction(name)
    spec = SweepSpec(tasks=[spec_of.task], methods=[spec_of.method], seeds=[0], fractions=[1.0],
                     profile=spec_of.profile, device=device, data_dir=data_dir, overrides=spec_of.overrides)
    with Store(store_path) as store:
        result = run_sweep(spec, store, progress=progress)
        if result.failed:
            raise ReproductionFailed(f"reproduction {name} failed: {result.failed[0].error}")
        rows = store.frame()
    (planned,) = plan(spec)  # the cell's run_id, to pick its row among others in the store
    row = rows[rows["run_id"] == planned.cell.run_id].iloc[0]
    measured = {k: float(row[k]) for k in spec_of.reference}
    payload = {
        "name": spec_of.name,
        "title": spec_of.title,
        "command": f"augbench reproduce {spec_of.name}",
        "reference": {**spec_of.reference, "source": spec_of.reference_source},
        "measured": measured,
        "gap_points": {k: round(100 * (measured[k] - spec_of.reference[k]), 2) for k in spec_of.reference},
        "tolerance_points": spec_of.tolerance_points,
        "run_id": planned.cell.run_id,
        "stopped_epoch": None if row["stopped_epoch"] is None or row["stopped_epoch"] != row["stopped_epoch"] else int(row["stopped_epoch"]),
        "machine": str(row["device_name"]),
        "versions": {"torch": row["torch_version"], "python": row["python_version"], "git_commit": row["git_commit"]},
        "settings": spec_of.overrides,
        "notes": list(spec_of.notes),
        "cell_total_s": round(float(row["total_s"]), 1),  # the cell's own time (also when this call reused it)
        "row": {k: (None if isinstance(v, float) and v != v else v) for k, v in row.to_dict().items()
                if k in ("clean_acc", "fgsm_acc", "pgd_acc", "val_acc", "val_curve", "train_s", "eval_s", "total_s",
                         "n_train", "n_test", "started_at", "finished_at")},
    }
    output_dir.mkdir(parents=True, exist_ok=True)
    _write_atomic(output_dir / f"{name}.json", json.dumps(payload, indent=2, default=str) + "\n")
    _write_atomic(output_dir / f"{name}.md", render_markdown(payload))
    return payload


def render_markdown(payload: dict) -> str:
    lines = [f"# {payload['title']}", "", f"Command: `{payload['command']}` (run_id `{payload['run_id']}`, "
             f"{payload['machine']}, the cell took {payload['cell_total_s']:.0f} s)", "",
             "| metric | measured | paper | gap (points) |", "|---|---:|---:|---:|"]
    for k, ref in payload["reference"].items():
        if k == "source":
            continue
        lines.append(f"| {k} | {100 * payload['measured'][k]:.2f}% | {100 * ref:.2f}% | {payload['gap_points'][k]:+.2f} |")
    lines += ["", f"Paper's numbers: {payload['reference']['source']}. Counted as reproduced within "
              f"{payload['tolerance_points']:g} points.", "",
              f"Guard: {'stopped, keeping epoch ' + str(payload['stopped_epoch']) if payload['stopped_epoch'] is not None else 'did not trip (all epochs ran)'}.",
              "", "Differences from the paper's run:"]
    lines += [f"- {note}" for note in payload["notes"]]
    return "\n".join(lines) + "\n"


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)
