"""The generative methods (gan, wgan_gp, vae, diffusion): samples, cache, divergence, FID(task) and CAS, on real MNIST (smoke)."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from augbench.core.cache import atomic_save, load_verified
from augbench.cli import main
from augbench.evaluation.generative_metrics import fid_task, frechet_distance, reference_classifier
from augbench.config.profiles import TrainConfig
from augbench.reporting.sample_grids import write_sample_grids
from augbench.core.seeding import make_generator
from augbench.results.store import Store
from augbench.methods import METHODS
from augbench.methods.base import FitContext
from augbench.methods.gen_nets import Decoder
from augbench.methods.generative import GeneratorDiverged
from augbench.tasks import TASKS
from augbench.tasks.base import Split, Task

GENERATIVE = ["gan", "wgan_gp", "vae", "diffusion"]
CPU = torch.device("cpu")
POOL = TrainConfig(train_pool=300, test_limit=300)


@pytest.fixture(scope="module")
def mnist(sources):
    task = TASKS.get("mnist")()
    return task, task.load(sources["mnist"], 1.0, 0, POOL, CPU)


@pytest.fixture(scope="module")
def shared_cache(tmp_path_factory):
    """One cache for tests that only read their generator, so each method is fitted once for them."""
    return tmp_path_factory.mktemp("generators")


def context(task, source, cache_dir, seed: int = 0) -> FitContext:
    cell = {"task": task.name, "task_params": task.params_dict(), "seed": seed, "fraction": 1.0, "profile": "smoke",
            "train_config": {"train_pool": POOL.train_pool}, "data_variant": source.variant,
            "data_checksum": source.checksum}
    return FitContext(cell, "smoke", CPU, cache_dir, progress=False)


def fitted(name, task, data, cache_dir, seed: int = 0, **params):
    cls = METHODS.get(name)
    method = cls(cls.Params(**params), task, seed)
    method.fit(data.train, context(task, data.source, cache_dir, seed))
    return method


@pytest.mark.parametrize("name", GENERATIVE)
def test_samples_have_the_task_shape_range_and_requested_labels(name, mnist, shared_cache):
    task, data = mnist
    method = fitted(name, task, data, shared_cache, labels="uniform", ratio=1.0)
    labels = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
    samples = method.sample(labels, make_generator(0, "t"))
    assert samples.shape == (8, 1, 28, 28) and samples.dtype == torch.float32
    assert samples.min() >= 0.0 and samples.max() <= 1.0
    # Conditioning: the same noise with other labels gives other images.
    other = method.sample(torch.tensor([0, 0, 0, 0, 0, 0, 0, 0]), make_generator(0, "t"))
    assert not torch.allclose(samples, other)
    # labels=uniform, ratio=1: every example is replaced and gets a drawn label, valid and not the input's.
    x, y = task.prepare(data.train.x[:64]), data.train.y[:64]
    out_x, out_y = method.augment(x, y, torch.nn.Identity())
    assert out_y.dtype == torch.int64 and 0 <= out_y.min() and out_y.max() < 10
    assert not torch.equal(out_y, y) and len(out_y.unique()) > 3
    assert not torch.isclose(out_x, x).flatten(1).all(dim=1).any()


def test_ratio_sets_the_synthetic_share_and_frequency_keeps_labels(mnist, shared_cache):
    task, data = mnist
    method = fitted("vae", task, data, shared_cache, ratio=0.25)
    x, y = task.prepare(data.train.x[:64]), data.train.y[:64]
    out_x, out_y = method.augment(x, y, torch.nn.Identity())
    replaced = ~(out_x == x).flatten(1).all(dim=1)
    assert int(replaced.sum()) == 16 and torch.equal(out_y, y)


def test_mix_add_keeps_the_real_batch_and_appends_a_ratio_share_of_samples(mnist, shared_cache):
    """mix=add (the literature's setting: Gowal et al. train on 70% generated per batch): every real example stays,
    in order, and round(r / (1 - r) * N) samples follow, labelled from the batch's own labels."""
    task, data = mnist
    x, y = task.prepare(data.train.x[:64]), data.train.y[:64]
    for ratio, added in ((0.5, 64), (0.7, 149), (0.0, 0)):
        method = fitted("vae", task, data, shared_cache, ratio=ratio, mix="add")
        out_x, out_y = method.augment(x, y, torch.nn.Identity())
        assert len(out_y) == len(out_x) == 64 + added and torch.equal(out_x[:64], x) and torch.equal(out_y[:64], y)
        assert set(out_y[64:].tolist()) <= set(y.tolist())
        assert not torch.isclose(out_x[64:], out_x[64:].roll(1, 0)).flatten(1).all(dim=1).any() or added == 0
    assert fitted("vae", task, data, shared_cache, ratio=0.5, mix="add").fit_source == "cache"  # mixing only
    assert "mix" not in fitted("vae", task, data, shared_cache).resolved_params()  # default: run_ids unchanged
    with pytest.raises(ValueError, match="ratio=1.0 is invalid with mix=add"):
        METHODS.get("vae")(METHODS.get("vae").Params(ratio=1.0, mix="add"), task, 0)


def test_mix_add_drops_what_the_filter_rejects(mnist, shared_cache):
    task, data = mnist
    method = fitted("vae", task, data, shared_cache, ratio=0.5, mix="add", filter_tau=0.999999)
    x, y = task.prepare(data.train.x[:64]), data.train.y[:64]
    out_x, out_y = method.augment(x, y, torch.nn.Identity())
    assert 64 <= len(out_y) < 128 and torch.equal(out_x[:64], x)


@pytest.mark.parametrize("name", GENERATIVE)
def test_a_second_fit_hits_the_cache(name, mnist, tmp_path, monkeypatch):
    task, data = mnist
    first = fitted(name, task, data, tmp_path, seed=3)
    assert first.fit_source == "fit"
    monkeypatch.setattr(type(first), "step", lambda *a, **k: pytest.fail("refitted although cached"))
    second = fitted(name, task, data, tmp_path, seed=3, ratio=0.2)  # mixing parameters share the generator
    assert second.fit_source == "cache"
    assert first.generator_fit().cache_hit is False and second.generator_fit().cache_hit is True
    assert second.generator_fit().fit_s == first.generator_fit().fit_s > 0  # the original fit's time, read from the cache
    labels = torch.arange(20) % 10
    assert torch.equal(first.sample(labels, make_generator(1, "s")), second.sample(labels, make_generator(1, "s")))


def test_a_truncated_or_edited_cache_file_is_refitted(mnist, tmp_path):
    task, data = mnist
    method = fitted("gan", task, data, tmp_path)
    path, _ = method.cache_path(context(task, data.source, tmp_path).cell, tmp_path)
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])
    assert load_verified(path) is None
    assert fitted("gan", task, data, tmp_path).fit_source == "fit"
    assert load_verified(path) is not None
    flipped = bytearray(path.read_bytes())
    flipped[-10] ^= 0xFF
    path.write_bytes(bytes(flipped))
    assert fitted("gan", task, data, tmp_path).fit_source == "fit"


