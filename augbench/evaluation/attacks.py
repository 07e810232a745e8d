"""L-inf FGSM and PGD, batched on the device, against a model in eval mode, inside the valid input range.

Both work in input units (pixels in [0, 1] for images: normalisation is the classifier's first layer),
so an epsilon means the same thing for every method. Gradients are taken with respect to the input
only (`torch.autograd.grad`), so attacking never touches the model's parameter gradients.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
import torch.nn.functional as F
from torch import nn

ATTACKS = ("fgsm", "pgd")


@contextlib.contextmanager
def eval_mode(model: nn.Module) -> Iterator[None]:
    """Run the block with the model in eval mode (frozen batch-norm statistics), then restore its mode."""
    was_training = model.training
    model.eval()
    try:
        yield
    finally:
        model.train(was_training)


def input_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The cross-entropy's gradient with respect to the inputs [N, ...] (never the parameters')."""
    return gradient_and_logits(model, x, y)[0]


def gradient_and_logits(model: nn.Module, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`input_gradient`, and the logits it was taken at (detached): one forward pass for both."""
    x = x.detach().requires_grad_(True)
    with torch.enable_grad():
        logits = model(x)
        (grad,) = torch.autograd.grad(F.cross_entropy(logits, y), x)
    return grad, logits.detach()


def _project(x_adv: torch.Tensor, x: torch.Tensor, eps: float, input_range: tuple[float, float] | None) -> torch.Tensor:
    x_adv = torch.max(torch.min(x_adv, x + eps), x - eps)
    return x_adv if input_range is None else x_adv.clamp(*input_range)


def fgsm(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float,
         input_range: tuple[float, float] | None = (0.0, 1.0)) -> torch.Tensor:
    """One signed-gradient step of size `eps` (Goodfellow et al. 2015).

    Args:
        x: inputs [N, ...] in `input_range`; y: int64 labels [N].
    Returns:
        adversarial inputs [N, ...], within `eps` (L-inf) of `x` and inside `input_range`.
    """
    with eval_mode(model):
        step = eps * input_gradient(model, x, y).sign()
    return _project(x + step, x, eps, input_range).detach()


def pgd(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float, steps: int,
        generator: torch.Generator, input_range: tuple[float, float] | None = (0.0, 1.0),
        random_start: bool = True, strongest: bool = False, freeze_fooled: bool = False) -> torch.Tensor:
    """Projected gradient descent on the loss (Madry et al. 2018): a uniform random start in the
    eps-ball, then `steps` signed steps of size `alpha`, each projected back into the ball and the range.

    `strongest=False` returns the last iterate (what adversarial training steps on). `strongest=True` returns,
    per example, the strongest iterate of the walk (start included): the first one the model misclassifies,
    else the one of highest loss. The sign steps can overshoot, so the last iterate may be classified correctly
    although an earlier one was not; an evaluation that reports the last one overstates robustness.

    `freeze_fooled=True` (training, with `strongest=False`): an example's walk stops at the first iterate the model
    misclassifies, as Wong et al.'s train_mnist.py --attack pgd updates only the examples still classified
    correctly; the others keep their perturbation.
    """
    with eval_mode(model):
        x_adv = x
        if random_start:
            noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
            x_adv = _project(x + (2 * noise - 1) * eps, x, eps, input_range)
        if freeze_fooled and not strongest:
            for _ in range(steps):
                grad, logits = gradient_and_logits(model, x_adv, y)
                still = (logits.argmax(dim=1) == y).view(-1, *([1] * (x.dim() - 1)))
                x_adv = torch.where(still, _project(x_adv + alpha * grad.sign(), x, eps, input_range), x_adv)
            return x_adv.detach()
        if not strongest:
            for _ in range(steps):
                x_adv = _project(x_adv + alpha * input_gradient(model, x_adv, y).sign(), x, eps, input_range)
            return x_adv.detach()
        best, best_loss = x_adv.detach().clone(), None
        fooled = torch.zeros(len(y), dtype=torch.bool, device=y.device)
        for step in range(steps + 1):
            if step < steps:
                grad, logits = gradient_and_logits(model, x_adv, y)
            else:  # the last iterate is only judged
                with torch.no_grad():
                    logits = model(x_adv)
            loss = F.cross_entropy(logits, y, reduction="none")
            wrong = logits.argmax(dim=1) != y
            better = ~fooled & (wrong | (loss > best_loss if best_loss is not None else torch.ones_like(wrong)))
            best[better] = x_adv.detach()[better]
            best_loss = loss if best_loss is None else torch.where(better, loss, best_loss)
            fooled |= wrong
            if step < steps:
                x_adv = _project(x_adv + alpha * grad.sign(), x, eps, input_range)
    return best


def fgsm_random_start(model: nn.Module, x: torch.Tensor, y: torch.Tensor, eps: float, alpha: float,
                      generator: torch.Generator, input_range: tuple[float, float] | None = (0.0, 1.0),
                      clamp_start: bool = True) -> torch.Tensor:
    """FGSM from a uniform random start with step `alpha` (Wong et al. 2020, "Fast is better than free").

    `clamp_start=True` clips the start into the input range before the gradient, as their CIFAR-10 script
    does; `False` takes the gradient at the unclipped start and steps from it, as their MNIST script does
    (train_mnist.py). On MNIST the two differ a lot: most pixels sit at 0, so a clipped start leaves half of
    them at 0 and the step lands them on 0 or eps, nearly plain FGSM, which overfits catastrophically.
    The result lies in the eps-ball and the input range either way.
    """
    if clamp_start:
        return pgd(model, x, y, eps, alpha, 1, generator, input_range, random_start=True)
    noise = torch.rand(x.shape, generator=generator, device=x.device, dtype=x.dtype)
    start = x + (2 * noise - 1) * eps
    with eval_mode(model):
        step = alpha * input_gradient(model, start, y).sign()
    return _project(start + step, x, eps, input_range).detach()


def default_pgd_alpha(eps: float, steps: int) -> float:
    """Madry et al.'s rule of thumb: steps of 2.5 * eps / steps let PGD cross the ball and come back."""
    return 2.5 * eps / steps


def validate_attack(eps: float, steps: int, where: str) -> None:
    """ValueError naming the bad value (`where` prefixes it, e.g. "adversarial.") when an epsilon is
    negative or a step count below one."""
    if not eps >= 0:
        raise ValueError(f"{where}eps={eps} is invalid: it must be >= 0")
    if steps < 1:
        raise ValueError(f"{where}steps={steps} is invalid: it must be >= 1")
