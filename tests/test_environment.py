"""The environment check against requirements.lock: it passes on the locked venv, and a package at another
version, or a compiled library that does not load (torchaudio 2.11.1 next to torch 2.11.0), is one line and
exit status 2 before anything runs. The lock pins every package the venv holds."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from augbench.core import environment as env

REPO = Path(__file__).resolve().parent.parent
LOCK = REPO / "requirements.lock"
locked_venv = pytest.mark.skipif(not env.is_locked_venv(), reason="not run from the venv `make venv` installed from the lock")


def augbench(*argv: str, shadow: Path | None = None, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """`python -m bench ARGV` in a subprocess; `shadow` goes first on sys.path (a package there wins)."""
    environ = dict(os.environ)
    if shadow is not None:
        environ["PYTHONPATH"] = os.pathsep.join([str(shadow), str(REPO)])
    return subprocess.run([sys.executable, "-m", "bench", *argv], cwd=cwd, env=environ, capture_output=True,
                          text=True, timeout=300)


def fake_distribution(root: Path, name: str, version: str, module_source: str | None = None) -> Path:
    """A distribution NAME==VERSION on a directory that goes first on sys.path: importlib.metadata (and so
    the check) finds it before the venv's, as it would a package installed over the locked one."""
    info = root / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    if module_source is not None:
        package = root / name
        package.mkdir()
        (package / "__init__.py").write_text(module_source)
    return root


def test_the_lock_pins_the_torch_trio_exactly_with_a_hash_on_every_package():
    pins = env.read_lock(LOCK)
    assert (pins["torch"], pins["torchvision"], pins["torchaudio"]) == ("2.11.0", "0.26.0", "2.11.0")
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text())  # one block per requirement (after the header)
    requirements = [block for block in blocks if "==" in block.split("\n")[0]]
    assert len(requirements) == len(pins)
    assert [block.split("==")[0] for block in requirements if "--hash=sha256:" not in block] == []


def test_same_version_ignores_only_a_local_tag_the_lock_does_not_name():
    assert env.same_version("2.11.0+cu130", "2.11.0")
    assert env.same_version("2.11.0", "2.11.0")
    assert not env.same_version("2.11.1", "2.11.0")
    assert not env.same_version("2.11.0+cpu", "2.11.0+cu130")


def test_differences_name_the_package_the_version_found_and_the_pin():
    found = env.differences({"torchaudio": "2.11.0", "wn": "0.0.23", "scipy": "1.17.1"},
                            {"torchaudio": "2.11.1", "scipy": "1.17.1"})
    assert [str(d) for d in found] == ["torchaudio 2.11.1 (lock: 2.11.0)", "wn not installed (lock: 0.0.23)"]


@locked_venv
def test_the_check_passes_on_the_locked_venv():
    result = augbench("env", "--strict")
    assert result.returncode == 0, result.stderr
    count = len(env.read_lock(LOCK))
    assert result.stdout.strip() == (f"environment: locked venv; all {count} packages match requirements.lock "
                                      f"(torch {env.installed_versions()['torch']}, torchvision "
                                      f"{env.installed_versions()['torchvision']}, torchaudio {env.installed_versions()['torchaudio']})")


@locked_venv
def test_the_venv_holds_nothing_the_lock_does_not_pin():
    """`pip freeze` of the venv: every package but the project itself is in the lock, at the lock's version."""
    freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--disable-pip-version-check"], capture_output=True,
                            text=True, timeout=120, check=True).stdout.splitlines()
    pins = env.read_lock(LOCK)
    installed = {}
    for line in freeze:
        if line.startswith(("-e ", "#")) or " @ " in line and env.normalize(line.split(" @ ")[0]) == "augbench":
            continue
        name, _, version = line.partition("==")
        installed[env.normalize(name)] = version
    assert len(installed) >= len(pins) - 2  # pip freeze leaves out pip and setuptools themselves
    outside = {name: version for name, version in installed.items()
               if name not in pins or not env.same_version(version, pins[name])}
    assert outside == {}


