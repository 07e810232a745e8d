"""A user's folder as a task (issue 38, point 1): `--tasks images:FOLDER`, `text:FILE.csv`, `audio:FOLDER`, built here
from the shared data the way a user's own data would look (studies/walkthrough/make_folders.py), run through the
same sweep as the built-in tasks, and every bad folder refused in one line before a store exists."""

from __future__ import annotations

import contextlib
import importlib.util
import io
import pickle
import shutil
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from augbench.core.errors import DataError, UsageError
from augbench.results.store import Store
from augbench.runner.sweep import SweepSpec, plan
from augbench.tasks import TASKS
from conftest import REPO

_spec = importlib.util.spec_from_file_location("make_folders", REPO / "studies/walkthrough/make_folders.py")
make_folders = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_folders)


@pytest.fixture(scope="module")
def folders(tmp_path_factory, data_root) -> Path:
    """Three digits as PNG files (30 each), three spoken digits (12 recordings each), a 3-class TREC CSV."""
    root = tmp_path_factory.mktemp("own-data")
    make_folders.make_digits(data_root, root / "digits", per_class=30, classes=3)
    make_folders.make_spoken(data_root, root / "spoken", per_class=12, classes=3)
    make_folders.make_questions(data_root, root / "questions.csv", count=300, classes=("DESC", "ENTY", "HUM"))
    return root


@pytest.fixture(autouse=True)
def registry_as_it_was():
    """Tasks declared from folders are this process's state: each test leaves the registry as it found it."""
    before = dict(TASKS._entries)
    yield
    TASKS._entries.clear()
    TASKS._entries.update(before)


def cli(*argv: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "augbench", *argv], cwd=cwd, capture_output=True, text=True)


def spec(tasks: str, methods: str = "none", **overrides: dict[str, str]) -> SweepSpec:
    import torch

    return SweepSpec(tasks=TASKS.resolve(tasks), methods=[m for m in methods.split(",")], seeds=[0], fractions=[1.0],
                     profile="smoke", device=torch.device("cpu"), data_dir=None, overrides=overrides)


def test_an_image_folder_trains_a_classifier_that_reads_its_digits(folders, tmp_path):
    store = tmp_path / "runs.sqlite"
    done = cli("run", "--profile", "smoke", "--tasks", f"images:{folders / 'digits'}", "--methods", "none,classic",
               "--param", "train.epochs=15", "--param", "train.batch_size=16", "--store", str(store), "--no-progress")
    assert done.returncode == 0, done.stderr
    with Store(store) as opened:
        rows = {r["method"]: r for r in opened.records()}
    assert set(rows) == {"none", "classic"}
    for row in rows.values():
        assert row["status"] == "ok" and row["task"] == "images:digits" and row["data_variant"] == "images-folder"
        # 90 digits: 18 test (a fifth of each class), 9 validation, 63 training; chance is a third
        assert (row["n_train"], row["n_test"]) == (63, 18)
        assert row["clean_acc"] > 0.8 and row["pgd_acc"] <= row["fgsm_acc"] + 0.05 <= row["clean_acc"] + 0.1
    listed = cli("report", "--store", str(store), "--output", str(tmp_path / "board.md"), "--no-plots")
    assert listed.returncode == 0, listed.stderr
    assert "## images:digits (images-folder)" in (tmp_path / "board.md").read_text()


def test_grey_pngs_make_a_one_channel_task_and_the_stated_size_is_a_parameter(folders):
    task = TASKS.get(TASKS.resolve(f"images:{folders / 'digits'}")[0])()
    assert task.input_shape == (1, 32, 32) and task.num_classes == 3 and task.class_names == ("0", "1", "2")
    assert TASKS.resolve("images:digits") == ["images:digits"]  # the declared name, not a path "digits"
    x_train, y_train, x_test, y_test = task.read_arrays(task.source(Path(".")))
    assert x_train.shape == (72, 1, 32, 32) and x_train.dtype == np.uint8 and np.bincount(y_test).tolist() == [6, 6, 6]
    assert x_train[:, :, 2:-2, 2:-2].max() == 255  # digits, not a blank resize
    smaller = plan(spec(f"images:{folders / 'digits'}", **{"images:digits": {"size": "16", "channels": "3"}}))[0]
    assert smaller.task.input_shape == (3, 16, 16)
    assert smaller.cell.run_id != plan(spec(f"images:{folders / 'digits'}"))[0].cell.run_id


