"""How fast this machine trains, in the unit the budget of `make bench` is stated in.

The 15-minute budget of `make bench` is stated for a 2-core CPU that trains the CIFAR-10 ResNet-9 of width 16
at 1,000 images/s with batch 64: the rate this project's 2-core VM reaches on a good day (870-1,070 measured,
idle; issue 24 replaced the 1,700 of the first budget, which no machine here ever reached). The speed of a
shared VM moves from day to day (1,070 images/s one day, 834 another, idle both times), so a wall
time means little without the speed it was measured at. `augbench run --calibrate` times this network
before the sweep (random CIFAR-shaped batches, SGD, channels-last as the trainer runs it, the sweep's
torch threads) and prints the rate next to
the sweep's wall time, with the wall time the sweep would take on the budget's reference machine.
"""

from __future__ import annotations

import time

import torch
import torch.nn.functional as F

from augbench.core.device import place_model
from augbench.tasks.cifar10 import ResNet9

REFERENCE_RATE = 1000.0  # images/s of the budget's reference machine: the 2-core VM on a good day (issue 24)
WIDTH = 16
BATCH_SIZE = 64
WARMUP_STEPS = 5  # allocator and kernel selection settle in the first steps


def reference_rate(device: torch.device, seconds: float = 3.0) -> float:
    """Training images per second of the reference ResNet-9 (width 16, batch 64) on `device`.

    Steps are timed for at least `seconds` after a short warm-up; the data are random (the rate of a
    convolutional net does not depend on pixel values) and drawn from a private generator, so the global
    random streams the sweep seeds are untouched.
    """
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(BATCH_SIZE, 3, 32, 32, generator=generator).to(device)
    y = torch.randint(0, 10, (BATCH_SIZE,), generator=generator).to(device)
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        model = place_model(ResNet9(WIDTH), device, image_input=True)  # channels-last, as the trainer places it
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)

    def step() -> None:
        optimizer.zero_grad(set_to_none=True)
        F.cross_entropy(model(x), y).backward()
        optimizer.step()

    for _ in range(WARMUP_STEPS):
        step()
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    steps, start = 0, time.perf_counter()
    while True:
        step()
        steps += 1
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds and steps >= 3:
            return steps * BATCH_SIZE / elapsed


def describe(rate: float, wall_s: float) -> str:
    """One line for the end of a sweep: the measured rate and the wall time scaled to the reference machine."""
    scaled = wall_s * rate / REFERENCE_RATE
    return (f"machine: the reference ResNet-9 (width 16, batch 64) trained at {rate:,.0f} images/s here, "
            f"{100 * rate / REFERENCE_RATE:.0f}% of the {REFERENCE_RATE:,.0f} the 15-minute budget of `make bench` "
            f"assumes; at that speed this sweep would take about {scaled / 60:.1f} min")
