"""A user's own data as a task: `--tasks images:FOLDER`, `text:FILE.csv`, `audio:FOLDER`.

The person who asks "which augmentation should I use?" usually asks it about their own data, so a folder is a task
like the built-in ones: the suite reads it with well-kept readers, fixes its splits, picks the classifier, featurizer,
budgets and attack radius of the modality's built-in task, and runs every method that applies to the modality.

What each kind reads (files whose names start with a dot are skipped; anything else that cannot be read is an error
naming the file, exit 2, before a store is opened):

- `images:FOLDER`: one sub-folder per class of image files that Pillow reads (PNG, JPEG, BMP, GIF, TIFF, WebP), or
  `images:FILE.csv` with the columns `path,label` (paths relative to the CSV's folder). Every image is cut to a
  centred square and resized to `size` x `size` pixels (bilinear; default 32), grey when every file is grey, RGB
  otherwise (`channels=auto`; `1` or `3` force one). Classifier: the CIFAR-10 task's ResNet-9, its budgets and its
  radius (8/255); classic = crop after `size`/8 pixels of padding, plus horizontal flips unless `flip=false`
  (mirroring changes the label of digits, letters and some X-rays).
- `text:FILE`: a CSV (or a TSV: `.tsv`, `.tab`) with a header row naming a `text` and a `label` column
  (`text_column`, `label_column` pick others), UTF-8. Featurizer and classifier: the text tasks' TF-IDF + SVD and MLP,
  with TREC's budgets.
- `audio:FOLDER`: one sub-folder per class of PCM WAV files (8, 16, 24 or 32 bit). A recording at another rate
  is resampled to 8 kHz and one with several channels is mixed down to mono, each counted in a note on stderr;
  the FSDD task's log-mel front end (centred 1.008 s), CNN, budgets and attacks follow.

Splits: where the data bring their own (FOLDER/train/CLASS and FOLDER/test/CLASS, or a CSV's `split` column of
train and test), the test split is theirs; otherwise a stratified `test_share` (default 0.2) of each class is. A
stratified `val_share` (default 0.1 of all files) of the rest is the validation split; the draws use `split_seed`;
the rest is the training pool, and the profile's fractions are shares of it (quick: a half and all of it). A class
needs at least MIN_PER_CLASS files (with the data's own split: MIN_TRAIN_OWN_SPLIT in train and 1 in test). The
data checksum covers every file's bytes and its label, so the split is fixed by the
recorded seed and that checksum; the task's name is `KIND:STEM` (the folder's or file's name), so rows made from
the same data at another path keep their run_ids.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os
import re
import sys
import wave
from pathlib import Path
from typing import Any, ClassVar, Literal, NamedTuple

import numpy as np
import torch
from torch import nn

from augbench.config.profiles import TrainConfig
from augbench.core.errors import DataError, UsageError
from augbench.tasks import TASKS
from augbench.tasks import cifar10, fsdd, trec
from augbench.tasks.base import IMAGE_ROBUSTNESS, DataSource, Task, object_array
from augbench.tasks.splits import stratified_indices
from augbench.tasks.text import TextParams, TextTask
from augbench.tasks.verify import VerifiedFiles, file_digest
from augbench.transforms.augmentations import CropFlip
from augbench.transforms.corruptions import IMAGE_CORRUPTIONS

MIN_PER_CLASS = 10  # 2 test, about 1 validation and 7 training files per class at the default shares
MIN_TRAIN_OWN_SPLIT = 8  # with the data's own train/test split: training files per class (validation and two sizes)
SPLITS = ("train", "test")  # the data's own split: FOLDER/train and FOLDER/test, or a CSV's `split` column


class Listing(NamedTuple):
    """A folder's (or file's) items, their label ids, the class names, and the data's own test split if it has one."""

    items: list[Any]
    ids: np.ndarray
    names: tuple[str, ...]
    test: np.ndarray | None  # bool per item where the data say train or test; None: the split is drawn
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
TEXT_DELIMITERS = {".tsv": "\t", ".tab": "\t"}  # anything else: a comma


def stem_of(path: Path) -> str:
    """The task's name after `KIND:`: the folder's (or file's, without suffix) name in lower case, every character
    but a-z, 0-9, _ and - replaced by _ (so that `--param images:my_data.size=64` parses)."""
    stem = re.sub(r"[^a-z0-9_-]", "_", (path.stem if path.is_file() else path.name).lower())
    return stem if re.match(r"[a-z0-9]", stem) else f"d{stem}"