def test_a_csv_of_image_paths_is_the_same_task_as_the_folder(folders, tmp_path):
    listing = tmp_path / "labels.csv"
    files = sorted((folders / "digits").rglob("*.png"))
    shutil.copytree(folders / "digits", tmp_path / "more_digits")
    listing.write_text("path,label\n" + "".join(f"more_{f.relative_to(folders)},{f.parent.name}\n" for f in files))
    by_csv = TASKS.get(TASKS.resolve(f"images:{listing}")[0])()
    assert by_csv.name == "images:labels" and by_csv.num_classes == 3 and by_csv.input_shape == (1, 32, 32)
    x_train, y_train, x_test, y_test = by_csv.read_arrays(by_csv.source(Path(".")))
    by_folder = TASKS.get(TASKS.resolve(f"images:{folders / 'digits'}")[0])()
    assert np.array_equal(x_test, by_folder.read_arrays(by_folder.source(Path(".")))[2])
    more = TASKS.get(TASKS.resolve(f"images:{tmp_path / 'more_digits'}")[0])
    assert len(more().listing()[0]) == 90
    (tmp_path / "more_digits" / "2" / "extra.png").write_bytes(files[0].read_bytes())  # added in the same session
    assert len(more().listing()[0]) == 91


def test_the_data_s_own_train_and_test_split_is_kept(folders, tmp_path):
    """FOLDER/train/CLASS and FOLDER/test/CLASS, or a CSV's split column: the test split is the data's own."""
    own = tmp_path / "own_split"
    for label in ("0", "1", "2"):
        files = sorted((folders / "digits" / label).iterdir())
        for split, chosen in (("test", files[:5]), ("train", files[5:])):
            (own / split / label).mkdir(parents=True)
            for f in chosen:
                shutil.copy(f, own / split / label / f.name)
    task = TASKS.get(TASKS.resolve(f"images:{own}")[0])()
    x_train, y_train, x_test, y_test = task.read_arrays(task.source(Path(".")))
    assert (len(y_train), len(y_test)) == (75, 15) and np.bincount(y_test).tolist() == [5, 5, 5]
    expected = np.stack([task.decode(sorted((own / "test" / label).iterdir())) for label in ("0", "1", "2")]).reshape(15, 1, 32, 32)
    assert np.array_equal(x_test, expected)
    lines = (folders / "questions.csv").read_text().splitlines()
    marked = tmp_path / "marked.csv"
    marked.write_text("\n".join([lines[0] + ",split", *(f"{line},{'test' if i % 4 == 0 else 'train'}"
                                                        for i, line in enumerate(lines[1:]))]) + "\n")
    text = TASKS.get(TASKS.resolve(f"text:{marked}")[0])()
    assert len(text.read_arrays(text.source(Path(".")))[3]) == 75  # every fourth of 300 rows
    bad = tmp_path / "bad_split.csv"
    bad.write_text(marked.read_text().replace(",test\n", ",holdout\n", 1))
    _refused(tmp_path, f"text:{bad}", f"{bad}:2: split 'holdout' is invalid; valid splits: train, test")
    shutil.rmtree(own / "test" / "2")
    _refused(tmp_path, f"images:{own}", "class '2' has 25 training and 0 test images", "at least 8 in train and 1 in test")


