"""The method registry: one line per method here, one file per method beside it."""

from augbench.config.registry import Registry

METHODS = Registry("method")

METHODS.declare("none", "augbench.methods.none", "no augmentation: the baseline every gain is measured against")
METHODS.declare("classic", "augbench.methods.classic", "the task's classic recipe per sample: crop+flip (images), SpecAugment+shift (audio), feature dropout+noise (text)")
METHODS.declare("gan", "augbench.methods.gan", "conditional DCGAN-style GAN (projection discriminator): a share of each batch is synthetic")
METHODS.declare("wgan_gp", "augbench.methods.wgan_gp", "conditional WGAN with gradient penalty (Gulrajani et al. 2017): a share of each batch is synthetic")
METHODS.declare("vae", "augbench.methods.vae", "conditional VAE (Sohn et al. 2015): a share of each batch is decoded from the prior")
METHODS.declare("diffusion", "augbench.methods.diffusion", "class-conditional DDPM (Ho et al. 2020) with classifier-free guidance, sampled with few DDIM steps: a share of each batch is synthetic")
METHODS.declare("adversarial", "augbench.methods.adversarial", "adversarial training: PGD (Madry et al. 2018) or FGSM with random start (Wong et al. 2020)")
METHODS.declare("adversarial_wave", "augbench.methods.adversarial_wave", "adversarial training on the recording: PGD on the waveform's samples within -40 dB of its peak, through the cell's front end; audio tasks")
METHODS.declare("adversarial_word", "augbench.methods.adversarial_word", "adversarial training on the sentence: PWWS word substitutions (<= 20% of words) that flip the model being trained replace half of each batch; text tasks")
METHODS.declare("mixup", "augbench.methods.mixup", "mixup (Zhang et al. 2018): each sample blended with a partner, weight ~ Beta(alpha, alpha) per sample; soft labels")
METHODS.declare("cutmix", "augbench.methods.cutmix", "CutMix (Yun et al. 2019): a partner's box pasted into each sample, labels mixed by area; images and log-mel maps")
METHODS.declare("cutout", "augbench.methods.cutout", "Cutout (DeVries & Taylor 2017): one square per sample set to the training mean; images and log-mel maps")
METHODS.declare("trivialaugment", "augbench.methods.trivialaugment", "TrivialAugment wide (Muller & Hutter 2021): one op at a uniform strength per sample; images")
METHODS.declare("randaugment", "augbench.methods.randaugment", "RandAugment (Cubuk et al. 2020): N ops per sample at one magnitude M; images")
METHODS.declare("eda", "augbench.methods.eda", "EDA (Wei & Zou 2019): synonym replacement/insertion (WordNet), swap, deletion on the raw sentences; copies featurized once per cell, one drawn per sample per step; text tasks")
METHODS.declare("self_training", "augbench.methods.self_training", "self-training: a teacher trained on the cell's labels labels the unlabelled pool (the train split outside validation); its most confident share per label replaces a share of each batch, as a generator's samples do")
METHODS.declare("waveaug", "augbench.methods.waveaug", "waveform augmentation on FSDD: speed perturbation, gain, white noise, time shift (copies made once per cell, one drawn per sample per step), then SpecAugment")
