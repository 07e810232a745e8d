"""Typed parameter overrides and the config hash."""

from __future__ import annotations

import pytest

from augbench.config.cell import Cell
from augbench.core.errors import UsageError
from augbench.config.params import apply_overrides, describe_params, match_params, parse_param_overrides, type_label
from augbench.config.profiles import TrainConfig
from augbench.methods.classic import ClassicParams


def test_overrides_are_grouped_by_owner():
    assert parse_param_overrides(["classic.padding=2", "train.epochs=3", "classic.flip=none"]) == {
        "classic": {"padding": "2", "flip": "none"},
        "train": {"epochs": "3"},
    }


@pytest.mark.parametrize("item", ["classic.padding", "padding=2", "classic=2", ".padding=2", "Classic.padding=2"])
def test_malformed_override_is_refused(item):
    with pytest.raises(UsageError, match="malformed --param"):
        parse_param_overrides([item])


def test_repeated_override_is_refused():
    with pytest.raises(UsageError, match="given twice"):
        parse_param_overrides(["classic.padding=2", "classic.padding=3"])


def test_values_parse_by_annotation():
    params = apply_overrides(ClassicParams, {"padding": "3", "flip": "false"}, "classic")
    assert params == ClassicParams(padding=3, flip=False)
    assert apply_overrides(ClassicParams, {"padding": "none"}, "classic").padding is None
    config = apply_overrides(TrainConfig, {"lr": "0.5", "train_pool": "none"}, "train", TrainConfig(epochs=4, train_pool=10))
    assert (config.lr, config.train_pool, config.epochs) == (0.5, None, 4)


def test_unknown_key_lists_valid_keys():
    with pytest.raises(UsageError, match=r"unknown --param classic.pad; valid keys for classic: padding, flip"):
        apply_overrides(ClassicParams, {"pad": "2"}, "classic")


@pytest.mark.parametrize("key,value", [("padding", "two"), ("padding", "2.5"), ("flip", "maybe")])
def test_badly_typed_value_is_refused(key, value):
    with pytest.raises(UsageError, match=f"bad value '{value}' for --param classic.{key}"):
        apply_overrides(ClassicParams, {key: value}, "classic")


def test_train_config_validates_ranges():
    with pytest.raises(UsageError, match="train.epochs=0"):
        apply_overrides(TrainConfig, {"epochs": "0"}, "train")


def make_cell(**changes) -> Cell:
    fields = dict(
        task="mnist", method="classic", seed=0, fraction=1.0, profile="smoke",
        method_params={"padding": 2, "flip": False}, task_params={}, train_config={"epochs": 1}, eval_config={"pgd_steps": 10},
        data_variant="mnist-idx", data_checksum="abc",
    )
    fields.update(changes)
    return Cell(**fields)


def test_config_hash_is_pinned():
    # If this changes, every stored row stops matching its cell: change it only on purpose (bump HASH_VERSION).
    assert make_cell().run_id == "a16e727e7fd9e13a"  # HASH_VERSION 2 (the validation split)


@pytest.mark.parametrize(
    "change",
    [
        {"seed": 1}, {"fraction": 0.5}, {"profile": "quick"}, {"method_params": {"padding": 3, "flip": False}},
        {"train_config": {"epochs": 2}}, {"eval_config": {"pgd_steps": 20}}, {"data_variant": "cifar10-batches"}, {"data_checksum": "abd"},
        {"task_params": {"source": "jpeg"}},
    ],
)
def test_config_hash_covers_everything_that_determines_the_result(change):
    assert make_cell(**change).run_id != make_cell().run_id


def test_config_hash_ignores_key_order():
    assert make_cell(method_params={"flip": False, "padding": 2}).run_id == make_cell().run_id


def test_describe_params_reads_type_default_and_trailing_comment():
    (padding, flip) = describe_params(ClassicParams, "classic")[:2]
    assert (padding.name, padding.type, padding.default) == ("classic.padding", "int | none", "none")
    assert padding.description == "images: pixels of zero padding before the random crop"
    assert (flip.type, flip.default) == ("bool | none", "none")


def test_inherited_fields_keep_their_base_class_comment():
    from augbench.methods.vae import VaeParams

    ratio = next(i for i in describe_params(VaeParams, "vae") if i.key == "ratio")
    assert ratio.default == "0.5" and ratio.description.startswith("share of each training batch")


def test_type_label_lists_literal_choices():
    from typing import Literal

    assert type_label(Literal["pgd", "fgsm_rs"]) == "{pgd,fgsm_rs}"
    assert type_label(float | None) == "float | none"


@pytest.mark.parametrize("pattern,expected", [("", 15), ("lr", 1), ("*_limit", 1), ("train.*", 15), ("nosuch", 0)])
def test_match_params_is_a_substring_or_a_glob(pattern, expected):
    assert len(match_params(describe_params(TrainConfig, "train"), pattern)) == expected
