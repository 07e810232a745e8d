"""What the text tasks share: strict readers of their files, the TF-IDF + SVD featurizer, the MLP.

Featurization (scikit-learn): TF-IDF over word uni- and bi-grams (sublinear tf, terms in at least
`min_df` training rows), reduced to `dims` dense dimensions by TruncatedSVD (LSA), then standardized
with training statistics, on one BLAS thread so that the features do not depend on the machine's cores
(they still depend on the BLAS kernel OpenBLAS picks for the CPU: rows record it). Vocabulary, IDF, SVD
basis and scaler are fitted on the cell's training rows only (augbench/tasks/features.py says why), so a token that
occurs only in test changes no training feature.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import torch
from torch import nn

from augbench.transforms.augmentations import FeatureNoise
from augbench.transforms.corruptions import TEXT_CORRUPTIONS
from augbench.transforms.sentences import corrupt_sentence
from augbench.core.seeding import derive_seed
from augbench.core.errors import DataError, UsageError
from augbench.config.profiles import TrainConfig
from augbench.tasks.base import POOL_SEED, Split, TaskData, _cached_arrays, object_array
from augbench.tasks.features import FeatureTask


@dataclasses.dataclass(frozen=True)
class RawSentences:
    """What a method that trains on the sentences gets (`Method.raw_train`): the cell's training sentences and their
    features, in the order of its training split, and the featurizer fitted on them (sentences -> float32 [N, dims]),
    through which the attack's candidates and the sentences it changes go, as the test split's sentences do."""

    sentences: list[str]
    features: torch.Tensor  # [N, dims]: the cell's training features, what every other method trains on
    featurize: Callable[[Sequence[str]], np.ndarray]

# Text rows are decoded once; a malformed one is reported with its file and line.


def read_lines(path: Path, encoding: str) -> list[str]:
    """The file's lines without line endings; an empty or undecodable file is a DataError naming it."""
    raw = path.read_bytes()
    if not raw.strip():
        raise DataError(f"{path}: the file is empty")
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise DataError(f"{path}:{line}: not valid {encoding} text ({exc.reason})") from None
    return text.split("\n")[:-1] if text.endswith("\n") else text.split("\n")


