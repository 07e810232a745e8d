"""Text and audio feature tasks: counts, splits, leak-free featurization, the feature cache, every method
on every feature task, and clean errors for bad recordings and malformed text rows."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest
import torch

from augbench.cli import main
from augbench.core.errors import DataError, UsageError
from augbench.config.profiles import TrainConfig
from augbench.results.store import Store
from augbench.methods import METHODS
from augbench.methods.generative import GenerativeMethod
from augbench.transforms.recordings import WAVEFORM_CORRUPTIONS
from augbench.tasks import TASKS
from augbench.tasks.features import FeatureTask
from augbench.tasks.fsdd import TEST_SPEAKERS, FsddParams, read_wav
from augbench.tasks.text import TextParams, read_glue_tsv, read_trec, tfidf_svd_features

REPO = Path(__file__).resolve().parent.parent
FEATURE_TASKS = ("sst2", "trec", "fsdd")
CPU = torch.device("cpu")


pytestmark = pytest.mark.usefixtures("private_feature_cache")  # each test featurizes into its own cache


def counts(y: np.ndarray) -> list[int]:
    return np.bincount(y).tolist()


def test_counts_match_the_data_readme(sources):
    # shared/data/README.md: SST-2 train 67,349 (37,569 positive / 29,780 negative), dev 872 (444 / 428);
    # TREC train 5,452 (ABBR 86, DESC 1162, ENTY 1250, HUM 1223, LOC 835, NUM 896), test 500 (9, 138, 94, 65, 81, 113).
    _, y_train, _, y_test = TASKS.get("sst2")().read_arrays(sources["sst2"])
    assert counts(y_train) == [29780, 37569] and counts(y_test) == [428, 444]
    _, y_train, _, y_test = TASKS.get("trec")().read_arrays(sources["trec"])
    assert counts(y_train) == [86, 1162, 1250, 1223, 835, 896] and counts(y_test) == [9, 138, 94, 65, 81, 113]
    # FSDD: 3,000 recordings, 300 per digit; the official split has 2,700 train / 300 test.
    x_train, y_train, x_test, y_test = TASKS.get("fsdd")().read_arrays(sources["fsdd"])
    assert counts(y_train) == [270] * 10 and counts(y_test) == [30] * 10
    assert all(r.dtype == np.float32 and 0 < len(r) and np.abs(r).max() <= 1 for r in x_test)


def test_fsdd_official_split_puts_takes_0_to_4_in_test(sources):
    train, test = TASKS.get("fsdd")().split_files(sources["fsdd"])
    take = lambda rel: int(Path(rel).stem.split("_")[2])  # noqa: E731
    assert len(train) == 2700 and len(test) == 300
    assert all(take(rel) <= 4 for rel in test) and all(take(rel) >= 5 for rel in train)


def test_fsdd_speaker_split_holds_out_whole_speakers(sources):
    task = TASKS.get("fsdd")(FsddParams(split="speaker"))
    train, test = task.split_files(sources["fsdd"])
    speaker = lambda rel: Path(rel).stem.split("_")[1]  # noqa: E731
    assert {speaker(rel) for rel in test} == set(TEST_SPEAKERS)
    assert not {speaker(rel) for rel in train} & set(TEST_SPEAKERS)
    assert len(train) == 2000 and len(test) == 1000
    _, y_train, _, y_test = task.read_arrays(sources["fsdd"])
    assert counts(y_train) == [200] * 10 and counts(y_test) == [100] * 10


def test_a_token_only_in_test_changes_no_training_feature():
    train = np.array(["a good film", "a bad film", "good acting", "bad acting", "a good plot", "the bad plot"] * 3, dtype=object)
    test = np.array(["a good film", "the plot"], dtype=object)
    leaked = np.array(["a good film zzyzx", "the plot zzyzx zzyzx"], dtype=object)
    clean = tfidf_svd_features(train, {"train": train, "test": test}, dims=4, min_df=1)
    other = tfidf_svd_features(train, {"train": train, "test": leaked}, dims=4, min_df=1)
    assert np.array_equal(clean["train"], other["train"])
    assert np.array_equal(clean["test"], other["test"])  # the unseen token is not in the vocabulary at all


def test_the_featurizer_is_fitted_on_the_fraction_subset_only(sources):
    task = TASKS.get("trec")()
    data = task.load(sources["trec"], 0.2, 3, task.train_config("full"), CPU)
    assert len(data.train) == round(0.2 * (5452 - task.val_size))  # the validation rows are never in a pool
    # Standardized with the subset's own statistics (not the full train split's): mean 0, std 1 on it.
    assert torch.allclose(data.train.x.mean(0), torch.zeros(256), atol=1e-4)
    assert torch.allclose(data.train.x.std(0, unbiased=False), torch.ones(256), atol=1e-3)
    whole = task.load(sources["trec"], 1.0, 3, task.train_config("full"), CPU)
    assert not torch.allclose(whole.test.x, data.test.x, atol=1e-3)  # another fit, another feature space


def test_features_are_cached_reused_and_rebuilt_when_parameters_change(sources, tmp_path, monkeypatch):
    config = TrainConfig(train_pool=300, test_limit=50)
    task = TASKS.get("trec")()
    first = task.load(sources["trec"], 1.0, 0, config, CPU)
    files = sorted((tmp_path / "cache" / "features").glob("trec-*.pt"))
    assert len(files) == 1

    FeatureTask._memo.clear()  # a new process: only the disk cache is left
    with monkeypatch.context() as patch:
        patch.setattr(type(task), "featurize", lambda *a, **k: pytest.fail("rebuilt cached features"))
        again = task.load(sources["trec"], 1.0, 0, config, CPU)
    assert torch.equal(first.train.x, again.train.x) and torch.equal(first.test.x, again.test.x)

    smaller = TASKS.get("trec")(TextParams(dims=64)).load(sources["trec"], 1.0, 0, config, CPU)
    assert smaller.train.x.shape == (300, 64)
    assert len(list((tmp_path / "cache" / "features").glob("trec-*.pt"))) == 2

    FeatureTask._memo.clear()  # another scikit-learn release computes the features: the cached ones are not read
    with monkeypatch.context() as patch:
        patch.setattr(type(task), "library_versions", lambda self: {**FeatureTask.library_versions(self), "scikit-learn": "0.1"})
        other_release = task.load(sources["trec"], 1.0, 0, config, CPU)
    assert len(list((tmp_path / "cache" / "features").glob("trec-*.pt"))) == 3
    assert torch.equal(first.train.x, other_release.train.x)  # (rebuilt by the same code here, so equal)

    files[0].write_bytes(files[0].read_bytes()[:-100])  # a truncated cache file is rebuilt, not trusted
    FeatureTask._memo.clear()
    rebuilt = task.load(sources["trec"], 1.0, 0, config, CPU)
    assert torch.equal(first.train.x, rebuilt.train.x)


def test_what_is_cached_from_features_is_keyed_by_how_they_are_made(monkeypatch):
    """A generator (or FID's reference classifier) fitted on text features made by another scikit-learn, BLAS
    kernel or featurizer version is not loaded; image tasks' generator keys are as they were."""
    from augbench.methods.generative import Budget, generator_identity

    def identity(task: str) -> dict:
        cell = {"task": task, "train_config": {"train_pool": 2000}, "task_params": {}, "data_variant": task,
                "data_checksum": "0" * 64, "profile": "quick", "fraction": 1.0, "seed": 0}
        return generator_identity(cell, "vae", 1, {}, Budget(steps=1, width=8, batch_size=4))

    assert "features" not in identity("mnist") and "features" not in identity("cifar10")
    before = identity("trec")
    assert before["features"]["featurizer_version"] == TASKS.get("trec").FEATURIZER_VERSION
    assert set(before["features"]["libraries"]) == {"numpy", "scipy", "scikit-learn", "threadpoolctl", "blas"}
    reference_before = TASKS.get("trec")().features_identity()
    monkeypatch.setattr(FeatureTask, "library_versions", lambda self: {"scikit-learn": "0.1"})
    assert identity("trec") != before and TASKS.get("trec")().features_identity() != reference_before


def test_fsdd_waveform_noise_views_get_worse_with_lower_snr(sources):
    task = TASKS.get("fsdd")()
    data = task.load(sources["fsdd"], 1.0, 0, TrainConfig(train_pool=200, test_limit=100), CPU)
    assert data.train.x.shape == (200, 1, 16, 64) and set(data.test.views) == set(WAVEFORM_CORRUPTIONS)
    distance = {name: float((view - data.test.x).pow(2).mean()) for name, view in data.test.views.items()}
    assert 0 < distance["waveform_noise_20db"] < distance["waveform_noise_10db"] < distance["waveform_noise_0db"]
    # every corruption changes the maps; a longer room changes them more than a shorter one
    assert min(distance.values()) > 0 and distance["reverb_300ms"] < distance["reverb_600ms"]


def test_fsdd_band_count_sets_the_map_the_recipe_and_the_row_identity(sources):
    """16 bands by default; `fsdd.mels=32` gives the earlier maps (and an eighth of the bands as SpecAugment's
    mask); the count is a task parameter, so rows of the two never share a run_id; any other count is refused."""
    default, earlier = TASKS.get("fsdd")(), TASKS.get("fsdd")(FsddParams(mels=32))
    assert default.input_shape == (1, 16, 64) and default.classic.freq_width == 2
    assert earlier.input_shape == (1, 32, 64) and earlier.classic.freq_width == 4
    assert TASKS.get("fsdd").input_shape == (1, 16, 64)  # the class keeps the default's shape
    assert default.params_dict() != earlier.params_dict()
    data = earlier.load(sources["fsdd"], 1.0, 0, TrainConfig(train_pool=40, test_limit=20), CPU)
    assert data.train.x.shape == (40, 1, 32, 64) and data.test.x.shape[1:] == (1, 32, 64)
    with pytest.raises(UsageError, match=r"fsdd.mels=24 is invalid; valid band counts: 16, 32"):
        FsddParams(mels=24)


@pytest.fixture(scope="module")
def feature_store(tmp_path_factory):
    """Every registered method on every feature task, one smoke cell each."""
    root = tmp_path_factory.mktemp("features")
    os.environ["AUGBENCH_CACHE"] = str(root / "cache")
    try:
        path = root / "runs.sqlite"
        status = main(["run", "--profile", "smoke", "--store", str(path), "--no-progress",
                       "--tasks", ",".join(FEATURE_TASKS), "--methods", "all"])
    finally:
        del os.environ["AUGBENCH_CACHE"]
    with Store(path) as store:
        return status, store.records()


def test_every_method_runs_a_smoke_cell_on_every_feature_task(feature_store):
    status, rows = feature_store
    assert {(r["task"], r["method"]) for r in rows} == {
        (t, m) for t in FEATURE_TASKS for m in METHODS.list() if METHODS.get(m).applies_to(TASKS.get(t))}
    failed = [f"{r['task']}/{r['method']}: {r['error']}" for r in rows if r["status"] != "ok"]
    assert not failed and status == 0
    for row in rows:
        task = TASKS.get(row["task"])
        assert row["clean_acc"] > 1.0 / task.num_classes - 0.1, f"{row['task']}/{row['method']} does not learn"
        assert row["pgd_acc"] <= row["fgsm_acc"] + 0.03 and row["fgsm_acc"] <= row["clean_acc"] + 0.03
        assert set(json.loads(row["corruption_json"])) == set(task.corruptions)
        if issubclass(METHODS.get(row["method"]), GenerativeMethod):
            assert row["fid"] >= 0 and 0 <= row["cas"] <= 1


def test_classic_recipes_per_modality(feature_store):
    _, rows = feature_store
    params = {r["task"]: json.loads(r["method_params"]) for r in rows if r["method"] == "classic"}
    assert set(params["sst2"]) == {"dropout", "noise_std"} == set(params["trec"])
    assert set(params["fsdd"]) == {"freq_masks", "freq_width", "time_masks", "time_width", "shift"}


def test_a_classic_setting_of_another_modality_is_refused(capsys, tmp_path):
    status = main(["run", "--profile", "smoke", "--store", str(tmp_path / "s.sqlite"), "--tasks", "sst2",
                   "--methods", "classic", "--param", "classic.padding=2"])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1
    assert "classic.padding does not apply to task 'sst2'" in err and "dropout, noise_std" in err


def _write_wav(path: Path, samples: np.ndarray, rate: int = 8000, channels: int = 1) -> None:
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(channels)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(samples.astype("<i2").tobytes())


def test_bad_recordings_name_the_file(tmp_path):
    good = tmp_path / "0_jackson_0.wav"
    _write_wav(good, np.arange(800))
    assert read_wav(good).shape == (800,)
    cases = {"rate.wav": lambda p: _write_wav(p, np.arange(800), rate=16000),
             "stereo.wav": lambda p: _write_wav(p, np.arange(800), channels=2),
             "empty.wav": lambda p: p.write_bytes(b""),
             "noheader.wav": lambda p: p.write_bytes(b"not a wav file at all"),
             "truncated.wav": lambda p: p.write_bytes(good.read_bytes()[:200])}
    for name, make in cases.items():
        make(tmp_path / name)
        with pytest.raises(DataError, match=str(tmp_path / name).replace(".", r"\.")):
            read_wav(tmp_path / name)


def test_malformed_text_rows_name_the_file_and_line(tmp_path):
    tsv = tmp_path / "train.tsv"
    tsv.write_text("sentence\tlabel\ngood film \t1\nno label here\n")
    with pytest.raises(DataError, match=r"train\.tsv:3: malformed row"):
        read_glue_tsv(tsv, ("0", "1"))
    tsv.write_text("sentence\tlabel\ngood film \t7\n")
    with pytest.raises(DataError, match=r"train\.tsv:2: .*label in 0, 1"):
        read_glue_tsv(tsv, ("0", "1"))
    trec = tmp_path / "train.label"
    trec.write_bytes(b"NUM:dist How far ?\nWHAT:x Who ?\n")
    with pytest.raises(DataError, match=r"train\.label:2: malformed row"):
        read_trec(trec, ("ABBR", "DESC", "ENTY", "HUM", "LOC", "NUM"))
    trec.write_bytes(b"")
    with pytest.raises(DataError, match=r"train\.label: the file is empty"):
        read_trec(trec, ("NUM",))


def test_a_corrupted_recording_is_a_one_line_exit_2_with_no_cache_left(data_root, tmp_path):
    """A data root whose SHA256SUMS vouches for a broken WAV (so the parser, not the checksum, catches it)."""
    root = tmp_path / "data"
    recordings = root / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    lines = []
    for source in sorted((data_root / "fsdd" / "recordings").glob("*.wav"))[:60]:
        target = recordings / source.name
        target.symlink_to(source)
    broken = sorted(recordings.glob("*.wav"))[7]
    broken.unlink()
    broken.write_bytes(b"RIFF\x10\x00\x00\x00WAVEjunk")
    for path in sorted(recordings.glob("*.wav")):
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  fsdd/recordings/{path.name}\n")
    (root / "SHA256SUMS").write_text("".join(lines))
    cache = tmp_path / "cache"
    result = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--profile", "smoke", "--tasks", "fsdd", "--methods", "none",
         "--data-dir", str(root), "--store", str(tmp_path / "runs.sqlite"), "--no-progress"],
        cwd=REPO, capture_output=True, text=True, env={**os.environ, "AUGBENCH_CACHE": str(cache)}, timeout=300,
    )
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip().splitlines()
    assert len(message) == 1 and str(broken) in message[0] and "Traceback" not in result.stderr
    assert not cache.exists() or not any(cache.rglob("*.pt"))
