"""Generator samples of the generative methods' cached generators: results/plots/samples-<task>-<method>.png.

Pure reading: generators are loaded from the cache (never refitted); a row whose generator is no longer
cached is skipped. One figure per (task, method), from its first ok row (lowest profile, fraction, seed
in the store's order). Images and spectrograms: a grid with one row of samples per class, named at its
row. Feature vectors: real vs generated features per class on the linear discriminants of the cell's real
training features, which are read through the task (skipped when the data root cannot be read).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from torchvision.utils import make_grid

from augbench.config.profiles import TrainConfig
from augbench.core.errors import UsageError
from augbench.core.seeding import make_generator
from augbench.reporting.plots import method_style
from augbench.tasks.verify import resolve_data_root

SAMPLES_PER_CLASS = 10  # images per class row
POINTS_PER_CLASS = 100  # generated feature vectors per class in the feature projection
PAD = 2  # pixels between images in the grid
REAL_OTHER, REAL_OWN = "#d4d4d4", "#303030"  # real points of the other classes / of the panel's class


def class_names(task) -> list[str]:
    """The task's `class_names` when it declares them (one per class), else the label indices."""
    names = getattr(task, "class_names", None)
    if names is not None and len(names) == task.num_classes:
        return [str(name) for name in names]
    return [str(i) for i in range(task.num_classes)]


def sample_figures(rows: pd.DataFrame, cache_dir: Path) -> list[tuple[str, Figure]]:
    """One (file stem, figure) per (task, generative method) with ok rows whose generator is cached.

    Args:
        rows: stored run records (`Store.frame()`).
        cache_dir: the cache root the generators were fitted into.
    """
    from augbench.methods import METHODS
    from augbench.methods.generative import GenerativeMethod
    from augbench.tasks import TASKS

    drawn: list[tuple[str, Figure]] = []
    if rows.empty:
        return drawn
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
                figure = _draw(method, task, row)
                if figure is not None:
                    drawn.append((f"samples-{task_name}-{method_name}", figure))
                break
    return drawn


def write_sample_grids(rows: pd.DataFrame, plots_dir: Path, cache_dir: Path) -> list[Path]:
    """Write one PNG per (task, generative method) with ok rows; returns the paths written.

    Args:
        rows: stored run records (`Store.frame()`).
        plots_dir: where the PNGs go (created when needed).
        cache_dir: the cache root the generators were fitted into.
    """
    written = []
    for stem, figure in sample_figures(rows, cache_dir):
        plots_dir.mkdir(parents=True, exist_ok=True)
        path = plots_dir / f"{stem}.png"
        figure.savefig(path, dpi=120)
        written.append(path)
    return written


def _title(task, row: pd.Series) -> str:
    size = f"fraction {row['fraction']:g}" if pd.isna(row.get("n_train")) else f"{int(row['n_train'])} train examples"
    return f"{task.name} / {row['method']}: generated samples\n(profile {row['profile']}, {size}, seed {int(row['seed'])})"


def _draw(method, task, row: pd.Series) -> Figure | None:
    """The figure of one loaded generator: an image grid, a feature projection, or None (no real features to compare)."""
    generator = make_generator(int(row["seed"]), "sample-grid")
    if len(task.input_shape) == 3:
        labels = torch.arange(task.num_classes).repeat_interleave(SAMPLES_PER_CLASS)
        return image_grid(method.sample(labels, generator), task, _title(task, row))
    if len(task.input_shape) == 1:
        real = _real_train(task, row)
        if real is None:
            return None
        labels = torch.arange(task.num_classes).repeat_interleave(POINTS_PER_CLASS)
        fake = method.sample(labels, generator)
        return feature_projection(real[0], real[1], fake.numpy(), labels.numpy(), task, row["method"], _title(task, row))
    return None


def image_grid(samples: torch.Tensor, task, title: str) -> Figure:
    """Samples as a grid, class c's in row c, each row named by its class.

    Args:
        samples: [num_classes * k, C, H, W], class-major (k samples of class 0, then of class 1, ...).
        task: the task (its class names, input range and modality).
        title: the figure title.

    Audio maps ([1, mel bands, frames], modality "audio") are flipped so that low frequencies sit at the
    bottom of each map, as in any spectrogram, and drawn in a perceptual colour map.
    """
    per_class = samples.shape[0] // task.num_classes
    audio = task.modality == "audio"
    if audio:
        samples = samples.flip(-2)  # mel band 0 is the lowest frequency: bottom row of each map
    if task.input_range is not None:
        low, high = task.input_range
    else:  # standardized maps: a few extreme values would wash out the rest
        low, high = (float(q) for q in torch.quantile(samples.flatten().float(), torch.tensor([0.01, 0.99])))
    channels, height, width = samples.shape[1:]
    # One channel: NaN gaps, drawn white by the colour map's "bad" colour (1.0 would be magma's pale yellow).
    picture = make_grid(samples.float(), nrow=per_class, padding=PAD, value_range=(low, high), normalize=True,
                        pad_value=float("nan") if channels == 1 else 1.0)
    image, cmap = picture.permute(1, 2, 0).numpy(), None
    if channels == 1:
        image, cmap = image[..., 0], colormaps["magma" if audio else "gray"].with_extremes(bad="white")
    grid_w = 7.0
    figure = Figure(figsize=(grid_w + 1.2, grid_w * image.shape[0] / image.shape[1] + 1.0), layout="constrained")
    FigureCanvasAgg(figure)
    ax = figure.add_subplot()
    ax.imshow(image, cmap=cmap, vmin=0.0, vmax=1.0, interpolation="nearest")
    rows = [PAD + c * (height + PAD) + (height - 1) / 2 for c in range(task.num_classes)]
    ax.set_yticks(rows, labels=class_names(task))
    ax.set_xticks([])
    ax.tick_params(axis="y", length=0)
    for spine in ax.spines.values():
        spine.set_visible(False)
    ax.set_ylabel("class")
    if audio:
        ax.set_xlabel(f"each map: time left to right ({width} frames), mel bands low to high from the bottom ({height})")
    ax.set_title(title, fontsize=9)
    return figure


