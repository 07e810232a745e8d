"""The generated-data grid that `make bench-generated` runs and the committed baseline holds (issue 24): each
generator fitted on the task's whole train split, Gowal et al.'s composition on MNIST in both regimes, and the
exchange-rate curve. The Makefile spells the same grid for the shell; a test checks that the two agree.
"""

from __future__ import annotations

TASKS = ("mnist", "cifar10", "sst2", "trec", "fsdd")
GENERATORS = ("gan", "wgan_gp", "vae")
POOL_PARAMS = tuple(f"{name}.data=pool" for name in GENERATORS)
FRACTIONS = (0.5, 1.0)
COMPOSITION = "adversarial+vae"  # on MNIST, with the vae scarce and pool
# (task, fractions): the K of `train.extra_real` measured, as far as the task's train split allows at that size;
# CIFAR-10 stops at 2 (a cell of 5,000 images for 40 epochs takes about 5 min on the 2-core VM).
EXCHANGE: dict[tuple[str, tuple[float, ...]], tuple[float, ...]] = {
    ("mnist", (0.5, 1.0)): (0.5, 1, 2, 4), ("cifar10", (0.5, 1.0)): (1, 2), ("sst2", (0.5, 1.0)): (0.5, 1, 2, 4),
    ("trec", (0.5,)): (0.5, 1, 2, 3), ("trec", (1.0,)): (0.5, 1), ("fsdd", (0.5, 1.0)): (0.5, 1, 2, 4),
}


def runs() -> list[tuple[list[str], list[str], list[float], list[str]]]:
    """The grid as `augbench run` invocations: (tasks, methods, fractions, --param items)."""
    out = [(list(TASKS), list(GENERATORS), list(FRACTIONS), list(POOL_PARAMS)),
           (["mnist"], [COMPOSITION], list(FRACTIONS), []),
           (["mnist"], [COMPOSITION], list(FRACTIONS), ["vae.data=pool"])]
    for (task, fractions), ks in EXCHANGE.items():
        out += [([task], ["none"], list(fractions), [f"train.extra_real={k:g}"]) for k in ks]
    return out