def test_cache_round_trip_and_garbage(tmp_path):
    path = tmp_path / "sub" / "x.pt"
    atomic_save({"key": "k", "state": {"w": torch.arange(3.0)}}, path)
    assert torch.equal(load_verified(path)["state"]["w"], torch.arange(3.0))
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    path.write_bytes(b"not a cache file")
    assert load_verified(path) is None and load_verified(tmp_path / "missing.pt") is None


def test_collapsed_samples_are_detected(mnist):
    task, _ = mnist
    method = METHODS.get("vae")(METHODS.get("vae").Params(), task, 0)
    method.decoder = Decoder(task, method.params.z_dim, 8).eval()
    for p in method.decoder.parameters():
        torch.nn.init.zeros_(p)  # every sample is the same mid-grey image
    with pytest.raises(GeneratorDiverged, match="collapsed"):
        method._check_samples(CPU)


def test_frechet_distance_matches_scipy_sqrtm():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(400, 12))
    b = rng.normal(size=(300, 12)) @ rng.normal(size=(12, 12)) * 0.5 + 1.0
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s1 @ s2).real
    expected = np.sum((a.mean(0) - b.mean(0)) ** 2) + np.trace(s1 + s2 - 2 * root)
    assert frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    assert frechet_distance(a, a) == pytest.approx(0.0, abs=1e-6)


def test_fid_of_real_data_is_far_below_fid_of_noise(mnist, sources, tmp_path):
    task, data = mnist
    reference = reference_classifier(task, sources["mnist"], "smoke", CPU, tmp_path)
    train_x = data.train.x[:300]
    real = fid_task(reference, task, train_x, data.test.x)
    noise = fid_task(reference, task, train_x, torch.rand(300, 1, 28, 28, generator=make_generator(0, "noise")))
    assert real < 0.1 * noise, (real, noise)


def run(store, *extra: str) -> int:
    return main(["run", "--profile", "smoke", "--tasks", "mnist", "--store", str(store), "--no-progress", *extra])