def read_glue_tsv(path: Path, labels: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """GLUE `sentence<TAB>label` rows after a header line (no quoting), as (texts, label ids)."""
    lines = read_lines(path, "utf-8")
    if lines[0].split("\t") != ["sentence", "label"]:
        raise DataError(f"{path}:1: expected the header 'sentence<TAB>label', found {lines[0][:60]!r}")
    texts, ids = [], []
    for number, line in enumerate(lines[1:], start=2):
        fields = line.split("\t")
        if len(fields) != 2 or not fields[0].strip() or fields[1] not in labels:
            raise DataError(f"{path}:{number}: malformed row {line[:60]!r} (expected sentence<TAB>label, label in {', '.join(labels)})")
        texts.append(fields[0].strip())
        ids.append(labels.index(fields[1]))
    return np.array(texts, dtype=object), np.array(ids, dtype=np.int64)


def read_trec(path: Path, classes: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """TREC `COARSE:fine question` lines (Latin-1), as (questions, coarse class ids)."""
    texts, ids = [], []
    for number, line in enumerate(read_lines(path, "latin-1"), start=1):
        label, _, question = line.partition(" ")
        coarse, colon, fine = label.partition(":")
        if not colon or not fine or coarse not in classes or not question.strip():
            raise DataError(f"{path}:{number}: malformed row {line[:60]!r} (expected 'COARSE:fine question', "
                            f"COARSE in {', '.join(classes)})")
        texts.append(question.strip())
        ids.append(classes.index(coarse))
    return np.array(texts, dtype=object), np.array(ids, dtype=np.int64)


@dataclasses.dataclass(frozen=True)
class TextParams:
    dims: int = 256  # dense dimensions after TruncatedSVD of the TF-IDF matrix
    min_df: int = 2  # a uni-/bi-gram enters the vocabulary when it occurs in at least this many training rows

    def __post_init__(self) -> None:
        if self.dims < 2:
            raise UsageError(f"text task parameter dims={self.dims} is invalid: it must be >= 2")
        if self.min_df < 1:
            raise UsageError(f"text task parameter min_df={self.min_df} is invalid: it must be >= 1")


def tfidf_svd_features(fit_texts: np.ndarray, targets: dict[str, np.ndarray], dims: int, min_df: int,
                       seed: int = 0) -> dict[str, np.ndarray]:
    """TF-IDF (uni+bi-grams) -> TruncatedSVD(dims) -> standardization, fitted on `fit_texts` only.

    On one BLAS thread: the randomized SVD's products and QR reduce in an order that depends on the thread
    count, and the last bits it changes move a cell's accuracy by a point (TREC, 1,000 questions, seed 0:
    73.4% with OpenBLAS on 2 threads, 74.2% on 1). One thread is the count every machine has, so a laptop,
    the 2-core VM and a 16-core GPU host make the same features, given the lock's library versions and a CPU
    on which OpenBLAS picks the same kernels: its AVX2 kernels (Haswell, Zen) round differently from its
    AVX-512 ones (SkylakeX), which is why rows record the BLAS kernel and the feature cache is keyed by it.
    """
    transform, fitted = fit_tfidf_svd(fit_texts, dims, min_df, seed)
    return {name: fitted if texts is fit_texts else transform(texts) for name, texts in targets.items()}


def fit_tfidf_svd(fit_texts: np.ndarray, dims: int, min_df: int,
                  seed: int = 0) -> tuple[Callable[[Sequence[str]], np.ndarray], np.ndarray]:
    """The fitted featurizer as a function of any sentences (float32 [N, dims], computed on one BLAS thread as
    `tfidf_svd_features` says why), and the features of `fit_texts` computed while fitting. The word-substitution
    attack featurizes its candidate sentences through it, so they meet exactly the cell's featurizer."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        vectorizer, svd, scaler, fitted = _fit_tfidf_svd(fit_texts, dims, min_df, seed)

    def transform(texts: Sequence[str]) -> np.ndarray:
        with threadpool_limits(limits=1, user_api="blas"):
            return _padded(scaler.transform(svd.transform(vectorizer.transform(list(texts)))), dims)

    return transform, _padded(fitted, dims)


def _padded(dense: np.ndarray, dims: int) -> np.ndarray:
    if dense.shape[1] < dims:  # a tiny training set: pad to the task's fixed width with zeros (the mean)
        dense = np.pad(dense, ((0, 0), (0, dims - dense.shape[1])))
    return dense.astype(np.float32)


def _fit_tfidf_svd(fit_texts: np.ndarray, dims: int, min_df: int, seed: int):
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import StandardScaler

    vectorizer = TfidfVectorizer(ngram_range=(1, 2), min_df=min_df, sublinear_tf=True, lowercase=True,
                                 token_pattern=r"(?u)\b\w+\b|[^\w\s]", dtype=np.float32)
    fit_matrix = vectorizer.fit_transform(list(fit_texts))
    components = min(dims, fit_matrix.shape[1] - 1, fit_matrix.shape[0] - 1)
    if components < 1:
        raise DataError(f"{fit_matrix.shape[0]} training rows with a vocabulary of {fit_matrix.shape[1]} terms are too few to featurize")
    svd = TruncatedSVD(n_components=components, algorithm="randomized", n_iter=5, random_state=seed)
    scaler = StandardScaler()
    fitted = scaler.fit_transform(svd.fit_transform(fit_matrix))
    return vectorizer, svd, scaler, fitted


class TextMlp(nn.Module):
    """Two hidden layers with batch norm and dropout: the usual strong baseline on dense text features."""

    def __init__(self, dims: int, width: int, classes: int, dropout: float = 0.2) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Linear(dims, width), nn.BatchNorm1d(width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(width, width), nn.BatchNorm1d(width), nn.ReLU(inplace=True), nn.Dropout(dropout),
            nn.Linear(width, classes),
        )

    def forward(self, x):
        return self.net(x)


class TextTask(FeatureTask):
    """Base of sst2 and trec: TF-IDF + SVD features, an MLP, feature dropout + noise as `classic`."""

    Params = TextParams
    raw_kind = "text"  # sentences (str), which EDA edits before featurization
    featurizer_libraries = ("numpy", "scipy", "scikit-learn", "threadpoolctl", "blas")
    # 2: the SVD and scaler run on one BLAS thread (tfidf_svd_features), so features no longer depend on the core count
    # 3: the test split's corrupted views are sentences with typos and EDA's edits (raw_views), not feature noise
    FEATURIZER_VERSION = 3
    # classic for text: feature dropout plus Gaussian noise on the standardized vectors (cheap, per
    # sample, and compatible with the feature cache, unlike token edits before featurization).
    classic = FeatureNoise(dropout=0.1, noise_std=0.2)
    corruptions = TEXT_CORRUPTIONS
    # L-inf radius in standardized feature units: a tenth of a feature's training std.
    attack_eps = 0.1
    sanity_eps = 10.0  # ten training stds in every feature: far outside the data; PGD must flip everything there

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        self.input_shape = (self.params.dims,)

    def featurize(self, fit_items: Any, targets: dict[str, Any]) -> dict[str, np.ndarray]:
        return tfidf_svd_features(fit_items, targets, self.params.dims, self.params.min_df)

    def fitted_featurizer(self, fit_items: Any) -> Callable[[Any], np.ndarray]:
        return fit_tfidf_svd(fit_items, self.params.dims, self.params.min_df)[0]

    def with_raw_train(self, source: Any, data: TaskData, device: torch.device) -> tuple[TaskData, "RawSentences"]:
        """train.x as [N, 1]: each training example's position among the cell's training sentences, which go to the
        method with the cell's training features and the featurizer fitted on them. The featurizer must give back
        the cell's validation features (sentences it did not fit on go through it as the test split's do; the
        training features come from the fit itself, the SVD's U x Sigma, which differs from a transform of the same
        sentences in the directions the randomized SVD did not capture)."""
        if data.fit_rows is None:
            raise ValueError(f"task {self.name!r}: the data carries no featurizer fit rows")
        x_train, y_train, _, _ = _cached_arrays(self, source)
        featurize = self.fitted_featurizer(x_train[data.fit_rows])
        if data.val is not None and len(data.val):
            val = [str(s) for s in x_train[self.val_rows(y_train)]]
            gap = float(np.abs(featurize(val) - data.val.x.cpu().numpy()).max())
            if gap > 1e-4:  # the same pipeline, or the attack trains on another one
                raise RuntimeError(f"{self.name}: the refitted featurizer differs from the cell's validation features by {gap:.3g}")
        positions = torch.arange(len(data.fit_rows), dtype=torch.float32, device=device)[:, None]
        raw = RawSentences([str(s) for s in x_train[data.fit_rows]], data.train.x, featurize)
        return dataclasses.replace(data, train=Split(positions, data.train.y, data.train.views)), raw

    def preload(self, source: Any) -> None:
        """The dataset, and WordNet (about 4 s, once per process), which the corruptions' synonyms need: neither
        belongs in a cell's times."""
        super().preload(source)
        from augbench.transforms.sentences import _wordnet

        _wordnet()

    def raw_views(self, test_items: Any) -> dict[str, Any]:
        """The test sentences under each corruption of TEXT_CORRUPTIONS (typos, EDA's edits), one fixed stream per
        corruption, so every method and seed is judged on the same corrupted sentences."""
        views = {}
        for name in self.corruptions:
            rng = np.random.default_rng(derive_seed(POOL_SEED, f"corruption:{name}"))
            views[name] = object_array([corrupt_sentence(name, str(s), rng) for s in test_items])
        return views

    def classifier(self, config: TrainConfig) -> nn.Module:
        return TextMlp(self.params.dims, config.width, self.num_classes)
