"""TREC question classification (Li and Roth 2002), 6 coarse classes. The files are Latin-1.

5,452 training questions (train_5500.label) and the 500 of TREC-10 as the test split. Features:
augbench/tasks/text.py.
"""

from __future__ import annotations

from pathlib import Path

from augbench.config.profiles import TrainConfig
from augbench.tasks import TASKS
from augbench.tasks.base import DataSource
from augbench.tasks.text import TextTask, read_trec
from augbench.tasks.verify import KnownFile

DIR = "text/trec"
CLASSES = ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM")
FILES = [  # sha256 = Hugging Face datasets' download checksums, md5 = torchtext-style loaders' (shared data README)
    KnownFile(f"{DIR}/train_5500.label", sha256=frozenset({"9e4c8bdcaffb96ed61041bd64b564183d52793a8e91d84fc3a8646885f466ec3"}),
              md5=frozenset({"073462e3fcefaae31e00edb1f18d2d02"})),
    KnownFile(f"{DIR}/TREC_10.label", sha256=frozenset({"033f22c028c2bbba9ca682f68ffe204dc1aa6e1cf35dd6207f2d4ca67f0d0e8e"}),
              md5=frozenset({"323a3554401d86e650717e2d2f942589"})),
]

_PROFILES = {
    "smoke": TrainConfig(epochs=4, batch_size=64, lr=0.05, width=64, train_pool=2000),
    # quick: the data-scarce regime, 1,000 and 2,000 questions (fractions 0.5 and 1 of a 2,000 pool), tuned on validation.
    "quick": TrainConfig(epochs=20, batch_size=64, lr=0.1, width=256, label_smoothing=0.1, train_pool=2000),
    "full": TrainConfig(epochs=40, batch_size=64, lr=0.05, width=512, label_smoothing=0.1),
}


@TASKS.register("trec")
class Trec(TextTask):
    """TREC-6 question type: 5,452 train / 500 test questions, 6 coarse classes (ABBR, DESC, ENTY, HUM, LOC, NUM)."""

    name = "trec"
    val_size = 500  # validation examples held out of the train split (about 9% of the 5,452 training questions, every class represented)
    num_classes = len(CLASSES)
    class_names = CLASSES  # coarse question classes: abbreviation, description, entity, human, location, number
    input_shape = (256,)

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        return "trec-6", FILES

    def read_arrays(self, source: DataSource):
        x_train, y_train = read_trec(source.files.path(FILES[0].relpath), CLASSES)
        x_test, y_test = read_trec(source.files.path(FILES[1].relpath), CLASSES)
        return x_train, y_train, x_test, y_test

    def train_config(self, profile: str) -> TrainConfig:
        return _PROFILES[profile]
