"""The machine-speed calibration printed by `augbench run --calibrate` (and so by `make bench`)."""

from __future__ import annotations

import torch

from augbench.runner.calibration import REFERENCE_RATE, describe, reference_rate


def test_reference_rate_is_a_positive_rate_and_leaves_the_global_random_stream_alone():
    before = torch.get_rng_state()
    rate = reference_rate(torch.device("cpu"), seconds=0.05)
    assert rate > 0
    assert torch.equal(torch.get_rng_state(), before)  # the sweep's seeded draws do not depend on calibrating


def test_describe_scales_the_wall_time_to_the_reference_machine():
    line = describe(REFERENCE_RATE / 2, 20 * 60)  # half the reference speed: 20 min here, 10 there
    assert "500 images/s" in line and "50%" in line and "about 10.0 min" in line