def _check_share(owner: str, name: str, value: float) -> None:
    if not 0 < value < 0.5:
        raise UsageError(f"{owner}.{name}={value} is invalid: it must be in (0, 0.5)")


@dataclasses.dataclass(frozen=True)
class SplitParams:
    test_share: float = 0.2  # stratified share of each class held out as the test split (unless the data have their own: train/ and test/, or a split column)
    val_share: float = 0.1  # stratified share of all files held out for validation (hyperparameters, early stops)
    split_seed: int = 0  # the seed of both draws (recorded: the split is this seed and the data checksum)

    def _check_split(self, owner: str) -> None:
        _check_share(owner, "test_share", self.test_share)
        _check_share(owner, "val_share", self.val_share)
        if self.test_share + self.val_share > 0.5:
            raise UsageError(f"{owner}.test_share + {owner}.val_share = {self.test_share + self.val_share:g} is invalid: "
                             f"at least half of the files must stay for training")


@dataclasses.dataclass(frozen=True)
class ImageFolderParams(SplitParams):
    size: int = 32  # pixels of the square every image is cut and resized to
    channels: Literal["auto", "1", "3"] = "auto"  # auto: grey when every file is grey, else RGB
    flip: bool = True  # horizontal flips in `classic` (false where mirroring changes the label)

    def __post_init__(self) -> None:
        self._check_split("images")
        if not 8 <= self.size <= 512:
            raise UsageError(f"images.size={self.size} is invalid: it must be in [8, 512] pixels")


@dataclasses.dataclass(frozen=True)
class TextFileParams(TextParams, SplitParams):
    text_column: str = "text"  # the header of the column holding the text
    label_column: str = "label"  # the header of the column holding the label

    def __post_init__(self) -> None:
        super().__post_init__()
        self._check_split("text")


@dataclasses.dataclass(frozen=True)
class AudioFolderParams(SplitParams):
    mels: int = fsdd.N_MELS  # mel bands of the log-mel map (as fsdd.mels)

    def __post_init__(self) -> None:
        self._check_split("audio")
        if self.mels not in fsdd.MEL_CHOICES:
            raise UsageError(f"audio.mels={self.mels} is invalid; valid band counts: {', '.join(map(str, fsdd.MEL_CHOICES))}")


def _budgets(profiles: dict[str, TrainConfig]) -> dict[str, TrainConfig]:
    """A built-in task's budgets for a user's data: the whole training pool (no `train_pool`) and test split."""
    return {name: dataclasses.replace(config, train_pool=None, test_limit=None) for name, config in profiles.items()}


