"""Bad input: one line on stderr naming the bad value and the choices, exit status 2, the store untouched."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from augbench.cli import main
from augbench.results.store import Store
from conftest import REPO


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def corrupted_root(data_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "corrupt"
    for rel in ["SHA256SUMS"] + [f"MNIST/raw/{n}" for n in
                                 ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz")]:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).symlink_to(data_root / rel)
    (root / "MNIST/raw/t10k-labels-idx1-ubyte.gz").write_bytes(b"\x1f\x8b not the labels")
    return root


BAD_RUNS = {
    "unknown task": (["--tasks", "mnsit"], ["unknown task 'mnsit'", "did you mean 'mnist'?", "cifar10, fsdd, mnist, sst2, trec"]),
    "unknown method": (["--methods", "clasic"], ["unknown method 'clasic'", "did you mean 'classic'?", "none"]),
    "fraction zero": (["--fractions", "0"], ["fraction 0 is outside (0, 1]"]),
    "fraction above one": (["--fractions", "0.5,1.5"], ["fraction 1.5 is outside (0, 1]"]),
    "fraction not a number": (["--fractions", "half"], ["bad fraction 'half'"]),
    "no seeds": (["--seeds", "0"], ["--seeds 0 is invalid", ">= 1"]),
    "unknown profile": (["--profile", "fast"], ["unknown profile 'fast'", "smoke, quick, full"]),
    "malformed param": (["--param", "classic.padding"], ["malformed --param 'classic.padding'", "OWNER.KEY=VALUE"]),
    "unknown param key": (["--param", "classic.pad=2"], ["unknown --param classic.pad", "padding, flip"]),
    "unknown param owner": (["--param", "nosuch.ratio=0.5"], ["unknown --param owner 'nosuch'", "train, robust, cifar10, fsdd, mnist, sst2, trec"]),
    "badly typed param": (["--param", "classic.padding=wide"], ["bad value 'wide' for --param classic.padding", "int"]),
    "invalid param value": (["--methods", "classic", "--param", "classic.flip=true", "--tasks", "mnist"],
                            ["classic.flip=true is invalid for task 'mnist'"]),
    "unknown device": (["--device", "tpu"], ["unknown device 'tpu'", "auto, cpu, cuda"]),
    "negative attack epsilon": (["--methods", "adversarial", "--param", "adversarial.eps=-0.1"],
                                ["adversarial.eps=-0.1 is invalid", ">= 0"]),
    "attack steps below one": (["--methods", "adversarial", "--param", "adversarial.steps=0"],
                               ["adversarial.steps=0 is invalid", ">= 1"]),
    "unknown attack": (["--methods", "adversarial", "--param", "adversarial.attack=cw"],
                       ["bad value 'cw' for --param adversarial.attack", "pgd|fgsm_rs"]),
    "negative evaluation epsilon": (["--param", "robust.eps=-1"], ["robust.eps=-1.0 is invalid", ">= 0"]),
    "evaluation epsilon beyond the image range": (["--param", "robust.eps=2"], ["robust.eps=2.0 is invalid for task cifar10", "at most 1", "standard radius is 0.0314"]),
    "evaluation steps below one": (["--param", "robust.pgd_steps=0"], ["robust.pgd_steps=0 is invalid", ">= 1"]),
    "unknown AutoAttack version": (["--param", "robust.autoattack=strong"], ["robust.autoattack=strong is invalid", "off, standard, fast"]),
    "word share zero": (["--tasks", "trec", "--param", "robust.word_share=0"], ["robust.word_share=0.0 is invalid", "(0, 1]"]),
    "word share above one": (["--tasks", "sst2", "--param", "robust.word_share=1.5"], ["robust.word_share=1.5 is invalid", "(0, 1]"]),
    "word share not a number": (["--tasks", "trec", "--param", "robust.word_share=most"], ["bad value 'most' for --param robust.word_share"]),
    "unknown word attack": (["--tasks", "trec", "--param", "robust.word_attack=textfooler"],
                            ["robust.word_attack=textfooler is invalid", "pwws, off"]),
    "word attack on a run without text": (["--tasks", "mnist,fsdd", "--param", "robust.word_share=0.3"],
                                          ["robust.word_share applies to the text tasks (sst2, trec)", "tasks: mnist, fsdd"]),
    "waveform loudness not below the peak": (["--tasks", "fsdd", "--param", "robust.wave_db=6"],
                                             ["robust.wave_db=6.0 is invalid", "[-100, 0)"]),
    "waveform loudness not a number": (["--tasks", "fsdd", "--param", "robust.wave_db=loud"],
                                       ["bad value 'loud' for --param robust.wave_db"]),
    "unknown waveform attack": (["--tasks", "fsdd", "--param", "robust.wave_attack=cw"],
                                ["robust.wave_attack=cw is invalid", "pgd, off"]),
    "waveform attack on a run without audio": (["--tasks", "mnist,trec", "--param", "robust.wave_db=-50"],
                                               ["robust.wave_db applies to the audio tasks (fsdd)", "tasks: mnist, trec"]),
    "unknown flag": (["--epochs", "3"], ["unrecognized arguments: --epochs 3"]),
    "param of a method not in the run": (["--methods", "none", "--param", "classic.padding=2"],
                                         ["--param classic.padding is for method 'classic', which is in no planned cell",
                                          "owners in this run: train, robust, cifar10, fsdd, mnist, sst2, trec, none"]),
    "param of a task not in the run": (["--tasks", "mnist", "--methods", "none", "--param", "fsdd.split=bogus"],
                                       ["--param fsdd.split is for task 'fsdd'", "owners in this run: train, robust, mnist, none"]),
    "train param always applies": (["--tasks", "mnist", "--methods", "none", "--param", "train.epochs=0"],
                                   ["train.epochs=0 is invalid"]),
}


@pytest.mark.parametrize("case", list(BAD_RUNS))
def test_bad_run_input_is_one_line_exit_2_and_leaves_the_store_alone(case, existing_store, capsys):
    args, expected = BAD_RUNS[case]
    before = digest(existing_store)
    status = main(["run", "--profile", "smoke", "--store", str(existing_store), "--no-progress", *args])
    err = capsys.readouterr().err
    assert status == 2
    assert err.count("\n") == 1 and err.startswith("augbench: error: "), err
    for text in expected:
        assert text in err
    assert "Traceback" not in err
    assert digest(existing_store) == before


def test_missing_data_files_name_the_root_the_files_and_the_variable(tmp_path, existing_store, capsys):
    empty = tmp_path / "empty"
    empty.mkdir()
    before = digest(existing_store)
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--data-dir", str(empty), "--store", str(existing_store)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert str(empty) in err and "t10k-labels-idx1-ubyte.gz" in err and "AUGBENCH_DATA" in err
    assert digest(existing_store) == before


def test_an_unset_data_root_says_how_to_set_it(monkeypatch, existing_store, capsys):
    monkeypatch.delenv("AUGBENCH_DATA", raising=False)
    assert main(["run", "--profile", "smoke", "--store", str(existing_store)]) == 2
    assert "AUGBENCH_DATA" in capsys.readouterr().err


def test_a_checksum_mismatch_is_refused(data_root, tmp_path, existing_store, capsys):
    root = corrupted_root(data_root, tmp_path)
    before = digest(existing_store)
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--data-dir", str(root), "--store", str(existing_store)])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1
    assert "checksum mismatch" in err and "t10k-labels-idx1-ubyte.gz" in err
    assert digest(existing_store) == before


def test_an_unwritable_store_path_is_refused(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--store", str(blocker / "runs.sqlite")])
    err = capsys.readouterr().err
    assert status == 2 and err.count("\n") == 1 and "cannot use store" in err and "runs.sqlite" in err


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only files")
def test_a_read_only_store_is_refused(existing_store, capsys):
    existing_store.chmod(0o444)
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--store", str(existing_store)]) == 2
    assert "cannot write store" in capsys.readouterr().err


def test_a_file_that_is_not_a_store_is_refused_and_kept(tmp_path, capsys):
    other = tmp_path / "notes.sqlite"
    other.write_text("hello")
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--store", str(other)]) == 2
    assert "cannot use store" in capsys.readouterr().err
    assert other.read_text() == "hello"


def test_python_m_bench_reports_bad_input_without_a_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bench", "run", "--tasks", "mnsit", "--store", str(tmp_path / "s.sqlite")],
        cwd=REPO, capture_output=True, text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "did you mean 'mnist'?" in result.stderr and "Traceback" not in result.stderr


def test_list_shows_tasks_methods_and_profiles(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    for name in ("mnist", "cifar10", "none", "classic", "smoke", "quick", "full"):
        assert name in out


def test_help_ends_with_examples(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run", "--help"])
    assert info.value.code == 0
    assert "examples:" in capsys.readouterr().out


def test_report_without_a_store_is_refused(tmp_path, capsys):
    assert main(["report", "--store", str(tmp_path / "none.sqlite"), "--output", str(tmp_path / "lb.md")]) == 2
    assert "no store at" in capsys.readouterr().err
    assert not (tmp_path / "none.sqlite").exists()


def test_download_leaves_present_files_alone(tmp_path, capsys):
    # The data root already holds the files: --download must not touch the network or the files.
    path = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none", "--download",
                 "--store", str(path), "--no-progress"]) == 0
    assert "1 ran" in capsys.readouterr().out


NO_STORE_RUNS = {
    "bad param value": ["--tasks", "fsdd", "--param", "fsdd.split=bogus"],
    "param of an absent owner": ["--methods", "none", "--param", "classic.padding=2"],
    "missing data root": ["--tasks", "mnist", "--data-dir", "{tmp}/no-such-root"],
    "unknown method": ["--methods", "clasic"],
    "unknown task": ["--tasks", "mnsit"],
}


@pytest.mark.parametrize("case", list(NO_STORE_RUNS))
def test_a_failed_plan_creates_no_store_file(case, tmp_path, capsys):
    """Planning (every check of the input) runs before the store is opened, so a typo leaves no empty store."""
    store = tmp_path / "results" / "runs.sqlite"
    args = [a.replace("{tmp}", str(tmp_path)) for a in NO_STORE_RUNS[case]]
    assert main(["run", "--profile", "smoke", "--store", str(store), "--no-progress", *args]) == 2
    assert capsys.readouterr().err.startswith("augbench: error: ")
    assert not store.exists() and not store.parent.exists()


def test_list_params_shows_type_default_and_description(capsys):
    assert main(["list", "--params"]) == 0
    lines = capsys.readouterr().out.splitlines()
    (row,) = [line for line in lines if line.startswith("adversarial.eps_warmup ")]
    assert row.split()[1:3] == ["int", "0"] and "ramps linearly up to eps" in row
    names = {line.split()[0] for line in lines[1:]}
    assert {"train.epochs", "robust.pgd_steps", "fsdd.split", "cifar10.source", "classic.padding"} <= names
    assert "wgan_gp.ratio" in names  # inherited from GenerativeParams, with its comment
    assert "share of each training batch" in next(line for line in lines if line.startswith("wgan_gp.ratio "))


@pytest.mark.parametrize("args,expected", [
    (["list", "--params", "eps_warmup"], {"adversarial.eps_warmup"}),
    (["list", "--params", "adversarial.eps*"], {"adversarial.eps", "adversarial.eps_warmup"}),
    (["list", "fsdd", "--params"], {"fsdd.split", "fsdd.mels"}),
])
def test_list_params_pattern_filters_owner_key(args, expected, capsys):
    assert main(args) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["OWNER.KEY", "TYPE", "DEFAULT"]
    assert {line.split()[0] for line in lines[1:]} == expected


def test_list_params_of_robust_says_where_the_defaults_that_ran_are(capsys):
    """robust.*'s dataclass defaults are not what quick measures images with: the listing says so."""
    assert main(["list", "--params", "robust.autoattack"]) == 0
    out = capsys.readouterr().out
    assert "robust.autoattack" in out and "the image tasks theirs" in out and "docs/metrics.md#robustness" in out


def test_list_params_without_a_match_names_the_owners(capsys):
    assert main(["list", "--params", "nosuch"]) == 0
    assert "no parameter matches 'nosuch'; owners: train, robust," in capsys.readouterr().out


def test_version_prints_the_package_version(capsys):
    from importlib.metadata import version

    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0
    assert capsys.readouterr().out.strip() == f"augbench {version('augbench')}"


def test_version_is_written_in_one_place():
    """The package, the CLI and the installed metadata name the version of augbench/_version.py; pyproject.toml
    reads it from there (dynamic) instead of writing it a second time."""
    import tomllib
    from importlib.metadata import version

    import augbench
    from augbench._version import __version__
    from augbench.cli import package_version

    assert augbench.__version__ == package_version() == version("augbench") == __version__
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "augbench._version.__version__"}
