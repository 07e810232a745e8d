"""Sample grids of the generative methods' cached generators: results/plots/samples-<task>-<method>.png.

Pure reading: generators are loaded from the cache (never refitted); a row whose generator is no longer
cached is skipped. One grid per (task, method), from its first ok row (lowest profile, fraction, seed
in the store's order): one row of images per class.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import torch  # noqa: E402
from torchvision.utils import make_grid  # noqa: E402

from bench.core.seeding import make_generator  # noqa: E402

SAMPLES_PER_CLASS = 10


def write_sample_grids(rows: pd.DataFrame, plots_dir: Path, cache_dir: Path) -> list[Path]:
    """Write one PNG per (task, generative method) with ok rows; returns the paths written.

    Args:
        rows: stored run records (`Store.frame()`).
        plots_dir: where the PNGs go (created when needed).
        cache_dir: the cache root the generators were fitted into.
    """
    from methods import METHODS
    from methods.generative import GenerativeMethod
    from tasks import TASKS

    written: list[Path] = []
    if rows.empty:
        return written
    ok = rows[rows["status"] == "ok"]
    for (task_name, method_name), group in ok.groupby(["task", "method"], sort=True):
        if method_name not in METHODS or task_name not in TASKS:
            continue
        method_cls = METHODS.get(method_name)
        if not issubclass(method_cls, GenerativeMethod):
            continue
        for _, row in group.iterrows():
            task_cls = TASKS.get(task_name)
            try:
                task = task_cls(task_cls.Params(**json.loads(row["task_params"])))
                method = method_cls(method_cls.Params(**json.loads(row["method_params"])), task, int(row["seed"]))
            except (TypeError, ValueError):  # a row stored by code with other parameters: its generator cannot be rebuilt
                continue
            if method.load_cached(row.to_dict(), cache_dir, torch.device("cpu")):
                written.append(_draw(method, task, row, plots_dir / f"samples-{task_name}-{method_name}.png"))
                break
    return written


def _draw(method, task, row: pd.Series, path: Path) -> Path:
    """A grid of SAMPLES_PER_CLASS samples per class, class c in row c (images only; features as heat rows)."""
    labels = torch.arange(task.num_classes).repeat_interleave(SAMPLES_PER_CLASS)
    samples = method.sample(labels, make_generator(int(row["seed"]), "sample-grid"))
    if len(task.input_shape) == 3:
        low, high = task.input_range or (float(samples.min()), float(samples.max()))
        picture = make_grid(samples, nrow=SAMPLES_PER_CLASS, padding=2, value_range=(low, high), normalize=True)
        image, cmap = picture.permute(1, 2, 0).numpy(), None
        if task.input_shape[0] == 1:
            image, cmap = image[..., 0], "gray"
    else:
        image, cmap = samples.view(task.num_classes * SAMPLES_PER_CLASS, -1).numpy(), "viridis"
    fig, ax = plt.subplots(figsize=(6, 6 * image.shape[0] / max(image.shape[1], 1) + 0.6))
    ax.imshow(image, cmap=cmap, interpolation="nearest", aspect="auto" if cmap == "viridis" else "equal")
    ax.set_axis_off()
    ax.set_title(f"{task.name} / {row['method']} ({row['profile']}, fraction {row['fraction']:g}, seed {row['seed']}): "
                 "one row per class", fontsize=8)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120, bbox_inches="tight")
    plt.close(fig)
    return path
