"""SST-2 (GLUE): binary sentiment of movie-review sentences and phrases.

GLUE publishes no test labels, so the dev split (872 sentences) is the test split here; the 67,349
training rows are phrases and sentences of the Stanford Sentiment Treebank. Features: augbench/tasks/text.py.
"""

from __future__ import annotations

from pathlib import Path

from augbench.config.profiles import TrainConfig
from augbench.tasks import TASKS
from augbench.tasks.base import DataSource
from augbench.tasks.text import TextTask, read_glue_tsv
from augbench.tasks.verify import KnownFile

DIR = "text/sst2"
FILES = [  # sha256 and md5 from the shared data README (md5 = torchtext's, equal to GLUE's SST-2.zip)
    KnownFile(f"{DIR}/train.tsv", sha256=frozenset({"48eac26399f8456935f81dd9e3a745c1430adb6c62e233ccfe22db4a0d15d1d1"}),
              md5=frozenset({"da409a0a939379ed32a470bc0f7fe99a"})),
    KnownFile(f"{DIR}/dev.tsv", sha256=frozenset({"54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0"}),
              md5=frozenset({"268856b487b2a31a28c0a93daaff7288"})),
]

_PROFILES = {
    "smoke": TrainConfig(epochs=2, batch_size=64, lr=0.05, width=64, train_pool=2000),
    # quick: the data-scarce regime, 1,000 and 2,000 sentences (fractions 0.5 and 1 of a 2,000 pool), tuned on validation.
    "quick": TrainConfig(epochs=20, batch_size=64, lr=0.05, width=256, label_smoothing=0.1, train_pool=2000),
    "full": TrainConfig(epochs=10, batch_size=256, lr=0.1, width=512, label_smoothing=0.1),
}


@TASKS.register("sst2")
class Sst2(TextTask):
    """SST-2 sentiment (GLUE): 67,349 train rows; test = the GLUE dev split (872), as the test labels are unpublished."""

    name = "sst2"
    val_size = 1000  # validation examples held out of the train split (of 67,349 training phrases)
    num_classes = 2
    class_names = ("negative", "positive")
    input_shape = (256,)

    def expected_files(self, root: Path) -> tuple[str, list[KnownFile]]:
        return "sst2-glue", FILES

    def read_arrays(self, source: DataSource):
        x_train, y_train = read_glue_tsv(source.files.path(FILES[0].relpath), ("0", "1"))
        x_test, y_test = read_glue_tsv(source.files.path(FILES[1].relpath), ("0", "1"))
        return x_train, y_train, x_test, y_test

    def train_config(self, profile: str) -> TrainConfig:
        return _PROFILES[profile]