def test_the_split_is_fixed_by_its_seed_and_the_checksum_follows_the_data_not_its_path(folders, tmp_path):
    moved = tmp_path / "elsewhere" / "digits"
    shutil.copytree(folders / "digits", moved)
    here = plan(spec(f"images:{folders / 'digits'}"))[0]
    with pytest.raises(UsageError, match="images:digits names two tasks"):  # one stem, two paths, one run
        TASKS.resolve(f"images:{moved}")
    TASKS._entries.pop("images:digits")  # in a new process the same stem at another path is declared afresh
    there = plan(spec(f"images:{moved}"))[0]
    assert here.cell.run_id == there.cell.run_id and here.cell.data_checksum == there.cell.data_checksum
    reseeded = plan(spec(f"images:{moved}", **{"images:digits": {"split_seed": "1"}}))[0]
    assert reseeded.cell.run_id != there.cell.run_id
    assert not np.array_equal(reseeded.task.read_arrays(reseeded.source)[2], there.task.read_arrays(there.source)[2])
    victim = next((moved / "1").iterdir())
    victim.write_bytes(next((moved / "2").iterdir()).read_bytes())  # one file's content changed
    TASKS._entries.pop("images:digits")
    assert plan(spec(f"images:{moved}"))[0].cell.data_checksum != there.cell.data_checksum


def test_a_worker_process_rebuilds_the_task_from_its_path(folders):
    task = TASKS.get(TASKS.resolve(f"audio:{folders / 'spoken'}")[0])()
    again = pickle.loads(pickle.dumps(task))
    assert type(again).source_path == str((folders / "spoken").resolve()) and again.name == "audio:spoken"
    assert again.num_classes == 3 and again.modality == "audio" and again.raw_kind == "waveform"


def test_a_csv_of_sentences_and_a_folder_of_recordings_run_with_their_real_input_attacks(folders, tmp_path):
    store = tmp_path / "runs.sqlite"
    done = cli("run", "--profile", "smoke", "--tasks", f"text:{folders / 'questions.csv'},audio:{folders / 'spoken'}",
               "--methods", "none", "--store", str(store), "--no-progress", "--workers", "2")
    assert done.returncode == 0, done.stderr
    with Store(store) as opened:
        rows = {r["task"]: r for r in opened.records()}
    assert set(rows) == {"text:questions", "audio:spoken"}
    assert rows["text:questions"]["word_acc"] is not None and rows["text:questions"]["n_test"] == 60
    assert rows["audio:spoken"]["wave_acc"] is not None and rows["audio:spoken"]["n_test"] == 7  # round(0.2 x 36)


def test_recordings_at_another_rate_or_in_stereo_are_converted_with_a_note(folders, tmp_path):
    spoken = tmp_path / "spoken"
    shutil.copytree(folders / "spoken", spoken)
    source = next((spoken / "0").iterdir())
    with wave.open(str(source), "rb") as handle:
        samples = np.frombuffer(handle.readframes(handle.getnframes()), dtype="<i2")
    with wave.open(str(spoken / "0" / "stereo-16k.wav"), "wb") as handle:
        handle.setnchannels(2), handle.setsampwidth(2), handle.setframerate(16000)
        handle.writeframes(np.repeat(np.repeat(samples, 2), 2).astype("<i2").tobytes())  # twice the rate, two channels
    done = cli("run", "--profile", "smoke", "--tasks", f"audio:{spoken}", "--methods", "none",
               "--store", str(tmp_path / "runs.sqlite"), "--no-progress")
    assert done.returncode == 0, done.stderr
    assert ("note: audio:" in done.stderr and "1 recording at 16000 Hz resampled to 8000 Hz" in done.stderr
            and "1 recording with several channels mixed down to mono" in done.stderr)


def _refused(tmp_path: Path, task: str, *expected: str, in_a_process: bool = False) -> None:
    """`augbench run --tasks TASK` exits 2 with one line holding `expected`, and no store appears. In this process
    (the CLI's main, as the console script calls it) unless `in_a_process`: a fresh interpreter costs seconds."""
    store = tmp_path / "never.sqlite"
    argv = ["run", "--profile", "smoke", "--tasks", task, "--methods", "none", "--store", str(store), "--no-progress"]
    if in_a_process:
        done = cli(*argv)
        status, stderr = done.returncode, done.stderr
    else:
        from augbench.cli import main

        with contextlib.redirect_stderr(io.StringIO()) as captured:
            status = main(argv)
        stderr = captured.getvalue()
    assert status == 2, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in stderr, stderr
    for text in expected:
        assert text in lines[0], lines[0]
    assert not store.exists()