class FolderTask(Task):
    """What the three kinds share: the path, the listing of (file, label), the split, the checksum, pickling."""

    kind: ClassVar[str]
    items: ClassVar[str] = "files"  # what one example is called in errors: files, rows, recordings
    source_path: ClassVar[str] = ""  # the absolute path of a member class; "" on the scheme's own class
    num_classes: ClassVar[int] = 0
    expects: ClassVar[str] = "folder"  # what the path must be, for the error when it is missing
    _profiles: ClassVar[dict[str, TrainConfig]]  # the built-in task's budgets (`_budgets`), set by each kind
    _listings: ClassVar[dict[tuple, Listing]] = {}

    @classmethod
    def for_argument(cls, argument: str) -> tuple[str, type]:
        """The member class for the path `argument` (its name's stem, and the class): the registry declares it."""
        path = Path(argument).expanduser()
        if not path.exists():
            raise UsageError(f"{cls.kind}:{argument}: no such {cls.expects}")
        path = path.resolve()
        member = type(f"{cls.__name__}[{path.name}]", (cls,), {"source_path": str(path), "__module__": cls.__module__})
        return stem_of(path), member

    def __init__(self, params: Any = None) -> None:
        super().__init__(params)
        if not self.source_path:
            return  # the scheme's own class: what every member shares, for reports of stores made elsewhere
        listing = self.listing()
        self.num_classes = len(listing.names)
        self.class_names = listing.names
        self.val_size = max(len(listing.names), round(self.params.val_share * len(listing.ids)))

    def train_config(self, profile: str) -> TrainConfig:
        return self._profiles[profile]

    def __reduce__(self):  # a member class is made at run time: a worker process makes it again from the path
        return (_rebuild, (self.kind, self.source_path, self.params))

    # --- listing and checks --------------------------------------------------------------------
    def listing_key(self) -> tuple:
        """What the listing depends on: the path, and the modification times of the folder and the folders two levels
        below it (class folders, or train/ and test/ and theirs), or of the file, so that a file added between two
        runs of one Python session is listed."""
        path = Path(self.source_path)
        watched = ([path, *sorted(p for p in (*path.glob("*"), *path.glob("*/*")) if p.is_dir())] if path.is_dir()
                   else [path])
        return (self.kind, self.source_path, tuple(p.stat().st_mtime_ns for p in watched))

    def listing(self) -> Listing:
        """Every file (or row) with its label id, the class names, and the data's own split; checked once per process."""
        key = self.listing_key()
        if key not in self._listings:
            files, labels, splits = self.list_items()
            names = tuple(sorted(set(labels)))
            where = f"{self.kind}:{self.source_path}"
            if len(names) < 2:
                raise DataError(f"{where}: {len(names)} class{'es' if len(names) != 1 else ''} found"
                                f"{' (' + names[0] + ')' if names else ''}; a task needs at least 2")
            ids = np.array([names.index(label) for label in labels], dtype=np.int64)
            test = None if splits is None else np.array([split == "test" for split in splits])
            if test is None:
                counts = np.bincount(ids, minlength=len(names))
                small = int(np.argmin(counts))
                if counts[small] < MIN_PER_CLASS:
                    raise DataError(f"{where}: class {names[small]!r} has {counts[small]} {self.items}; each class needs at "
                                    f"least {MIN_PER_CLASS} (a test share, a validation share and a training pool that can be halved)")
            else:
                train_counts = np.bincount(ids[~test], minlength=len(names))
                test_counts = np.bincount(ids[test], minlength=len(names))
                for label, (n_train, n_test) in enumerate(zip(train_counts, test_counts)):
                    if n_train < MIN_TRAIN_OWN_SPLIT or n_test < 1:
                        raise DataError(f"{where}: class {names[label]!r} has {n_train} training and {n_test} test "
                                        f"{self.items}; with the data's own split each class needs at least "
                                        f"{MIN_TRAIN_OWN_SPLIT} in train and 1 in test")
            self._listings[key] = Listing(files, ids, names, test)
        return self._listings[key]

    def list_items(self) -> tuple[list[Any], list[str], list[str] | None]:
        """The items (files, or rows of a file), their labels as written, and each one's split (train or test) where
        the data give one, else None; DataError when there are none."""
        raise NotImplementedError

    def class_folders(self, suffixes: tuple[str, ...], what: str, one: str) -> tuple[list[Path], list[str], list[str] | None]:
        """(files, labels, splits) of a folder of class sub-folders, or of `train/` and `test/` folders of class
        sub-folders (the data's own split); any other file in a class folder is an error."""
        root = Path(self.source_path)
        if not root.is_dir():
            raise DataError(f"{self.kind}:{root}: not a folder (expected one sub-folder of {what} per class)")
        tops = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))
        own_split = sorted(p.name for p in tops) == sorted(SPLITS)
        files, labels, splits = [], [], []
        for top, split in ([(root / name, name) for name in SPLITS] if own_split else [(root, None)]):
            for folder in sorted(p for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")):
                for path in sorted(p for p in folder.rglob("*") if p.is_file() and not p.name.startswith(".")):
                    if path.suffix.lower() not in suffixes:
                        raise DataError(f"{path}: not {one} (expected a name ending in {', '.join(suffixes)})")
                    files.append(path)
                    labels.append(folder.name)
                    splits.append(split)
        if not files:
            raise DataError(f"{self.kind}:{root}: no class sub-folders with {what} (expected FOLDER/CLASS/FILE, or "
                            f"FOLDER/train/CLASS/FILE and FOLDER/test/CLASS/FILE)")
        return files, labels, splits if own_split else None

    # --- data ----------------------------------------------------------------------------------
    def source(self, root: Path) -> DataSource:
        """The files' checksum (every file's bytes and each item's label), after reading every item once: a file that
        cannot be read is a one-line error here, at planning, not a failed cell later."""
        files, ids, names, own_test = self.listing()
        path = Path(self.source_path)
        base = path if path.is_dir() else path.parent
        digests = {os.path.relpath(f, base): file_digest(Path(f), "sha256") for f in self.checksum_files(files)}
        splits = own_test if own_test is not None else [None] * len(files)
        labelled = "\n".join(f"{self.item_id(f, base)} {names[i]}{' test' if t else ''}" for f, i, t in zip(files, ids, splits))
        lines = "\n".join(f"{rel} {sha}" for rel, sha in sorted(digests.items()))
        checksum = hashlib.sha256(f"{lines}\n{labelled}\n{self.read_identity()}".encode()).hexdigest()
        source = DataSource(f"{self.kind}-folder", VerifiedFiles(base, digests, checksum))
        self.preload(source)  # decodes every item (one error naming the bad file), kept for this process's cells
        return source

    def checksum_files(self, items: list[Any]) -> list[Path]:
        """The files whose bytes the checksum covers: the listed files, and the CSV that lists them if any."""
        path = Path(self.source_path)
        return ([path] if path.is_file() else []) + [f for f in items if isinstance(f, Path)]

    def item_id(self, item: Any, base: Path) -> str:
        return os.path.relpath(item, base) if isinstance(item, Path) else hashlib.sha256(str(item).encode()).hexdigest()[:16]

    def read_identity(self) -> str:
        """What the decoded items depend on besides the files (an image size): part of the checksum."""
        return ""

    def decode(self, items: list[Any]) -> np.ndarray:
        raise NotImplementedError

    def progress(self, items: list[Any], what: str):
        """`items` with a progress bar on a terminal when there are many (a folder of thousands of photos)."""
        from tqdm.auto import tqdm

        return tqdm(items, desc=f"{self.name}: {what}", unit="file", leave=False,
                    disable=None if len(items) >= 2000 else True)

    def read_arrays(self, source: DataSource):
        files, ids, _, own_test = self.listing()
        x = self.decode(files)
        test = (np.flatnonzero(own_test) if own_test is not None
                else stratified_indices(ids, float(self.params.test_share), self.params.split_seed))
        train = np.setdiff1d(np.arange(len(ids)), test)
        return x[train], ids[train], x[test], ids[test]

    def val_rows(self, y_train: np.ndarray) -> np.ndarray:
        """The validation rows, drawn with the task's own `split_seed` (a built-in task's are fixed by VAL_SEED)."""
        size = min(self.val_size, len(y_train) // 5)
        return stratified_indices(y_train, size, self.params.split_seed)


def _rebuild(kind: str, path: str, params: Any) -> Task:
    """A folder task in another process (a worker): its member class declared there again from the path."""
    if not path:
        return TASKS.get(f"{kind}:any")(params)  # the scheme's own class
    return TASKS.get(TASKS.declare_member(kind, path))(params)


@TASKS.register_scheme("images")
class ImageFolder(FolderTask):
    """A folder of class sub-folders of images (or a CSV of path,label): the CIFAR-10 task's classifier and budgets."""

    kind = name = "images"
    items = "images"
    expects = "folder or CSV file"
    modality = "image"
    input_shape = (3, 32, 32)
    attack_eps = 8 / 255  # the CIFAR-10 radius; `--param robust.eps=...` states another
    corruptions = IMAGE_CORRUPTIONS
    # Judged as MNIST and CIFAR-10 are (AutoAttack beside PGD's strongest iterate, the per-example worst case), but on
    # the suite's own corruptions: CIFAR-10-C's and MNIST-C's definitions are made for 32 x 32 colour and 28 x 28 grey
    # images, and a user's folder holds neither.
    robust_defaults = {profile: {key: value for key, value in settings.items() if key != "corruptions"}
                       for profile, settings in IMAGE_ROBUSTNESS.items()}
    classic = CropFlip(padding=4, flip=True)
    Params = ImageFolderParams
    _profiles = _budgets(cifar10._PROFILES)

    def __init__(self, params: ImageFolderParams | None = None) -> None:
        super().__init__(params)
        size = self.params.size
        self.classic = CropFlip(padding=max(1, size // 8), flip=self.params.flip)
        if self.source_path:
            self.input_shape = (self.channels(), size, size)

    def list_items(self) -> tuple[list[Path], list[str], list[str] | None]:
        path = Path(self.source_path)
        if path.is_file():
            return self._csv_listing(path)
        return self.class_folders(IMAGE_SUFFIXES, "image files", "an image file")

    def _csv_listing(self, path: Path) -> tuple[list[Path], list[str], list[str] | None]:
        rows, splits = read_table(path, ("path", "label"))
        files, labels = [], []
        for line, row in rows:
            image = (path.parent / row["path"]).resolve()
            if not image.is_file():
                raise DataError(f"{path}:{line}: no image file {row['path']!r} (paths are relative to the CSV's folder)")
            files.append(image)
            labels.append(row["label"])
        return files, labels, splits

    def channels(self) -> int:
        """1 when every file is grey (or `channels=1`), else 3; reads only the files' headers."""
        if self.params.channels != "auto":
            return int(self.params.channels)
        from PIL import Image

        for path in self.listing()[0]:
            try:
                with Image.open(path) as image:
                    if image.mode not in ("1", "L", "I", "I;16", "F", "LA"):
                        return 3
            except (OSError, ValueError) as exc:
                raise DataError(f"{path}: not an image Pillow can read ({exc})") from None
        return 1

    def read_identity(self) -> str:
        return f"{self.input_shape[0]}x{self.params.size}x{self.params.size}"

    def decode(self, items: list[Path]) -> np.ndarray:
        from PIL import Image, ImageOps

        channels, size = self.input_shape[0], self.params.size
        out = np.empty((len(items), channels, size, size), dtype=np.uint8)
        for row, path in enumerate(self.progress(items, "decoding images")):
            try:
                with Image.open(path) as image:
                    image = image.convert("L" if channels == 1 else "RGB")
                    image = ImageOps.fit(image, (size, size), method=Image.Resampling.BILINEAR)
            except (OSError, ValueError) as exc:  # Pillow's UnidentifiedImageError is an OSError
                raise DataError(f"{path}: not an image Pillow can read ({exc})") from None
            pixels = np.asarray(image, dtype=np.uint8)
            out[row] = pixels[None] if channels == 1 else pixels.transpose(2, 0, 1)
        return out

    def classifier(self, config: TrainConfig) -> nn.Module:
        channels = self.input_shape[0]
        return cifar10.ResNet9(config.width, self.num_classes, channels, (0.5,) * channels, (0.25,) * channels)


def read_table(path: Path, columns: tuple[str, ...]) -> tuple[list[tuple[int, dict[str, str]]], list[str] | None]:
    """(line, {column: value}) of a CSV or TSV with a header row, keeping `columns`, and each row's `split` (train or
    test) when the header has that column, else None. A missing column, an empty value in one, or a split other
    than train and test is a DataError naming the file and line."""
    delimiter = TEXT_DELIMITERS.get(path.suffix.lower(), ",")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.reader(text.splitlines(), delimiter=delimiter)
    header = next(reader, None)
    if not header:
        raise DataError(f"{path}: the file is empty (expected a header row naming the columns {', '.join(columns)})")
    header = [name.strip() for name in header]
    for column in columns:
        if column not in header:
            raise DataError(f"{path}: no column {column!r}; the header names {', '.join(map(repr, header))}")
    where = [header.index(column) for column in columns]
    split_at = header.index("split") if "split" in header and "split" not in columns else None
    rows, splits = [], []
    for line, fields in enumerate(reader, start=2):
        if not fields or not any(f.strip() for f in fields):
            continue  # a blank line
        if len(fields) != len(header):
            raise DataError(f"{path}:{line}: {len(fields)} fields where the header has {len(header)}")
        values = {column: fields[i].strip() for column, i in zip(columns, where)}
        empty = [column for column in columns if not values[column]]
        if empty:
            raise DataError(f"{path}:{line}: the {empty[0]!r} field is empty")
        if split_at is not None:
            split = fields[split_at].strip().lower()
            if split not in SPLITS:
                raise DataError(f"{path}:{line}: split {fields[split_at].strip()!r} is invalid; valid splits: "
                                f"{', '.join(SPLITS)}")
            splits.append(split)
        rows.append((line, values))
    if not rows:
        raise DataError(f"{path}: no rows after the header")
    return rows, (splits if split_at is not None else None)


@TASKS.register_scheme("text")
class TextFile(FolderTask, TextTask):
    """A CSV or TSV of text and label: the text tasks' TF-IDF + SVD features and MLP, with TREC's budgets."""

    kind = name = "text"
    items = "rows"
    expects = "file"
    Params = TextFileParams
    input_shape = (256,)
    _profiles = _budgets(trec._PROFILES)

    def listing_key(self) -> tuple:
        return (*super().listing_key(), self.params.text_column, self.params.label_column)

    def list_items(self) -> tuple[list[str], list[str], list[str] | None]:
        path = Path(self.source_path)
        if not path.is_file():
            raise DataError(f"text:{path}: not a file (expected a CSV or TSV with a header row)")
        rows, splits = read_table(path, (self.params.text_column, self.params.label_column))
        return ([row[self.params.text_column] for _, row in rows], [row[self.params.label_column] for _, row in rows],
                splits)

    def decode(self, items: list[str]) -> np.ndarray:
        return object_array(list(items))


def read_any_wav(path: Path) -> tuple[np.ndarray, int, int]:
    """(samples as float32 [frames, channels] in [-1, 1], rate, channels) of a PCM WAV file of 8-32 bits."""
    try:
        with wave.open(str(path), "rb") as handle:
            rate, channels, width, frames = (handle.getframerate(), handle.getnchannels(), handle.getsampwidth(),
                                              handle.getnframes())
            raw = handle.readframes(frames)
    except (wave.Error, EOFError, OSError) as exc:
        raise DataError(f"{path}: not a PCM WAV file ({exc or 'truncated'})") from None
    if frames == 0 or len(raw) != width * channels * frames:
        raise DataError(f"{path}: {len(raw) // max(1, width * channels)} frames where the header promises {frames}; "
                        f"the file is empty or truncated")
    if width == 1:  # 8-bit WAV is unsigned
        samples = (np.frombuffer(raw, dtype=np.uint8).astype(np.float32) - 128.0) / 128.0
    elif width == 3:  # 24-bit: little-endian triples, sign-extended through the top byte
        triples = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3).astype(np.int32)
        value = triples[:, 0] | (triples[:, 1] << 8) | (triples[:, 2] << 16)
        samples = (np.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)).astype(np.float32)
    elif width in (2, 4):
        samples = np.frombuffer(raw, dtype=f"<i{width}").astype(np.float32) / float(1 << (8 * width - 1))
    else:
        raise DataError(f"{path}: {8 * width}-bit samples; expected 8, 16, 24 or 32-bit PCM")
    return samples.reshape(frames, channels), rate, channels


@TASKS.register_scheme("audio")
class AudioFolder(FolderTask, fsdd.Fsdd):
    """A folder of class sub-folders of WAV recordings: the FSDD task's log-mel front end, CNN and budgets."""

    kind = name = "audio"
    items = "recordings"
    Params = AudioFolderParams
    _profiles = _budgets(fsdd._PROFILES)

    def list_items(self) -> tuple[list[Path], list[str], list[str] | None]:
        return self.class_folders((".wav",), "WAV files", "a WAV file")

    def decode(self, items: list[Path]) -> np.ndarray:
        import torchaudio.functional as audio_functional

        recordings, resampled, mixed = [], {}, 0
        for path in self.progress(items, "reading recordings"):
            samples, rate, channels = read_any_wav(path)
            if channels > 1:
                mixed += 1
            mono = torch.from_numpy(samples.mean(axis=1))
            if rate != fsdd.SAMPLE_RATE:
                resampled[rate] = resampled.get(rate, 0) + 1
                mono = audio_functional.resample(mono, rate, fsdd.SAMPLE_RATE)
            recordings.append(mono.numpy().astype(np.float32))
        notes = [f"{count} recording{'s' if count > 1 else ''} at {rate} Hz resampled to {fsdd.SAMPLE_RATE} Hz"
                 for rate, count in sorted(resampled.items())]
        notes += [f"{mixed} recording{'s' if mixed > 1 else ''} with several channels mixed down to mono"] if mixed else []
        if notes:
            print(f"note: audio:{self.source_path}: {'; '.join(notes)}", file=sys.stderr)
        return object_array(recordings)
