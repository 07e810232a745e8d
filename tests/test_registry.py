"""The generic registry: declaration, binding, lookup errors, patterns; and both real registries."""

from __future__ import annotations

import subprocess
import sys

import pytest

from augbench.core.errors import UsageError
from augbench.config.registry import Registry
from augbench.methods import METHODS
from augbench.tasks import TASKS

from conftest import REPO


def make_registry() -> Registry:
    registry = Registry("widget")
    for name in ("gan", "wgan_gp", "x10", "x2", "classic"):
        registry.declare(name, "somewhere", f"the {name} widget")
    return registry


def test_duplicate_declaration_raises():
    registry = make_registry()
    with pytest.raises(ValueError, match="duplicate widget name 'gan'"):
        registry.declare("gan", "elsewhere", "again")


def test_names_must_be_snake_case():
    with pytest.raises(ValueError, match="snake_case"):
        Registry("widget").declare("WGAN-GP", "m", "bad name")


def test_binding_twice_raises():
    registry = Registry("widget")
    registry.declare("thing", __name__, "a thing")

    @registry.register("thing")
    class Thing:
        pass

    with pytest.raises(ValueError, match="duplicate"):
        registry.register("thing")(Thing)
    assert registry.get("thing") is Thing


def test_binding_an_undeclared_name_raises():
    with pytest.raises(ValueError, match="not declared"):
        Registry("widget").register("ghost")(object)


def test_unknown_name_lists_choices_and_closest_match():
    with pytest.raises(UsageError) as info:
        make_registry().get("wgan-gp")
    message = str(info.value)
    assert "unknown widget 'wgan-gp'" in message
    assert "did you mean 'wgan_gp'?" in message
    assert "classic, gan, wgan_gp, x2, x10" in message


def test_list_takes_patterns_and_sorts_naturally():
    registry = make_registry()
    assert registry.list() == ["classic", "gan", "wgan_gp", "x2", "x10"]
    assert registry.list("*gan*") == ["gan", "wgan_gp"]
    assert registry.list("x*") == ["x2", "x10"]


def test_resolve_expands_all_patterns_and_lists_without_duplicates():
    registry = make_registry()
    assert registry.resolve("all") == registry.list()
    assert registry.resolve("gan,*gan*") == ["gan", "wgan_gp"]
    with pytest.raises(UsageError, match="matches nothing"):
        registry.resolve("vae*")
    with pytest.raises(UsageError, match="empty widget name"):
        registry.resolve("gan,,x2")


def test_real_registries_hold_the_backbone_entries():
    assert TASKS.list() == ["cifar10", "fsdd", "mnist", "sst2", "trec"]
    assert {"none", "classic"} <= set(METHODS.list())
    for registry in (TASKS, METHODS):
        for name in registry.list():
            assert registry.get(name) is not None
            assert registry.summary(name)


def test_listing_imports_no_heavy_module():
    code = (
        "import sys; from augbench.cli import main; main(['list']); "
        "heavy = [m for m in ('torch', 'augbench.methods.classic', 'augbench.tasks.cifar10') if m in sys.modules]; print(heavy)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"
    assert "classic" in result.stdout and "mnist" in result.stdout
