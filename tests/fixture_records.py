"""Hand-made run records for tests that need exact numbers (statistics, report columns, compare)."""

from __future__ import annotations

import hashlib
import json

import pandas as pd

from bench.results.record import RunRecord

TRAIN_CONFIG = {"quick": '{"epochs": 1}', "smoke": '{"epochs": 1, "train_pool": 1000}'}


def make_record(method: str = "none", seed: int = 0, clean_acc: float | None = 0.99, *, task: str = "mnist",
                fraction: float = 1.0, profile: str = "quick", params: dict | None = None, status: str = "ok",
                **metrics) -> RunRecord:
    """A plausible ok (or failed) row; the run_id is a hash of its identity, as in the real store."""
    method_params = json.dumps(params or {}, sort_keys=True)
    variant = {"mnist": "mnist-idx", "cifar10": "cifar10-jpeg"}.get(task, task)
    identity = [task, method, seed, fraction, profile, method_params, variant]
    run_id = hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]
    values = dict(aug_throughput=2.0e5, train_throughput=9.0e3, train_s=6.5, eval_s=0.7, gen_fit_s=0.0, total_s=7.5,
                  peak_mem_mb=900.0)
    values.update(metrics)
    if status != "ok":
        values = {k: None for k in values}
    return RunRecord(
        run_id=run_id, task=task, method=method, seed=seed, fraction=fraction, profile=profile,
        method_params=method_params, task_params="{}", train_config=TRAIN_CONFIG[profile], eval_config="{}",
        data_variant=variant,
        data_checksum=hashlib.sha256(variant.encode()).hexdigest(), status=status,
        error=None if status == "ok" else "RuntimeError: boom", n_train=60000 if task == "mnist" else 20000,
        n_test=10000, clean_acc=clean_acc if status == "ok" else None, device="cpu", device_name="test cpu",
        torch_version="2.11.0", torchvision_version="0.26.0", python_version="3.11.7", numpy_version="2.4.6",
        git_commit="abcdef1234567890", git_dirty=False, started_at="2026-11-20T00:00:00+00:00",
        finished_at=f"2026-11-20T00:0{seed % 10}:30+00:00", **values,
    )


def frame(records: list[RunRecord]) -> pd.DataFrame:
    return pd.DataFrame([r.as_dict() for r in records])
