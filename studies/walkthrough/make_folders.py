"""Build the walkthrough's folders from the shared data, as a user's own data would look (docs/walkthrough.md):

    digits/CLASS/N.png      MNIST training digits written as PNG files, one sub-folder per digit
    spoken/CLASS/NAME.wav   FSDD recordings copied into one sub-folder per spoken digit
    questions.csv           TREC training questions as a CSV with the columns text,label (coarse class)

    .venv/bin/python studies/walkthrough/make_folders.py OUT [--per-class N] [--questions N] [--classes K]

Each set is a stratified, seeded draw (seed 0), so the same command makes the same folders. The tests import
`make_digits`, `make_spoken` and `make_questions` to build small copies in a temporary folder.
"""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from augbench.tasks.mnist import read_idx  # noqa: E402
from augbench.tasks.text import read_trec  # noqa: E402
from augbench.tasks.trec import CLASSES  # noqa: E402


def _draw(labels: np.ndarray, per_class: int, classes: int) -> list[int]:
    rng = np.random.default_rng(0)
    return sorted(int(i) for c in range(classes) for i in rng.choice(np.flatnonzero(labels == c), per_class, replace=False))


def make_digits(data: Path, out: Path, per_class: int, classes: int = 10) -> Path:
    """`per_class` MNIST training digits of each of the first `classes` digits as PNG files in class folders."""
    from PIL import Image

    images = read_idx(data / "MNIST/raw/train-images-idx3-ubyte.gz", 2051)
    labels = read_idx(data / "MNIST/raw/train-labels-idx1-ubyte.gz", 2049)
    for index in _draw(labels, per_class, classes):
        folder = out / str(labels[index])
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(images[index]).save(folder / f"{index}.png")
    return out


def make_spoken(data: Path, out: Path, per_class: int, classes: int = 10) -> Path:
    """`per_class` FSDD recordings of each of the first `classes` digits, copied into class folders."""
    names = sorted(p.name for p in (data / "fsdd/recordings").glob("*.wav"))
    labels = np.array([int(name[0]) for name in names])
    for index in _draw(labels, per_class, classes):
        folder = out / str(labels[index])
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(data / "fsdd/recordings" / names[index], folder / names[index])
    return out


def make_questions(data: Path, out: Path, count: int, classes: tuple[str, ...] = CLASSES) -> Path:
    """A CSV (text,label) of `count` TREC training questions of the coarse `classes`, stratified."""
    from augbench.tasks.splits import stratified_indices

    texts, labels = read_trec(data / "text/trec/train_5500.label", CLASSES)
    keep = np.flatnonzero(np.isin(labels, [CLASSES.index(c) for c in classes]))
    rows = keep[stratified_indices(labels[keep], min(count, len(keep)), 0)]
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([texts[i], CLASSES[labels[i]]] for i in rows)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--per-class", type=int, default=50, help="digits and recordings per class (default 50)")
    parser.add_argument("--questions", type=int, default=1000, help="questions in the CSV (default 1000)")
    args = parser.parse_args()
    data = Path(os.environ.get("AUGBENCH_DATA", Path(__file__).resolve().parents[3] / "shared/data"))
    if args.out.exists():
        sys.exit(f"{args.out} exists: give a new folder")
    make_digits(data, args.out / "digits", args.per_class)
    make_spoken(data, args.out / "spoken", args.per_class)
    make_questions(data, args.out / "questions.csv", args.questions)
    print(f"wrote {args.out}/digits, {args.out}/spoken and {args.out}/questions.csv")


if __name__ == "__main__":
    main()
