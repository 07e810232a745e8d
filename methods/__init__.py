"""The method registry: one line per method here, one file per method beside it."""

from bench.registry import Registry

METHODS = Registry("method")

METHODS.declare("none", "methods.none", "no augmentation: the baseline every gain is measured against")
METHODS.declare("classic", "methods.classic", "per-sample random crop with padding, plus horizontal flip where the task allows it")
METHODS.declare("adversarial", "methods.adversarial", "adversarial training: PGD (Madry et al. 2018) or FGSM with random start (Wong et al. 2020)")