def test_a_package_at_another_version_is_one_line_and_exit_2(tmp_path):
    shadow = fake_distribution(tmp_path, "tabulate", "0.0.1")
    result = augbench("env", "--strict", shadow=shadow)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr
    pinned = env.read_lock(LOCK)["tabulate"]
    assert f"tabulate 0.0.1 (lock: {pinned})" in lines[0] and "1 of" in lines[0]


def test_an_unlocked_environment_reports_the_versions_it_found_and_goes_on(tmp_path):
    """The GPU path (`make bench-full NOVENV=1 PY=python3`): a preinstalled torch stack that is not the lock's."""
    shadow = fake_distribution(tmp_path, "tabulate", "0.0.1")
    result = augbench("env", "--report", shadow=shadow)
    assert result.returncode == 0, result.stderr
    assert "unlocked environment" in result.stdout and "tabulate 0.0.1" in result.stdout


@locked_venv
def test_a_sweep_in_the_locked_venv_stops_before_creating_a_store(tmp_path):
    shadow = fake_distribution(tmp_path / "shadow", "tabulate", "0.0.1")
    store = tmp_path / "runs.sqlite"
    result = augbench("run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none", "--store", str(store),
                      "--no-progress", shadow=shadow)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "tabulate 0.0.1" in result.stderr and not store.exists()


def test_a_torchaudio_that_does_not_load_is_one_line_in_every_mode(tmp_path):
    """The break this check exists for: torchaudio 2.11.1 resolved next to torch 2.11.0."""
    broken = ('raise OSError("libtorchaudio.abi3.so: undefined symbol: torch_exception_get_what_without_backtrace")\n')
    shadow = fake_distribution(tmp_path, "torchaudio", "2.11.1", broken)
    for mode in ("--strict", "--report"):
        result = augbench("env", mode, shadow=shadow)
        assert result.returncode == 2 and "Traceback" not in result.stderr, result.stderr
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("augbench: error: environment: torchaudio 2.11.1 does not load (OSError: ")
        assert "undefined symbol" in line and "requirements.lock pins torchaudio 2.11.0" in line


def test_a_lock_that_pins_nothing_is_one_line_and_exit_2(tmp_path):
    empty = tmp_path / "requirements.lock"
    empty.write_text("# nothing here\n")
    result = augbench("env", "--lock", str(empty))
    assert result.returncode == 2 and result.stderr.count("\n") == 1 and "pins no package" in result.stderr


def test_the_run_record_names_the_libraries_that_compute_numbers():
    import json

    fields = env.run_provenance()
    versions = json.loads(fields["library_versions"])
    assert set(versions) == set(env.NUMBER_LIBRARIES)
    assert versions["scikit-learn"] == env.installed_versions()["scikit-learn"]
    matches = not env.differences(env.read_lock(LOCK), env.installed_versions())
    assert (fields["lock_digest"] == env.lock_digest(LOCK)) if matches else fields["lock_digest"] is None


def test_text_features_do_not_depend_on_the_blas_thread_count(sources):
    """Without the pin inside tfidf_svd_features, 1 and 2 OpenBLAS threads give features that differ in the
    last bits (and TREC's accuracy by 0.8 points); with it they are the same."""
    from threadpoolctl import threadpool_limits

    from augbench.tasks import TASKS
    from augbench.tasks.base import _cached_arrays
    from augbench.tasks.text import _fit_tfidf_svd, tfidf_svd_features

    def unpinned(fit_texts, targets, dims, min_df, seed):  # the same fit without the one-thread pin
        return {"fit": _fit_tfidf_svd(fit_texts, dims, min_df, seed)[3]}

    texts = _cached_arrays(TASKS.get("trec")(), sources["trec"])[0][:1000]

    def features(function, threads):
        with threadpool_limits(limits=threads, user_api="blas"):
            return function(texts, {"fit": texts}, 256, 2, 0)["fit"]

    assert np.array_equal(features(tfidf_svd_features, 1), features(tfidf_svd_features, 2))
    if (os.cpu_count() or 1) >= 2:  # the pin matters here: the unpinned featurizer shows the dependence it removes
        assert not np.array_equal(features(unpinned, 1), features(unpinned, 2))
