"""The CI reference check (`augbench compare --exact`): a few cells rerun on every submission and compared
with their committed rows, row by row, so that a change which moves a number cannot land unnoticed.

On this CPU the suite is bit-reproducible: the same code, data, library versions, processor and torch thread
count give the same numbers to the last digit. So where a rerun row names the same hardware as its reference
row (`device_name`: the processor, the thread count and the kernels' instruction sets), every stored number must
be identical; elsewhere each must lie within CROSS_HARDWARE, a tolerance per metric sized to the spread measured
by rerunning the reference cells on another thread count and instruction set (docs/compare.md, "CI reference"). Timings
and memory (COST_METRICS) move with the machine's load: they are reported, never judged. Provenance (commit,
dates) is ignored.

A difference is one line naming the cell, the field, the reference and the new value, and `make ci-reference`:
a change meant to alter numbers regenerates the reference in the same commit, so the diff shows what moved.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from tabulate import tabulate

from augbench.results.metrics import METRICS, NUMBER_METRICS

REGENERATE = "make ci-reference"
# The timings the summary lists per cell (the other COST_METRICS are in the rows): reported, never judged.
REPORTED_TIMINGS = ("train_throughput", "total_s")
# Outcomes besides the metrics that a bit-reproducible rerun repeats exactly: sizes, the per-epoch validation
# curve, the per-corruption accuracies and the training-time decisions taken from them.
EXACT_ONLY = ("n_train", "n_test", "val_curve", "corruption_json", "gen_filter_kept", "converged", "stopped_epoch",
              "near_chance", "guard_json")
# Across hardware: the same sizes, and each number within its tolerance (share of the reference value for FID,
# percentage points for the accuracies); the training-time decisions (converged, a guard's trip) may flip there.
SAME_EVERYWHERE = ("n_train", "n_test")
# Measured on the 2-core VM (studies/ci/spread.sh, docs/compare.md "CI reference"): the six CI cells rerun on two torch
# threads instead of one, and on one thread with AVX2 / Haswell kernels instead of AVX-512 / SkylakeX, moved by at
# most CROSS_HARDWARE_SPREAD (points; FID as a share). Another thread count or kernel changes the last bits of
# the first steps, and training carries that to a seed-sized difference; FGSM and PGD accuracy, measured on 500
# examples at a large eps, move most. The tolerance is about twice the largest move seen, and for CAS, whose one
# generative cell moved 0.16 points, the clean accuracy's.
CROSS_HARDWARE_SPREAD = {"clean_acc": 1.4, "fgsm_acc": 4.4, "pgd_acc": 3.2, "corruption_acc": 1.72, "fid": 0.019,
                         "cas": 0.16, "val_acc": 1.0}
CROSS_HARDWARE = {"clean_acc": 3.0, "fgsm_acc": 9.0, "pgd_acc": 6.5, "corruption_acc": 3.5, "fid": 0.05, "cas": 3.0,
                  "val_acc": 2.0}
# The attacks measured after the spread runs (AutoAttack, the real-input attacks) take PGD's tolerance, the attack on
# the same examples they are closest to, until a session on another machine kind measures their own spread.
CROSS_HARDWARE.update({name: CROSS_HARDWARE["pgd_acc"] for name in ("aa_acc", "robust_acc", "word_acc", "wave_acc")})


@dataclass
class Difference:
    """One field of one cell that differs from the reference (beyond tolerance where the hardware differs)."""

    cell: str
    field: str
    reference: Any
    new: Any


@dataclass
class ReferenceCheck:
    """Every reference cell's verdict, and the timings beside them."""

    compared: list[str] = field(default_factory=list)  # cells in both, run ok in both
    identical: list[str] = field(default_factory=list)  # every checked field equal to the last digit
    within: list[str] = field(default_factory=list)  # other hardware: differs, but every number within tolerance
    differences: list[Difference] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # reference cells the new run lacks
    extra: list[str] = field(default_factory=list)  # new cells the reference lacks
    failed: list[str] = field(default_factory=list)  # cells whose new run failed: "cell: error"
    hardware: list[str] = field(default_factory=list)  # "same: X" or "differs: X -> Y", one entry per pair seen
    timings: list[list[str]] = field(default_factory=list)  # [cell, metric, reference, new, ratio]

    @property
    def changed(self) -> list[str]:
        return sorted({d.cell for d in self.differences})

    @property
    def passed(self) -> bool:
        return not (self.differences or self.missing or self.extra or self.failed)


def cell_name(row: pd.Series) -> str:
    """`mnist/vae fraction=0.5 seed=0`, with the generator regime or curve point where the row has one."""
    params = row["method_params"]
    params = json.loads(params) if isinstance(params, str) else (params or {})
    train = row.get("train_config")
    train = json.loads(train) if isinstance(train, str) else (train or {})
    extra = [f"{k}={v}" for k, v in (("data", _nested(params, "data")), ("extra_real", train.get("extra_real")))
             if v not in (None, "scarce", 0)]
    return f"{row['task']}/{row['method']} fraction={row['fraction']:g} seed={row['seed']}" + \
        (f" ({', '.join(extra)})" if extra else "")


def _nested(params: dict, key: str) -> Any:
    """`key` of a method's parameters, or of a composition's parts ({part: params})."""
    if key in params:
        return params[key]
    return next((p[key] for p in params.values() if isinstance(p, dict) and key in p), None)


def _same(a: Any, b: Any) -> bool:
    """Equal to the last digit; two missing values are equal."""
    missing_a, missing_b = _missing(a), _missing(b)
    if missing_a or missing_b:
        return missing_a and missing_b
    return bool(a == b)


