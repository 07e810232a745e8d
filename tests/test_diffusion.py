"""The diffusion method: its noise schedule, DDIM sampler and guidance, its samples, class conditioning and cache.

Shared generative behaviour (cache hits, feature tasks, augment's contract) is checked with the other
generators in test_generative.py, test_cache_independence.py and test_methods_contract.py.
"""

from __future__ import annotations

import pytest
import torch

from augbench.config.profiles import TrainConfig
from augbench.core.seeding import make_generator
from augbench.methods import METHODS
from augbench.methods.base import FitContext
from augbench.methods.diffusion import TIMESTEPS
from augbench.methods.diffusion_nets import cosine_alphas_cumprod, ddim_sample, ddim_timesteps, guided, x0_predictor
from augbench.tasks import TASKS
from augbench.tasks.base import Split, Task

CPU = torch.device("cpu")
Diffusion = METHODS.get("diffusion")


def cell(task: Task, seed: int = 0, variant: str = "synthetic", checksum: str = "0" * 64) -> dict:
    return {"task": task.name, "task_params": task.params_dict(), "seed": seed, "fraction": 1.0, "profile": "smoke",
            "train_config": {"train_pool": None}, "data_variant": variant, "data_checksum": checksum}


def test_cosine_schedule_decreases_strictly_inside_0_1():
    alphas = cosine_alphas_cumprod(TIMESTEPS)
    assert alphas.shape == (TIMESTEPS,) and alphas.dtype == torch.float64
    assert (alphas > 0).all() and (alphas < 1).all()
    assert (alphas[1:] < alphas[:-1]).all()
    assert alphas[0] > 0.9999 and alphas[-1] < 1e-6  # nearly clean at t = 0, pure noise at t = T-1


def test_ddim_visits_trailing_timesteps():
    assert ddim_timesteps(1000, 4) == [999, 749, 499, 249]
    assert ddim_timesteps(1000, 1) == [999]
    assert ddim_timesteps(10, 10) == list(range(9, -1, -1))


def oracle(x0: torch.Tensor, alphas: torch.Tensor, prediction: str):
    """A model that knows x_0: it returns the true noise of x_t (or the true v)."""

    def predict(x, t, y):
        a = alphas[t].float().view(-1, *[1] * (x.dim() - 1))
        eps = (x - a.sqrt() * x0) / (1 - a).sqrt()
        return eps if prediction == "eps" else a.sqrt() * eps - (1 - a).sqrt() * x0

    return predict


@pytest.mark.parametrize("prediction,steps", [("eps", 4), ("eps", 25), ("v", 1), ("v", 4), ("v", 25)])
def test_ddim_with_a_true_noise_oracle_recovers_x0(prediction, steps):
    alphas = cosine_alphas_cumprod(TIMESTEPS)
    generator = make_generator(0, "oracle")
    x0 = torch.rand(6, 1, 8, 8, generator=generator) * 2 - 1
    noise = torch.randn(6, 1, 8, 8, generator=generator)
    x0_fn = x0_predictor(oracle(x0, alphas, prediction), alphas, prediction)
    out = ddim_sample(x0_fn, noise, torch.zeros(6, dtype=torch.long), alphas, steps, (-1.0, 1.0))
    torch.testing.assert_close(out, x0, atol=1e-5, rtol=0)


def test_ddim_clips_x0_to_the_data_range():
    alphas = cosine_alphas_cumprod(TIMESTEPS)
    wild = lambda x, t, y: torch.full_like(x, 50.0)  # predicts x_0 far outside the range
    out = ddim_sample(x0_predictor(wild, alphas, "v"), torch.randn(4, 3), torch.zeros(4, dtype=torch.long), alphas, 3, (-1.0, 1.0))
    assert out.min() >= -1 and out.max() <= 1


def test_guidance_extrapolates_from_the_unconditional_prediction():
    null = 3
    model = lambda x, t, y: torch.where((y == null).view(-1, 1), torch.tensor(1.0), torch.tensor(2.0)).expand_as(x)
    x, t, y = torch.zeros(2, 5), torch.zeros(2, dtype=torch.long), torch.tensor([0, 1])
    assert torch.equal(guided(model, null, 0.0)(x, t, y), torch.full((2, 5), 2.0))
    assert torch.equal(guided(model, null, 1.5)(x, t, y), torch.full((2, 5), 2.5 * 2.0 - 1.5 * 1.0))


@pytest.mark.parametrize("field,value", [("lr", 0.0), ("p_uncond", 1.0), ("p_uncond", -0.1), ("sample_steps", 0),
                                         ("sample_steps", TIMESTEPS + 1), ("guidance", -1.0), ("bank", 0),
                                         ("prediction", "x0"), ("steps", 0), ("ratio", 1.5)])