def _copy(source: Path, target: Path) -> Path:
    """A copy of `source` at `target`, whose name is the task's stem (one stem per folder within a process)."""
    shutil.copytree(source, target)
    return target


def test_bad_folders_are_one_line_naming_the_file_and_nothing_is_stored(folders, tmp_path):
    empty = tmp_path / "empty"
    empty.mkdir()
    _refused(tmp_path, f"images:{empty}", "no class sub-folders with image files", in_a_process=True)
    _refused(tmp_path, f"images:{tmp_path / 'missing'}", "no such folder or CSV file")
    one = _copy(folders / "digits", tmp_path / "one")
    shutil.rmtree(one / "1"), shutil.rmtree(one / "2")
    _refused(tmp_path, f"images:{one}", "1 class found (0)", "at least 2")
    few = _copy(folders / "digits", tmp_path / "few")
    for extra in sorted((few / "2").iterdir())[4:]:
        extra.unlink()
    _refused(tmp_path, f"images:{few}", "class '2' has 4 images", "at least 10")
    stray = _copy(folders / "digits", tmp_path / "stray")
    (stray / "1" / "notes.txt").write_text("not an image")
    _refused(tmp_path, f"images:{stray}", f"{stray / '1' / 'notes.txt'}: not an image file")
    broken = _copy(folders / "digits", tmp_path / "broken")
    (broken / "0" / "truncated.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)
    _refused(tmp_path, f"images:{broken}", f"{broken / '0' / 'truncated.png'}: not an image Pillow can read")
    (stray / "1" / "notes.txt").unlink()
    (stray / ".DS_Store").write_text("hidden files are skipped")
    assert plan(spec(f"images:{stray}"))  # the stray file gone, the folder plans


def test_bad_csvs_and_recordings_are_one_line_naming_the_file_and_line(folders, tmp_path):
    lines = (folders / "questions.csv").read_text().splitlines()
    missing = tmp_path / "missing-label.csv"
    missing.write_text("\n".join([*lines[:5], lines[5].rsplit(",", 1)[0] + ",", *lines[6:]]) + "\n")
    _refused(tmp_path, f"text:{missing}", f"{missing}:6: the 'label' field is empty")
    renamed = tmp_path / "renamed.csv"
    renamed.write_text("\n".join(["text,category", *lines[1:]]) + "\n")
    _refused(tmp_path, f"text:{renamed}", f"{renamed}: no column 'label'", "'text', 'category'")
    done = cli("run", "--profile", "smoke", "--tasks", f"text:{renamed}", "--param", "text:renamed.label_column=category",
               "--methods", "none", "--store", str(tmp_path / "ok.sqlite"), "--no-progress")
    assert done.returncode == 0, done.stderr  # the column named by a parameter
    spoken = _copy(folders / "spoken", tmp_path / "spoken")
    (spoken / "1" / "noise.wav").write_bytes(b"RIFF\0\0\0\0WAVEfmt ")
    _refused(tmp_path, f"audio:{spoken}", f"{spoken / '1' / 'noise.wav'}: not a PCM WAV file")


def test_the_registry_lists_the_families_and_reports_read_members_it_never_declared():
    listed = cli("list")
    assert listed.returncode == 0 and "images:FOLDER or images:FILE.csv" in listed.stdout and "audio:FOLDER" in listed.stdout
    scheme = TASKS.get("images:someone_elses")  # a row of a store made on another machine
    assert scheme.modality == "image" and scheme.name == "images"
    with pytest.raises(UsageError, match=r"unknown task 'imgs:x'.*images:FOLDER or images:FILE.csv"):
        TASKS.resolve("imgs:x")
    with pytest.raises(UsageError, match="images.size=4 is invalid"):
        TASKS.get("images:any").Params(size=4)
    _, member = TASKS.get("images:any").for_argument(str(REPO / "README.md"))
    with pytest.raises(DataError, match="README.md: no column 'path'"):
        member()  # a file that is no CSV of path,label
