"""`augbench perf` on CPU with a small batch: positive throughputs and the ratio column (no timing assertions)."""

from __future__ import annotations

import re

import pytest

from augbench.cli import main
from augbench.perf import PerfReport, PipelineResult, assumed_peak_bandwidth, render

SMALL = ["perf", "--tasks", "mnist", "--device", "cpu", "--images", "768", "--batch-size", "128", "--repeats", "2",
         "--workers", "1", "--no-train"]


def test_perf_reports_positive_throughputs_with_the_ratio_column(tmp_path, capsys):
    output = tmp_path / "perf.md"
    assert main([*SMALL, "--no-kornia", "--output", str(output)]) == 0
    text = capsys.readouterr().out
    assert output.read_text() == text[text.index("# augbench perf"):]
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 4 and cells[0] == "mnist":
            rows[cells[1][:3]] = cells
    assert set(rows) == {"(a)", "(b)"}
    for pipeline, (_, _, rate, ratio) in rows.items():
        assert float(rate.replace(",", "")) > 0
        assert re.fullmatch(r"\d+(\.\d)?x", ratio)
    assert rows["(b)"][3] == "1.0x"
    assert "DataLoader x1" in rows["(b)"][1]
    assert "| task   | pipeline" in text and "vs (b)" in text
    assert "time-to-accuracy: skipped: it needs a CUDA device" in text  # on CPU, and it says why
    assert "trainer: skipped (--no-train)" in text


def test_perf_includes_kornia_when_installed(capsys):
    pytest.importorskip("kornia", reason="kornia is not installed: pip install 'augbench[kornia]'")
    assert main([*SMALL, "--no-tta"]) == 0
    assert "(c) kornia batched" in capsys.readouterr().out


@pytest.mark.parametrize("args,expected", [
    (["--tasks", "mnsit"], "unknown task 'mnsit'"),
    (["--images", "0"], "--images 0 is invalid"),
    (["--batch-size", "-1"], "--batch-size -1 is invalid"),
    (["--device", "tpu"], "unknown device 'tpu'"),
    (["--peak-bandwidth", "0"], "--peak-bandwidth 0.0 is invalid"),
])
def test_bad_perf_input_is_one_line_exit_2(args, expected, capsys):
    assert main(["perf", "--no-train", "--no-tta", *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err


def test_the_bandwidth_share_is_bytes_moved_over_the_assumed_peak():
    report = PerfReport(
        header=["device: cuda (test)"],
        augmentation=[PipelineResult("cifar10", "(a) augbench on-device batched", 1e6, 10),
                      PipelineResult("cifar10", "(b) torchvision v2 per-sample, DataLoader x16", 2e4, 10)],
        bandwidth=(3350.0, "datasheet peak of H100"), bytes_per_image={"cifar10": 5 * 3 * 32 * 32},
        train_rows=[], train_note="", tta_rows=[], tta_note="", notes=[],
    )
    text = render(report)
    # 1e6 images/s x 15,360 bytes = 15.36 GB/s = 0.46% of 3,350 GB/s.
    assert "| 1,000,000  | 50.0x    | 0.46%" in text
    assert "3,350 GB/s (datasheet peak of H100)" in text


def test_the_peak_bandwidth_is_none_on_cpu_and_can_be_given():
    import torch

    assert assumed_peak_bandwidth(torch.device("cpu"), None) is None
    assert assumed_peak_bandwidth(torch.device("cpu"), 100.0) is None


def test_every_image_policy_is_measured_beside_its_torchvision_pipeline(capsys):
    """mixup and CutMix against torchvision's batch-level MixUp/CutMix, the per-sample policies against
    their per-sample transforms: an (a) and a (b) row each, with a positive rate."""
    assert main([*SMALL, "--no-kornia"]) == 0
    rows: dict[str, set[str]] = {}
    for line in capsys.readouterr().out.splitlines():
        cells = [c.strip() for c in line.strip("|").split("|")]
        if len(cells) == 5 and cells[0] == "mnist":
            assert float(cells[3].replace(",", "")) > 0
            rows.setdefault(cells[1], set()).add(cells[2][:3])
    assert rows == {name: {"(a)", "(b)"} for name in ("mixup", "cutmix", "cutout", "trivialaugment", "randaugment")}


@pytest.mark.parametrize("name", ["mixup", "cutmix"])
def test_the_torchvision_mixing_baseline_gives_soft_labels_of_mass_one(name, sources):
    import torch

    from augbench.perf import policy_batch_transform, policy_method
    from augbench.tasks import TASKS

    task = TASKS.get("mnist")()
    data = task.load(sources["mnist"], 1.0, 0, task.train_config("smoke"), torch.device("cpu"))
    method = policy_method(name, task, data.train, "quick", torch.device("cpu"))
    x, y = policy_batch_transform(name, method)(task.prepare(data.train.x[:32]), data.train.y[:32])
    assert x.shape == (32, 1, 28, 28) and y.shape == (32, 10)
    assert torch.allclose(y.sum(dim=1), torch.ones(32))
