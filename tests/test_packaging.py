"""The distribution (issue 38, point 4): the project builds a wheel that installs the CLI and the Python API under
the one top-level name `augbench`, with one version written in one place (augbench/_version.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from augbench._version import __version__
from conftest import REPO


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel built from the checkout's tracked files (a copy: a build writes build/ and *.egg-info beside them)."""
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    source = tmp_path_factory.mktemp("source")
    for name in filter(None, (item.decode() for item in tracked)):
        if (REPO / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, source / name)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                           "--disable-pip-version-check", str(source), "-w", str(out)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    (built,) = out.glob("*.whl")
    return built


def test_the_wheel_claims_only_the_augbench_name_and_names_one_version(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"augbench", f"augbench-{__version__}.dist-info"}
    assert wheel.name == f"augbench-{__version__}-py3-none-any.whl"
    archive = zipfile.ZipFile(wheel)
    meta = archive.read(f"augbench-{__version__}.dist-info/METADATA").decode()
    assert f"\nVersion: {__version__}\n" in meta
    assert archive.read(f"augbench-{__version__}.dist-info/top_level.txt").decode().split() == ["augbench"]
    assert "augbench = augbench.cli:main" in archive.read(f"augbench-{__version__}.dist-info/entry_points.txt").decode()
    # what the code reads besides Python: CIFAR-10-C's frost textures (augbench/transforms/cifar10_c.py)
    assert "augbench/transforms/assets/cifar10_c_frost/frost1.png" in names
    assert not [name for name in names if name.startswith(("bench/", "methods/", "tasks/", "tests/", "studies/"))]


def test_the_installed_wheel_runs_the_cli_and_the_api_away_from_the_checkout(wheel, tmp_path):
    target = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet", "--disable-pip-version-check",
                           "--target", str(target), str(wheel)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted(["augbench", f"augbench-{__version__}.dist-info", "bin"])
    away = tmp_path / "elsewhere"
    away.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}  # before the checkout's editable install on the path
    version = subprocess.run([str(target / "bin" / "augbench"), "--version"], cwd=away, env=env, capture_output=True,
                             text=True)
    assert version.returncode == 0 and version.stdout.strip() == f"augbench {__version__}", version.stderr
    listed = subprocess.run([str(target / "bin" / "augbench"), "list"], cwd=away, env=env, capture_output=True, text=True)
    assert listed.returncode == 0 and "mnist" in listed.stdout and "images:FOLDER" in listed.stdout, listed.stderr
    code = ("import augbench, importlib.util as u; print(augbench.__file__); print(augbench.run.__module__, "
            "augbench.__version__); print([m for m in ('bench', 'methods', 'tasks') if u.find_spec(m)])")
    api = subprocess.run([sys.executable, "-c", code], cwd=away, env=env, capture_output=True, text=True)
    assert api.returncode == 0, api.stderr
    where, module, names = api.stdout.strip().splitlines()
    assert Path(where).is_relative_to(target) and module == f"augbench.api {__version__}" and names == "[]"