def _real_train(task, row: pd.Series) -> tuple[np.ndarray, np.ndarray] | None:
    """The cell's real training features [N, D] and labels [N], as the classifier saw them; None when the
    data root is not readable or holds other data than the row was run on."""
    try:
        source = task.source(resolve_data_root(None))
        if source.checksum != row["data_checksum"]:
            return None
        config = TrainConfig(**json.loads(row["train_config"]))
        data = task.load(source, float(row["fraction"]), int(row["seed"]), config, torch.device("cpu"))
    except (UsageError, OSError, TypeError, ValueError):  # UsageError includes DataError
        return None
    return task.prepare(data.train.x).numpy(), data.train.y.numpy()


def feature_projection(real_x: np.ndarray, real_y: np.ndarray, fake_x: np.ndarray, fake_y: np.ndarray, task,
                       method: str, title: str) -> Figure | None:
    """Real vs generated feature vectors, a panel per class, on the linear discriminants of the real ones.

    Args:
        real_x: [N, D] real training features; real_y: [N] their labels.
        fake_x: [M, D] generated features; fake_y: [M] the labels they were generated for.
        task: the task (its class names).
        method: the generative method's name (its colour and marker).
        title: the figure title.

    Returns:
        A scatter over the first two discriminants (a histogram over the one a 2-class task has); None when
        the real features hold fewer than 2 classes.

    Why discriminants and not PCA: the feature tasks standardize SVD components, so the real features'
    covariance is close to the identity and their principal axes are arbitrary (on TREC the first holds
    0.7% of the variance, every other 0.4%). The discriminants are fitted on the real features only, so a
    generator that matches a class puts its points on that class's real points.
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    dims = min(2, len(np.unique(real_y)) - 1)
    if dims < 1:
        return None
    lda = LinearDiscriminantAnalysis(n_components=dims).fit(real_x, real_y)
    real2, fake2 = lda.transform(real_x), lda.transform(fake_x)
    share = lda.explained_variance_ratio_
    both = np.vstack([real2, fake2])
    low, high = np.quantile(both, 0.005, axis=0), np.quantile(both, 0.995, axis=0)
    margin = 0.05 * (high - low)
    names = class_names(task)
    colour, marker = method_style(method)
    columns = min(task.num_classes, 3)
    lines = math.ceil(task.num_classes / columns)
    figure = Figure(figsize=(2.9 * columns + 0.6, 2.6 * lines + 1.4), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(lines, columns, sharex=True, sharey=True, squeeze=False)
    bins = np.linspace(low[0] - margin[0], high[0] + margin[0], 41)
    generated = f"{method}, generated for this class"
    for c, ax in enumerate(axes.flat):
        if c >= task.num_classes:
            ax.set_visible(False)
            continue
        own, made = real_y == c, fake2[fake_y == c]
        if dims == 2:
            ax.scatter(*real2[~own].T, s=3, color=REAL_OTHER, linewidths=0, label="real, other classes", rasterized=True)
            ax.scatter(*real2[own].T, s=5, color=REAL_OWN, linewidths=0, label="real, this class", rasterized=True)
            ax.scatter(*made.T, s=16, color=colour, marker=marker, alpha=0.75, linewidths=0, label=generated,
                       rasterized=True)
            ax.set_ylim(low[1] - margin[1], high[1] + margin[1])
        else:
            ax.hist(real2[~own, 0], bins=bins, density=True, color=REAL_OTHER, label="real, other classes")
            ax.hist(real2[own, 0], bins=bins, density=True, histtype="step", linewidth=1.5, color=REAL_OWN,
                    label="real, this class")
            ax.hist(made[:, 0], bins=bins, density=True, color=colour, alpha=0.6, label=generated)
        ax.set_xlim(bins[0], bins[-1])
        ax.set_title(f"class {names[c]}", fontsize=9)
        ax.tick_params(labelsize=7)
    for ax in axes[-1]:
        ax.set_xlabel(f"discriminant 1 ({share[0]:.0%} of between-class variance)" if dims == 2
                      else "linear discriminant", fontsize=8)
    for ax in axes[:, 0]:
        ax.set_ylabel(f"discriminant 2 ({share[1]:.0%})" if dims == 2 else "density", fontsize=8)
    figure.suptitle(f"{title}\nlinear discriminants of the real training features, {fake_x.shape[0] // task.num_classes} "
                    "generated per class", fontsize=9)
    handles, labels = axes.flat[0].get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside lower center", ncols=3, fontsize=8, markerscale=2.0 if dims == 2 else 1.0)
    return figure
