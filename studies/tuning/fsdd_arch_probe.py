"""Round 4 of the quick-profile validation: FSDD classifier shapes (results/tuning/quick-validation.md).

Runs `augbench run` with augbench.tasks.fsdd.AudioCnn swapped for one of the shapes below, so each candidate goes
through the shared loop and store like any cell. Usage, from the repository root:

    python studies/tuning/fsdd_arch_probe.py VARIANT run --profile quick --device cpu --tasks fsdd \
        --methods none,classic --seeds 0,1 --fractions 0.5 --store results/tuning/round4-fsdd-VARIANT.sqlite

VARIANT: `previous` (conv, conv, pool, conv, pool, conv: the quick CNN before round 4), `committed`
(conv, pool, conv, pool, conv, conv: augbench/tasks/fsdd.py today) or `three` (conv, pool, conv, pool, conv).
The round-4 stores were made with the fsdd pool of 800 recordings then in the quick profile
(add `--param train.train_pool=800` to repeat them with today's code).
"""

from __future__ import annotations

import sys

from torch import nn

import augbench.tasks.fsdd as fsdd


def block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class Previous(nn.Module):
    def __init__(self, width: int, classes: int) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(*block(1, w), *block(w, w), nn.MaxPool2d(2), *block(w, 2 * w), nn.MaxPool2d(2),
                                 *block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, classes))

    def forward(self, x):
        return self.net(x)


class Three(nn.Module):
    def __init__(self, width: int, classes: int) -> None:
        super().__init__()
        w = width
        self.net = nn.Sequential(*block(1, w), nn.MaxPool2d(2), *block(w, 2 * w), nn.MaxPool2d(2),
                                 *block(2 * w, 4 * w), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4 * w, classes))

    def forward(self, x):
        return self.net(x)


if __name__ == "__main__":
    variant = sys.argv[1]
    shapes = {"previous": Previous, "committed": fsdd.AudioCnn, "three": Three}
    if variant not in shapes:
        sys.exit(f"unknown variant {variant!r}; valid: {', '.join(shapes)}")
    fsdd.AudioCnn = shapes[variant]
    from augbench.cli import main
    sys.exit(main(sys.argv[2:]))
