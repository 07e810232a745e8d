"""Methods and tasks from outside the project: a small plugin distribution built in a temporary folder (found by
importlib.metadata on sys.path, as an installed package is), a local file loaded with --include, and broken ones."""

from __future__ import annotations

import json
import sys
import textwrap

import pytest

import augbench.runner.plugins as plugins
from augbench.cli import main
from augbench.results.export import read_rows
from augbench.methods import METHODS
from augbench.tasks import TASKS

FLIPPER = '''
"""A plugin method for the test: every image flipped left-right (a real augmentation, not a stub)."""
import torch
from augbench.methods.base import Method


class Flipper(Method):
    """flips every image left-right"""

    modalities = ("image",)

    def augment(self, x, y, model):
        return torch.flip(x, dims=[-1]), y
'''


@pytest.fixture
def clean_registries(monkeypatch):
    """Each test starts from the built-in names, with the plugin loader's state reset, and leaves them so."""
    saved = {registry: dict(registry._entries) for registry in (METHODS, TASKS)}
    for name in [m for m in sys.modules if m == "myplug" or m.startswith("augbench_include_")]:
        monkeypatch.delitem(sys.modules, name)  # each test imports its own version of the plugin
    monkeypatch.setattr(plugins, "_loaded_groups", False)
    monkeypatch.setattr(plugins, "_included", set())
    monkeypatch.setenv(plugins.INCLUDE_ENV, "")  # restored (unset) after the test, whatever load_plugins wrote
    yield
    sys.modules.pop("myplug", None)
    for registry, entries in saved.items():
        registry._entries.clear()
        registry._entries.update(entries)


def distribution(root, entry_points: str, module: str = FLIPPER) -> None:
    """An installed-looking distribution `myplug 0.1` under `root`: its package and its .dist-info."""
    (root / "myplug").mkdir()
    (root / "myplug" / "__init__.py").write_text(module)
    info = root / "myplug-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: myplug\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(entry_points)


def test_a_plugin_method_runs_through_a_sweep_beside_a_built_in_one(tmp_path, monkeypatch, capsys, clean_registries):
    site = tmp_path / "site"
    site.mkdir()
    distribution(site, "[augbench.methods]\nflipper = myplug:Flipper\n")
    monkeypatch.syspath_prepend(str(site))
    assert main(["list", "flip*"]) == 0
    listed = capsys.readouterr().out
    assert "flipper" in listed and "myplug:Flipper  [plugin: myplug 0.1 (entry point)]" in listed
    store = tmp_path / "runs.sqlite"
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none,flipper", "--store", str(store),
                   "--no-progress"])
    assert status == 0, capsys.readouterr().err
    export = tmp_path / "rows.json"
    assert main(["export", "--store", str(store), "--output", str(export)]) == 0
    rows = read_rows(export).set_index("method")
    assert set(rows.index) == {"none", "flipper"} and (rows["status"] == "ok").all()
    versions = rows.loc["flipper", "library_versions"]
    versions = json.loads(versions) if isinstance(versions, str) else versions
    assert versions["plugin flipper"] == "myplug 0.1 (entry point)"  # the row names the code that made it
    assert "plugin flipper" not in (json.loads(rows.loc["none", "library_versions"])
                                    if isinstance(rows.loc["none", "library_versions"], str) else rows.loc["none", "library_versions"])
    # a real augmentation: the flipped digits train a different network than none's
    assert rows.loc["flipper", "clean_acc"] != rows.loc["none", "clean_acc"]


def test_a_local_file_registers_with_the_decorator_and_lists_where_it_came_from(tmp_path, capsys, clean_registries):
    file = tmp_path / "mine.py"
    file.write_text(FLIPPER.replace("class Flipper", "from augbench.runner.plugins import register_method\n\n\n"
                                                     "@register_method('mirror')\nclass Flipper"))
    assert main(["--include", str(file), "list", "mirror"]) == 0
    out = capsys.readouterr().out
    assert "mirror" in out and "flips every image left-right  [plugin: mine.py (--include)]" in out


@pytest.mark.parametrize("entry, message", [
    ("broken = myplug_missing:Nothing", "plugin myplug 0.1 (entry point): method 'broken' failed to load: ModuleNotFoundError"),
    ("broken = myplug:NOT_A_METHOD", "is 42, not a subclass of augbench.methods.base.Method"),
])
def test_a_broken_plugin_is_one_line_naming_it_and_the_built_ins_still_work(tmp_path, monkeypatch, capsys,
                                                                           clean_registries, entry, message):
    site = tmp_path / "site"
    site.mkdir()
    distribution(site, f"[augbench.methods]\n{entry}\n", module=FLIPPER + "\nNOT_A_METHOD = 42\n")
    monkeypatch.syspath_prepend(str(site))
    store = tmp_path / "runs.sqlite"
    status = main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "broken", "--store", str(store)])
    err = capsys.readouterr().err.strip()
    assert status == 2 and len(err.splitlines()) == 1 and message in err and not store.exists()
    assert main(["list", "none"]) == 0 and "none" in capsys.readouterr().out


def test_bad_includes_and_taken_names_are_one_line_each(tmp_path, capsys, clean_registries):
    assert main(["--include", str(tmp_path / "absent.py"), "list"]) == 2
    assert "no such Python file" in capsys.readouterr().err
    raising = tmp_path / "raising.py"
    raising.write_text("raise RuntimeError('boom')\n")
    assert main(["--include", str(raising), "list"]) == 2
    assert "the file raised RuntimeError: boom" in capsys.readouterr().err
    taken = tmp_path / "taken.py"
    taken.write_text(textwrap.dedent(FLIPPER).replace(
        "class Flipper", "from augbench.runner.plugins import register_method\n\n\n@register_method('mixup')\nclass Flipper"))
    assert main(["--include", str(taken), "list"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "'mixup' is already taken by built-in" in err
