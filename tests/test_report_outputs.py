"""`augbench report` end to end: markdown, PNG/SVG plots and the self-contained HTML, from a real smoke
store and from hand-made rows that carry robustness and corruption metrics."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from matplotlib.colors import to_hex

from augbench.cli import main
from augbench.reporting.html_report import write_html
from augbench.reporting.plots import figures, method_style, pareto_front, write_plots
from augbench.reporting.leaderboard import build
from augbench.results.store import Store
from fixture_records import frame, make_record, scarce_records

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def assert_valid_plot(png: Path) -> None:
    assert png.read_bytes().startswith(PNG_MAGIC) and png.stat().st_size > 1000
    svg = png.with_suffix(".svg")
    assert ET.parse(svg).getroot().tag.endswith("svg")


@pytest.fixture(scope="session")
def smoke_store(tmp_path_factory, data_root) -> Path:
    """Four real smoke cells: none and classic on MNIST at two small train fractions (fast)."""
    path = tmp_path_factory.mktemp("smoke") / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "mnist", "--methods", "none,classic", "--seeds", "1",
                 "--fractions", "0.1,0.3", "--store", str(path), "--device", "cpu", "--no-progress"]) == 0
    return path


@pytest.fixture(scope="session")
def smoke_report(smoke_store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    plots = out / "plots"
    plots.mkdir()
    # A sample grid written by a generative method: the HTML must embed it without knowing it.
    (plots / "samples-mnist-fake.png").write_bytes((Path(__file__).parent / "golden" / "tiny.png").read_bytes())
    assert main(["report", "--store", str(smoke_store), "--output", str(out / "leaderboard.md")]) == 0
    return out


def test_report_writes_markdown_html_and_plots(smoke_report, smoke_store):
    markdown = (smoke_report / "leaderboard.md").read_text()
    html = (smoke_report / "report.html").read_text()
    with Store(smoke_store) as store:
        rows = store.frame()
    for run_id in rows["run_id"]:  # every cell of the store is listed, in both
        assert run_id[:12] in markdown and run_id[:12] in html
    plots = sorted(p.name for p in (smoke_report / "plots").glob("*.png"))
    made = ["corruptions-mnist-mnist-idx-smoke.png", "cost-mnist-mnist-idx-smoke.png",
            "efficiency-mnist-mnist-idx-smoke.png", "robustness-mnist-mnist-idx-smoke.png"]
    # a learning-curve plot per training-set size whose rows carry validation curves of 2+ epochs
    curves = rows.dropna(subset=["val_curve"])
    made += sorted(f"learning-mnist-mnist-idx-smoke-n{int(n)}.png"
                   for n in curves[curves["val_curve"].map(lambda c: len(json.loads(c)) >= 2)]["n_train"].unique())
    assert plots == sorted(made) + ["samples-mnist-fake.png"]
    for name in made:
        assert_valid_plot(smoke_report / "plots" / name)
    assert "train examples" in markdown  # every table states its training-set size


def test_html_is_self_contained_and_embeds_every_png(smoke_report):
    html = (smoke_report / "report.html").read_text()
    # nothing to fetch (links only within the page): readable from disk, no server
    assert not re.search(r'(src|href)="(?!data:|#)', html)
    pngs = len(list((smoke_report / "plots").glob("*.png")))
    assert pngs >= 5 and html.count('src="data:image/png;base64,') == pngs and "Generator samples" in html
    assert re.search(r'<img alt="([a-z]+)-', html).group(1) == "efficiency"  # the report's first figure
    assert html.count("<table>") == 4  # summary across tasks, fraction 0.1, fraction 0.3, all cells
    assert "Provenance" in html and "profiles: smoke" in html and "torch " in html


def test_robustness_and_corruption_plots_when_the_rows_have_them(tmp_path):
    rows = frame([make_record(m, s, 0.9 + 0.01 * s, pgd_acc=0.3 + 0.02 * s, corruption_acc=0.7 + 0.01 * s)
                  for m in ("none", "classic") for s in range(3)])
    written = write_plots(rows, tmp_path)
    assert sorted(p.name.split("-")[0] for p in written) == ["corruptions", "cost", "robustness"]
    for png in written:
        assert_valid_plot(png)


def test_plots_without_the_metric_are_skipped_and_stale_ones_removed(tmp_path):
    (tmp_path / "robustness-mnist-mnist-idx-quick.png").write_bytes(PNG_MAGIC)
    written = write_plots(frame([make_record("none", 0, 0.9), make_record("classic", 0, 0.91)]), tmp_path)
    assert [p.name for p in written] == ["cost-mnist-mnist-idx-quick.png"]
    assert not (tmp_path / "robustness-mnist-mnist-idx-quick.png").exists()


def test_pareto_front():
    cost = np.array([1.0, 2.0, 3.0, 2.5, 4.0])
    acc = np.array([0.5, 0.7, 0.6, 0.8, 0.8])
    assert pareto_front(cost, acc).tolist() == [0, 1, 3]


def test_empty_store_still_writes_a_page(tmp_path):
    page = write_html(build(frame([])), tmp_path / "none", tmp_path / "report.html").read_text()
    assert "No runs in the store yet" in page


def _figure(rows, name: str):
    return dict(figures(rows))[name]


def _method_lines(ax) -> dict:
    return {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_learning_curves_one_line_per_method_with_labels_and_legend():
    rows = frame(scarce_records())
    figure = _figure(rows, "learning-cifar10-cifar10-jpeg-quick-n1000")
    ax = figure.axes[0]
    lines = _method_lines(ax)
    assert sorted(lines) == ["classic †", "none", "vae"]  # classic: 2 of its seeds not converged
    assert ax.get_xlabel() == "epoch" and ax.get_ylabel() == "val acc %"
    assert "cifar10" in ax.get_title() and "1000 train examples" in ax.get_title()
    legend = figure.legends[0]
    assert [t.get_text() for t in legend.get_texts()] == ["classic †", "none", "vae"]
    assert "not converged" in legend.get_title().get_text()
    # the mean over seeds of the stored curves, in percent, one point per epoch
    curves = [json.loads(r.val_curve) for r in scarce_records() if (r.task, r.method, r.n_train) == ("cifar10", "none", 1000)]
    assert list(lines["none"].get_xdata()) == list(range(1, 11))
    np.testing.assert_allclose(lines["none"].get_ydata(), 100 * np.mean(curves, axis=0))
    # the seed that stopped early is marked at the epoch whose weights it kept
    later = _figure(rows, "learning-cifar10-cifar10-jpeg-quick-n2500").axes[0]
    assert "vae ‡" in _method_lines(later)
    assert [(m.get_marker(), list(m.get_xdata())) for m in later.get_lines() if m.get_marker() == "x"] == [("x", [7])]


def test_efficiency_plot_comes_first_with_training_examples_on_x(tmp_path):
    rows = frame(scarce_records())
    written = write_plots(rows, tmp_path / "plots")
    assert [p.name.split("-")[0] for p in written[:2]] == ["efficiency", "efficiency"]
    assert {p.name.split("-")[0] for p in written} == {"efficiency", "learning", "cost", "robustness", "corruptions"}
    for png in written:
        assert_valid_plot(png)
    html = write_html(build(rows), tmp_path / "plots", tmp_path / "report.html").read_text()
    assert re.findall(r'<img alt="([a-z]+)-', html)[:2] == ["efficiency", "efficiency"]
    assert html.index("Data efficiency") < html.index("Learning curves") < html.index("Accuracy vs cost")
    ax = _figure(rows, "efficiency-cifar10-cifar10-jpeg-quick").axes[0]
    lines = _method_lines(ax)
    assert sorted(lines) == ["classic", "none", "vae"]
    assert all(list(line.get_xdata()) == [1000, 2500] for line in lines.values())
    assert ax.get_xlabel() == "training examples (n_train)" and ax.get_xscale() == "linear"  # 2.5x: linear
    assert len(ax.collections) == 3  # a 95% band per method (3 seeds)


def test_efficiency_uses_a_log_axis_over_wide_sizes_and_clips_bands_to_percent():
    # 0.95-0.999 over 3 seeds: the t-interval reaches past 100%, accuracy cannot.
    rows = frame([make_record(m, s, a, fraction=n / 8000, n_train=n)
                  for m in ("none", "classic") for n in (500, 8000) for s, a in enumerate((0.95, 0.99, 0.999))])
    ax = _figure(rows, "efficiency-mnist-mnist-idx-quick").axes[0]
    assert ax.get_xscale() == "log"
    bands = [v for band in ax.collections for path in band.get_paths() for v in path.vertices[:, 1]]
    assert bands and max(bands) <= 100.0 and min(bands) < 95.0


def test_each_method_keeps_its_colour_and_marker_in_every_plot():
    rows = frame(scarce_records())
    alone = frame([r for r in scarce_records() if r.method == "vae"])
    for figure in (_figure(rows, "efficiency-mnist-mnist-idx-quick"), _figure(rows, "learning-mnist-mnist-idx-quick-n500"),
                   _figure(alone, "learning-mnist-mnist-idx-quick-n500")):
        for label, line in _method_lines(figure.axes[0]).items():
            assert (to_hex(line.get_color()), line.get_marker()) == method_style(label.split()[0])
    assert len({method_style(m) for m in ("none", "classic", "vae", "gan", "wgan_gp", "adversarial")}) == 6
    assert method_style("some_removed_method") == method_style("some_removed_method")


def test_rows_without_validation_curves_draw_no_learning_plot(tmp_path):
    rows = [make_record(m, 0, 0.9, fraction=f, n_train=n) for m in ("none", "classic") for f, n in ((0.5, 30000), (1.0, 60000))]
    rows += [make_record("none", 1, 0.9, fraction=0.5, n_train=30000, val_curve="[0.9]")]  # one epoch: a point, not a curve
    written = write_plots(frame(rows), tmp_path)
    assert [p.name for p in written] == ["efficiency-mnist-mnist-idx-quick.png", "cost-mnist-mnist-idx-quick.png"]
