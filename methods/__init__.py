"""The method registry: one line per method here, one file per method beside it."""

from bench.config.registry import Registry

METHODS = Registry("method")

METHODS.declare("none", "methods.none", "no augmentation: the baseline every gain is measured against")
METHODS.declare("classic", "methods.classic", "the task's classic recipe per sample: crop+flip (images), SpecAugment+shift (audio), feature dropout+noise (text)")
METHODS.declare("gan", "methods.gan", "conditional DCGAN-style GAN (projection discriminator): a share of each batch is synthetic")
METHODS.declare("wgan_gp", "methods.wgan_gp", "conditional WGAN with gradient penalty (Gulrajani et al. 2017): a share of each batch is synthetic")
METHODS.declare("vae", "methods.vae", "conditional VAE (Sohn et al. 2015): a share of each batch is decoded from the prior")
METHODS.declare("adversarial", "methods.adversarial", "adversarial training: PGD (Madry et al. 2018) or FGSM with random start (Wong et al. 2020)")