@pytest.mark.parametrize("name", ["vae", "diffusion"])
def test_a_smoke_cell_records_fid_cas_and_reuses_its_generator(name, tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert run(store, "--methods", name) == 0
    files = list((tmp_path / "cache" / "generators").iterdir())
    assert len(files) == 1
    stamp = files[0].stat().st_mtime_ns
    assert run(store, "--methods", name, "--force", "--param", f"{name}.ratio=0.3") == 0
    assert files[0].stat().st_mtime_ns == stamp  # a new mixing ratio reuses the fitted generator
    with Store(store) as opened:
        rows = opened.frame()
    assert len(rows) == 2 and (rows["status"] == "ok").all()
    assert (rows["fid"] > 0).all() and rows["cas"].between(0, 1).all() and (rows["gen_fit_s"] > 0).all()
    written = write_sample_grids(rows, tmp_path / "plots", tmp_path / "cache")
    assert [p.name for p in written] == [f"samples-mnist-{name}.png"] and written[0].stat().st_size > 1000


def test_a_nan_loss_becomes_a_failed_row(tmp_path, monkeypatch):
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    gan = METHODS.get("gan")
    monkeypatch.setattr(gan, "step", lambda *a, **k: torch.tensor([float("nan"), 0.0]))
    store = tmp_path / "runs.sqlite"
    assert run(store, "--methods", "gan,none") == 1
    with Store(store) as opened:
        rows = {r["method"]: r for r in opened.records()}
    assert rows["none"]["status"] == "ok"  # the sweep went on
    assert rows["gan"]["status"] == "failed" and "GeneratorDiverged" in rows["gan"]["error"]
    assert "nan" in rows["gan"]["error"] and not (tmp_path / "cache" / "generators").exists()


class Blobs(Task):
    """A stand-in feature task (what issue 5's text/audio tasks look like): 3 classes of 12-d Gaussians."""

    name = "blobs"
    modality = "features"
    num_classes = 3
    input_shape = (12,)
    input_range = None


@pytest.mark.parametrize("name", GENERATIVE)
def test_feature_tasks_get_mlp_networks(name, tmp_path):
    task = Blobs()
    generator = make_generator(0, "blobs")
    y = torch.arange(300) % 3
    x = torch.randn(300, 12, generator=generator) * 0.5 + y[:, None].float()
    cell = {"task": "blobs", "task_params": {}, "seed": 0, "fraction": 1.0, "profile": "smoke",
            "train_config": {"train_pool": None}, "data_variant": "synthetic", "data_checksum": "0" * 64}
    cls = METHODS.get(name)
    method = cls(cls.Params(), task, 0)
    method.fit(Split(x, y), FitContext(cell, "smoke", CPU, tmp_path, progress=False))
    assert not any(isinstance(m, torch.nn.Conv2d) for m in method.decoder.modules())
    samples = method.sample(torch.tensor([0, 1, 2, 2]), make_generator(1, "s"))
    assert samples.shape == (4, 12) and samples.dtype == torch.float32 and torch.isfinite(samples).all()
    out_x, out_y = method.augment(x[:10], y[:10], torch.nn.Identity())
    assert out_x.shape == (10, 12) and torch.equal(out_y, y[:10])


@pytest.mark.parametrize("task_name", ["mnist", "trec"])
def test_the_none_cell_on_the_whole_pool_stores_the_reference_classifier_it_would_train(task_name, sources, tmp_path, monkeypatch):
    """The `none` cell of seed 0 at fraction 1 trains exactly the FID reference and caches it; the reference
    trained from an empty cache has the same weights, so reusing it changes no number."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "from-cell"))
    assert main(["run", "--profile", "smoke", "--tasks", task_name, "--methods", "none", "--fractions", "0.5,1",
                 "--store", str(tmp_path / "runs.sqlite"), "--no-progress"]) == 0
    (stored,) = (tmp_path / "from-cell" / "reference").iterdir()  # fraction 0.5 stores nothing
    task = TASKS.get(task_name)()
    data = task.load(sources[task_name], 1.0, 0, task.train_config("smoke"), CPU)
    fresh = reference_classifier(task, sources[task_name], "smoke", CPU, tmp_path / "fresh", data=data)
    (trained,) = (tmp_path / "fresh" / "reference").iterdir()
    assert trained.name == stored.name
    cell_state = load_verified(stored)["state"]
    assert cell_state.keys() == fresh.state_dict().keys()
    for name, tensor in fresh.state_dict().items():
        assert torch.equal(cell_state[name], tensor), name