def _missing(value: Any) -> bool:
    """None, NaN or pandas' NA (the nullable columns an export reads into)."""
    return value is None or (not isinstance(value, (str, list, dict)) and bool(pd.isna(value)))


def _within(name: str, reference: Any, new: Any) -> bool:
    """Across hardware: a number within its CROSS_HARDWARE tolerance (missing on both sides counts as within)."""
    if _missing(reference) or _missing(new):
        return _missing(reference) and _missing(new)
    metric = METRICS[name]
    if metric.tolerance_kind == "points":
        return abs(new - reference) * metric.scale <= CROSS_HARDWARE[name] + 1e-9
    return abs(new - reference) <= CROSS_HARDWARE[name] * abs(reference) + 1e-12


def check(reference: pd.DataFrame, current: pd.DataFrame) -> ReferenceCheck:
    """Compare `current`'s rows with `reference`'s, matched by run_id (the cell's configuration and seed)."""
    result = ReferenceCheck()
    ref = reference.set_index("run_id", drop=False)
    cur = current.drop_duplicates("run_id", keep="last").set_index("run_id", drop=False)
    for run_id in ref.index.difference(cur.index):
        result.missing.append(cell_name(ref.loc[run_id]))
    for run_id in cur.index.difference(ref.index):
        result.extra.append(cell_name(cur.loc[run_id]))
    hardware = {}
    for run_id in ref.index.intersection(cur.index):
        old, new = ref.loc[run_id], cur.loc[run_id]
        name = cell_name(old)
        if new["status"] != "ok":
            result.failed.append(f"{name}: {str(new.get('error') or 'failed').splitlines()[0]}")
            continue
        result.compared.append(name)
        same_hardware = old.get("device_name") == new.get("device_name")
        hardware[(old.get("device_name"), new.get("device_name"))] = same_hardware
        differing = [f for f in (*NUMBER_METRICS, *EXACT_ONLY) if f in old and f in new and not _same(old[f], new[f])]
        if same_hardware:
            result.differences += [Difference(name, f, old[f], new[f]) for f in differing]
        else:
            beyond = [f for f in differing if f in SAME_EVERYWHERE or (f in NUMBER_METRICS and not _within(f, old[f], new[f]))]
            result.differences += [Difference(name, f, old[f], new[f]) for f in beyond]
            if differing and not beyond:
                result.within.append(name)
        if not differing:
            result.identical.append(name)
        for metric in REPORTED_TIMINGS:
            a, b = old.get(metric), new.get(metric)
            if not (_missing(a) or _missing(b)):
                ratio = f"{b / a - 1:+.0%}" if a else "–"
                result.timings.append([name, metric, f"{a:.4g}", f"{b:.4g}", ratio])
    result.hardware = [f"same: {a}" if same else f"differs: {a} -> {b}" for (a, b), same in hardware.items()]
    return result


def _value(value: Any) -> str:
    """The shortest text that tells two values apart: floats in full (repr), the rest as stored."""
    if isinstance(value, float) and not math.isnan(value):
        return repr(value)
    if hasattr(value, "item") and not _missing(value):
        return repr(value.item())
    return "missing" if _missing(value) else str(value)


def failure_lines(result: ReferenceCheck) -> list[str]:
    """One line per difference, missing, extra or failed cell, each naming the command that regenerates the
    reference for a change meant to alter numbers."""
    fix = f"(a change meant to alter numbers regenerates the reference: {REGENERATE})"
    lines = [f"ci-reference: {d.cell}: {d.field} reference {_value(d.reference)} new {_value(d.new)} {fix}"
             for d in result.differences]
    lines += [f"ci-reference: {cell}: in the reference, missing from the new run {fix}" for cell in result.missing]
    lines += [f"ci-reference: {cell}: in the new run, not in the reference {fix}" for cell in result.extra]
    lines += [f"ci-reference: {cell} (the cell failed)" for cell in result.failed]
    return lines


def markdown(result: ReferenceCheck, reference_name: str, current_name: str) -> str:
    """A short summary for a CI job page: the counts, the hardware rule applied, every failure line, then the
    timings (reported only)."""
    counts = {"cells compared": len(result.compared), "identical": len(result.identical),
              "changed": len(result.changed), "missing": len(result.missing) + len(result.extra),
              "failed": len(result.failed)}
    verdict = "pass" if result.passed else "**FAIL**"
    lines = [f"### augbench compare --exact: {reference_name} -> {current_name}", "",
             tabulate([[*counts.values(), verdict]], headers=[*counts, "result"], tablefmt="github", disable_numparse=True),
             ""]
    for entry in result.hardware:
        rule = "every number must be identical" if entry.startswith("same") else \
            "each number within its cross-hardware tolerance (" + ", ".join(f"{k} {v:g}" for k, v in CROSS_HARDWARE.items()) + \
            "; FID as a share, the rest in points)"
        lines.append(f"Hardware {entry}: {rule}.")
    if result.within:
        lines.append(f"{len(result.within)} cell(s) differ within those tolerances: {', '.join(result.within)}.")
    failures = failure_lines(result)
    if failures:
        lines += ["", *[f"- {line}" for line in failures]]
    if result.timings:
        lines += ["", "<details><summary>Timings (reported, never fail)</summary>", "",
                  tabulate(result.timings, headers=["cell", "metric", "reference", "new", "change"], tablefmt="github",
                           disable_numparse=True), "", "</details>"]
    return "\n".join(lines) + "\n"