def test_invalid_parameters_are_refused_by_name(field, value):
    task = TASKS.get("mnist")()
    with pytest.raises(ValueError, match=f"diffusion.{field}="):
        Diffusion(Diffusion.Params(**{field: value}), task, 0)


def test_profiles_fill_the_budget_into_the_parameters():
    task = TASKS.get("mnist")()
    for profile, budget in Diffusion.BUDGETS.items():
        params = Diffusion.default_params(profile, task)
        assert (params.steps, params.width, params.batch_size, params.lr, params.sample_steps, params.guidance, params.bank) == (
            budget.steps, budget.width, budget.batch_size, budget.lr, budget.sample_steps, budget.guidance, budget.bank)


def test_sampling_settings_do_not_change_the_cache_key_and_training_settings_do(tmp_path):
    task = TASKS.get("mnist")()
    key = lambda **p: Diffusion(Diffusion.Params(**p), task, 0).cache_path(cell(task), tmp_path)[1]
    assert key() == key(guidance=0.0, sample_steps=9, bank=3, ratio=0.1) == key(lr=Diffusion.BUDGETS["smoke"].lr)
    assert len({key(), key(lr=1e-4), key(steps=7), key(prediction="eps"), key(p_uncond=0.3)}) == 5


def test_sampling_before_fitting_raises():
    with pytest.raises(RuntimeError, match="fit"):
        Diffusion(Diffusion.Params(), TASKS.get("mnist")(), 0).sample(torch.tensor([1]), make_generator(0, "s"))


class Squares(Task):
    """A stand-in image task with a range other than [0, 1]: 2 classes of 8x8 images in [-2, 3]."""

    name = "squares"
    modality = "image"
    num_classes = 2
    input_shape = (1, 8, 8)
    input_range = (-2.0, 3.0)


def test_samples_lie_in_the_task_range_and_mix_from_the_bank(tmp_path):
    task = Squares()
    generator = make_generator(0, "squares")
    y = torch.arange(64) % 2
    x = (torch.rand(64, 1, 8, 8, generator=generator) * 5 - 2).clamp(-2, 3)
    x[y == 1, :, 2:6, 2:6] = 3.0  # class 1 has a bright square
    method = Diffusion(Diffusion.Params(bank=5, ratio=0.5), task, 0)
    method.fit(Split(x, y), FitContext(cell(task), "smoke", CPU, tmp_path, progress=False))
    samples = method.sample(torch.tensor([0, 1, 1, 0, 1]), make_generator(1, "s"))
    assert samples.shape == (5, 1, 8, 8) and samples.dtype == torch.float32
    assert samples.min() >= -2.0 and samples.max() <= 3.0
    bank = method.bank(CPU)
    assert bank.shape == (2, 5, 1, 8, 8)
    out_x, out_y = method.augment(x[:16], y[:16], torch.nn.Identity())
    replaced = ~(out_x == x[:16]).flatten(1).all(dim=1)
    assert int(replaced.sum()) == 8 and torch.equal(out_y, y[:16])
    for row, label in zip(out_x[replaced], out_y[replaced]):  # each synthetic example is a bank sample of its label
        assert (bank[label] == row).flatten(1).all(dim=1).any()


def test_a_smoke_trained_model_draws_its_class_on_mnist(sources, tmp_path):
    """Class conditioning: samples of each digit are nearest to the real mean image of that digit more often than chance.

    Nearest class mean scores 80% on real MNIST test digits; a model that ignored its label would score 10%.
    The smoke profile's 60 steps score 25% here (45% at the 150 used), with guidance w = 2 (w = 0: 19%).
    """
    task = TASKS.get("mnist")()
    data = task.load(sources["mnist"], 1.0, 0, TrainConfig(train_pool=500, test_limit=10), CPU)
    method = Diffusion(Diffusion.Params(steps=150), task, 0)
    method.fit(data.train, FitContext(cell(task, variant=data.source.variant, checksum=data.source.checksum),
                                      "smoke", CPU, tmp_path, progress=False))
    train_x = task.prepare(data.train.x).flatten(1)
    means = torch.stack([train_x[data.train.y == c].mean(dim=0) for c in range(10)])
    labels = torch.arange(200) % 10
    samples = method.sample(labels, make_generator(0, "conditioning")).flatten(1)
    accuracy = (torch.cdist(samples, means).argmin(dim=1) == labels).float().mean().item()
    assert accuracy > 0.3, accuracy
