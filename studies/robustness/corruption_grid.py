"""Sample grids of every benchmark corruption at every severity, for the docs (docs/images/cifar10-c.png,
docs/images/mnist-c.png): one row per corruption, the clean image first. Made from the first test images with
the seed the evaluation uses, so what the grid shows is what every model is scored on.

Usage: python studies/robustness/corruption_grid.py [DATA_DIR]   (default: $AUGBENCH_DATA)
"""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from augbench.transforms.corruption_benchmarks import BENCHMARKS, corrupt_images  # noqa: E402
from augbench.tasks.base import POOL_SEED  # noqa: E402

OUT = Path(__file__).resolve().parents[2] / "docs" / "images"


def grid(benchmark: str, images: np.ndarray, path: Path, cmap: str | None) -> None:
    """A benchmark with severities: one image, a column per severity after the clean one. A benchmark with one
    level (MNIST-C): a column per image, the clean images as the first row."""
    spec = BENCHMARKS[benchmark]
    copies = corrupt_images(benchmark, images, POOL_SEED)
    if len(spec.severities) > 1:
        titles = ["clean"] + [f"severity {s}" for s in spec.severities]
        rows = [(name.replace("_", " "), [images[0]] + [copies[(name, s)][0] for s in spec.severities])
                for name in spec.corruptions]
    else:
        titles = []
        rows = [("clean", list(images))] + [(name.replace("_", " "), list(copies[(name, spec.severities[0])]))
                                            for name in spec.corruptions]
    columns = len(rows[0][1])
    fig, axes = plt.subplots(len(rows), columns, figsize=(1.1 * columns + 1.6, 1.1 * len(rows)))
    for r, (label, row) in enumerate(rows):
        for c, image in enumerate(row):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            ax.imshow(image, cmap=cmap, vmin=0, vmax=255, interpolation="nearest")
            if r == 0 and titles:
                ax.set_title(titles[c], fontsize=8)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center", fontsize=8)
    fig.suptitle(f"{benchmark}: {spec.reference}", fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 0.985))
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(path)


def main(data: Path) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with np.load(data / "cifar10-jpeg" / "test.npz") as archive:
        cifar = archive["x"][:1]
    grid("cifar10-c", cifar, OUT / "cifar10-c.png", None)
    with gzip.open(data / "MNIST" / "raw" / "t10k-images-idx3-ubyte.gz") as handle:
        digits = np.frombuffer(handle.read(), dtype=np.uint8, offset=16).reshape(-1, 28, 28)[:5].copy()
    grid("mnist-c", digits, OUT / "mnist-c.png", "gray")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else os.environ["AUGBENCH_DATA"]))
