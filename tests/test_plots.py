"""What each plot kind shows, read from the matplotlib figures themselves: the y = x line of the robustness
plot, sorted corruption bars with `none` marked, markers and light bands of the data-efficiency lines,
learning curves from the validation curves, legend colours from `method_style`, intervals clipped to
0-100% and marked when they rest on fewer than 3 seeds, no two texts overlapping (on the real quick
baseline too), and the generator sample figures (class-named rows, spectrogram orientation, feature
projections)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from matplotlib.colors import to_hex
from matplotlib.container import BarContainer, ErrorbarContainer
from matplotlib.text import Text

from augbench.cli import main
from augbench.results.export import read_rows
from augbench.results.store import Store
from augbench.reporting.leaderboard import summarize
from augbench.reporting.plots import figures, method_style
from augbench.reporting.sample_grids import PAD, class_names, feature_projection, image_grid, sample_figures
from fixture_records import frame, make_record, scarce_records

BASELINE_JSON = Path(__file__).resolve().parent.parent / "results" / "baselines" / "quick-cpu.json"


def _figure(rows, name: str):
    return dict(figures(rows))[name]


def _few_seed_rows():
    """The scarce grid with vae down to 2 seeds and classic to 1 seed at the larger size of each task."""
    return frame([r for r in scarce_records()
                  if not (r.method == "vae" and r.seed == 2)
                  and not (r.method == "classic" and r.seed > 0 and r.n_train in (2000, 2500))])


def _drawn_texts(figure) -> list[tuple[str, object]]:
    """(text, window extent) of every non-empty text the figure draws: titles, axis labels, legend
    entries and the tick labels inside each axis' view."""
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    ticks, shown = set(), []
    for ax in figure.axes:
        for axis in (ax.xaxis, ax.yaxis):
            low, high = sorted(axis.get_view_interval())
            for minor in (False, True):
                locs = axis.get_minorticklocs() if minor else axis.get_majorticklocs()
                for tick, loc in zip(axis.get_minor_ticks(len(locs)) if minor else axis.get_major_ticks(len(locs)), locs):
                    ticks.update((id(tick.label1), id(tick.label2)))
                    if low - 1e-9 <= loc <= high + 1e-9 and tick.label1.get_visible() and tick.label1.get_text():
                        shown.append(tick.label1)
    shown += [t for t in figure.findobj(Text) if id(t) not in ticks and t.get_visible() and t.get_text().strip()]
    return [(t.get_text(), t.get_window_extent(renderer)) for t in shown]


def overlapping_texts(figure) -> list[tuple[str, str]]:
    boxes = _drawn_texts(figure)
    return [(a, b) for (a, box_a), (b, box_b) in itertools.combinations(boxes, 2)
            if box_a.width and box_b.width and box_a.overlaps(box_b)]


def _legend_colours(legend) -> dict[str, str]:
    """Legend entry text -> the hex colour of its handle (line, marker or error bar)."""
    colours = {}
    for handle, text in zip(legend.legend_handles, legend.get_texts()):
        colour = handle.get_color() if hasattr(handle, "get_color") else handle.get_edgecolor()
        colours[text.get_text()] = to_hex(colour[0] if np.ndim(colour) == 2 else colour)
    return colours


def _error_segments(ax) -> np.ndarray:
    """Every error-bar segment's end points (x, y) in the axes' data."""
    ends = [seg for c in ax.containers if isinstance(c, ErrorbarContainer)
            for bars in c.lines[2] for seg in bars.get_segments() if len(seg)]
    return np.vstack(ends) if ends else np.empty((0, 2))


# --- data efficiency --------------------------------------------------------------------------------


def test_efficiency_lines_have_markers_light_clipped_bands_and_mark_few_seeds():
    rows = _few_seed_rows()
    figure = _figure(rows, "efficiency-cifar10-cifar10-jpeg-quick")
    ax = figure.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert sorted(lines) == ["classic (1 seed: no interval)", "none", "vae (2 seeds: wide interval)"]
    for label, line in lines.items():
        method = label.split()[0]
        assert (to_hex(line.get_color()), line.get_marker()) == method_style(method)
        assert list(line.get_xdata()) == [1000, 2500]
    colours = _legend_colours(figure.legends[0])
    assert colours == {label: method_style(label.split()[0])[0] for label in lines}
    assert "hatched: < 3 seeds" in figure.legends[0].get_title().get_text()
    bands = list(ax.collections)
    assert all(c.get_alpha() <= 0.3 for c in bands)  # light
    assert any(c.get_hatch() for c in bands)  # vae's 2-seed band
    ys = np.concatenate([p.vertices[:, 1] for c in bands for p in c.get_paths()])
    assert ys.min() >= 0 and ys.max() <= 100


def test_efficiency_bands_clip_to_100_percent():
    rows = frame([make_record(m, s, a, fraction=n / 8000, n_train=n)
                  for m in ("none", "classic") for n in (500, 8000) for s, a in enumerate((0.95, 0.99, 0.999))])
    ax = _figure(rows, "efficiency-mnist-mnist-idx-quick").axes[0]
    ys = np.concatenate([p.vertices[:, 1] for c in ax.collections for p in c.get_paths()])
    assert ys.max() == pytest.approx(100.0) and ys.min() < 95


# --- learning curves ------------------------------------------------------------------------------


def test_learning_curves_are_the_mean_validation_curves_with_method_colours():
    rows = _few_seed_rows()
    figure = _figure(rows, "learning-mnist-mnist-idx-quick-n2000")
    ax = figure.axes[0]
    lines = {line.get_label(): line for line in ax.get_lines() if not line.get_label().startswith("_")}
    assert sorted(lines) == ["classic (1 seed: no band)", "none", "vae (2 seeds)"]
    curves = [json.loads(r.val_curve) for r in scarce_records() if (r.task, r.method, r.n_train) == ("mnist", "none", 2000)]
    np.testing.assert_allclose(lines["none"].get_ydata(), 100 * np.mean(curves, axis=0))
    assert _legend_colours(figure.legends[0]) == {label: method_style(label.split()[0])[0] for label in lines}
    assert ax.get_xlabel() == "epoch" and "validation" in ax.get_title()


def test_learning_curves_join_the_measured_epochs_of_a_strided_validation_curve(recwarn):
    """Stored curves have null where validation was not measured (sweep.validation_epoch): the line joins
    the measured epochs (their mean over the seeds), the band covers them, and nothing warns."""
    import dataclasses

    def strided(record):
        curve = json.loads(record.val_curve)
        return dataclasses.replace(record, val_curve=json.dumps([v if e in (1, 4, len(curve) - 1, len(curve)) else None
                                                                 for e, v in enumerate(curve, start=1)]))

    records = [strided(r) for r in scarce_records() if (r.task, r.n_train) == ("mnist", 2000)]
    figure = _figure(frame(records), "learning-mnist-mnist-idx-quick-n2000")
    line = next(line for line in figure.axes[0].get_lines() if line.get_label() == "none")
    curves = [json.loads(r.val_curve) for r in records if r.method == "none"]
    epochs = [e for e, v in enumerate(curves[0], start=1) if v is not None]
    assert list(line.get_xdata()) == epochs
    np.testing.assert_allclose(line.get_ydata(), [100 * np.mean([c[e - 1] for c in curves]) for e in epochs])
    assert not [w for w in recwarn if issubclass(w.category, RuntimeWarning)]


# --- cost -----------------------------------------------------------------------------------------


def test_cost_plot_keys_sizes_in_a_legend_not_beside_points():
    rows = frame(scarce_records())
    figure = _figure(rows, "cost-cifar10-cifar10-jpeg-quick")
    ax = figure.axes[0]
    assert not ax.texts  # no annotations to collide
    methods, sizes = figure.legends
    assert sizes.get_title().get_text() == "training examples"
    assert [t.get_text() for t in sizes.get_texts()] == ["n=1000", "n=2500"]
    colours = _legend_colours(methods)
    assert colours.pop("Pareto front") and colours == {m: method_style(m)[0] for m in ("classic", "none", "vae")}
    # a point per (method, size) in the method's colour and marker: the smaller size small and open, the larger filled
    points = [c.lines[0] for c in ax.containers]
    assert len(points) == 6
    largest = max(p.get_markersize() for p in points)
    for point in points:
        assert (to_hex(point.get_color()), point.get_marker()) in {method_style(m) for m in ("classic", "none", "vae")}
        assert (point.get_markerfacecolor() != "white") == (point.get_markersize() == largest)


# --- robustness -----------------------------------------------------------------------------------


def test_robustness_plot_draws_y_equals_x_across_the_limits_and_clips_bars():
    rows = _few_seed_rows()
    figure = _figure(rows, "robustness-cifar10-cifar10-jpeg-quick")
    ax = figure.axes[0]
    diagonal = [line for line in ax.get_lines() if line.get_label().startswith("y = x")]
    assert len(diagonal) == 1 and diagonal[0].get_linestyle() == "--"
    x, y = diagonal[0].get_xdata(), diagonal[0].get_ydata()
    np.testing.assert_allclose(x, ax.get_xlim())
    np.testing.assert_allclose(y, x)
    low, high = ax.get_ylim()
    assert low <= x[0] and high >= x[-1]  # the whole line is in view
    points = np.array([c.lines[0].get_xydata()[0] for c in ax.containers])
    assert (points[:, 1] <= points[:, 0]).all()  # every point under the line
    ends = _error_segments(ax)
    assert ends.min() >= 0 and ends.max() <= 100
    legend = figure.legends[0]
    assert "y = x (an attack cannot exceed clean)" in [t.get_text() for t in legend.get_texts()]
    assert "vae (2 seeds: wide interval)" in [t.get_text() for t in legend.get_texts()]
    dashed = [c for c in ax.containers if c.get_label().startswith("vae")]
    assert all(ls[1] is not None for c in dashed for bars in c.lines[2] for ls in bars.get_linestyles())


def test_error_bars_are_clipped_to_percent():
    # 0.95-0.999 over 3 seeds: the t-interval reaches past 100%.
    rows = frame([make_record(m, s, a, pgd_acc=a - 0.5) for m in ("none", "classic") for s, a in enumerate((0.95, 0.99, 0.999))])
    for name, clean in (("robustness-mnist-mnist-idx-quick", 0), ("cost-mnist-mnist-idx-quick", 1)):  # clean acc on x, on y
        ends = _error_segments(_figure(rows, name).axes[0])
        assert ends[:, clean].max() == pytest.approx(100.0) and ends.min() >= 0


# --- corruptions ----------------------------------------------------------------------------------


def test_corruption_bars_sorted_best_on_top_with_none_marked():
    rows = _few_seed_rows()
    figure = _figure(rows, "corruptions-mnist-mnist-idx-quick")
    ax = figure.axes[0]
    bars = next(c for c in ax.containers if isinstance(c, BarContainer)).patches
    widths = [b.get_width() for b in bars]
    assert widths == sorted(widths)  # barh draws from the bottom: the best is on top
    labels = [t.get_text() for t in ax.get_yticklabels()]
    means = summarize(rows).query("task == 'mnist' and fraction == 1").set_index("label")["corruption_acc_mean"]
    assert [label.split()[0] for label in labels] == list(means.sort_values().index)
    hatched = [label for bar, label in zip(bars, labels) if bar.get_hatch()]
    assert hatched == ["none"]
    none_value = widths[labels.index("none")]
    references = [line for line in ax.get_lines() if line.get_label().startswith("none")]
    assert len(references) == 1 and list(references[0].get_xdata()) == [none_value, none_value]
    for bar, label in zip(bars, labels):
        if bar.get_hatch() is None:
            assert to_hex(bar.get_facecolor()) == method_style(label.split()[0])[0]
    assert "vae (2 seeds: wide interval)" in labels and "classic (1 seed: no interval)" in labels
    ends = _error_segments(ax)
    assert ends.min() >= 0 and ends.max() <= 100


# --- no text collides -----------------------------------------------------------------------------


def test_no_two_texts_overlap_in_any_plot_of_the_fixture_grid():
    for stem, figure in figures(_few_seed_rows()):
        assert overlapping_texts(figure) == [], stem


@pytest.mark.skipif(not BASELINE_JSON.exists(), reason="no published quick baseline")
def test_no_two_texts_overlap_in_any_plot_of_the_real_baseline():
    drawn = figures(read_rows(BASELINE_JSON))
    # "eps": the image rows ran AutoAttack (the quick profile's image default), so their tables draw the radius curves
    assert {stem.split("-")[0] for stem, _ in drawn} == {"efficiency", "learning", "cost", "robustness", "corruptions", "exchange",
                                                         "quality", "eps"}
    assert {stem for stem, _ in drawn if stem.startswith("eps-")} >= {"eps-mnist-mnist-idx-quick-n600", "eps-cifar10-cifar10-jpeg-quick-n500"}
    for stem, figure in drawn:
        assert overlapping_texts(figure) == [], stem


def test_the_overlap_check_sees_overlapping_labels():
    figure = _figure(frame(scarce_records()), "cost-mnist-mnist-idx-quick")
    ax = figure.axes[0]
    ax.annotate("n=500", (10, 95))
    ax.annotate("n=2000", (10, 95))
    assert ("n=500", "n=2000") in overlapping_texts(figure)


# --- generator samples ----------------------------------------------------------------------------


def _task(**fields) -> SimpleNamespace:
    base = dict(name="stub", modality="image", num_classes=3, input_shape=(1, 4, 6), input_range=(0.0, 1.0))
    return SimpleNamespace(**{**base, **fields})


def test_image_grid_names_each_class_row():
    task = _task(class_names=("cat", "dog", "eel"))
    samples = torch.rand(3 * 5, 1, 4, 6)
    ax = image_grid(samples, task, "stub / vae").axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["cat", "dog", "eel"]
    assert list(ax.get_yticks()) == [PAD + c * (4 + PAD) + 1.5 for c in range(3)]  # each row's centre
    assert class_names(_task()) == ["0", "1", "2"]  # no names declared: the label indices


def test_spectrogram_grid_puts_low_mel_bands_at_the_bottom():
    task = _task(modality="audio", num_classes=1, input_range=None)
    samples = torch.zeros(1, 1, 4, 6)
    samples[:, :, 0] = 5.0  # mel band 0, the lowest frequency, is loud
    ax = image_grid(samples, task, "stub / vae").axes[0]
    image = np.asarray(ax.images[0].get_array())
    rows = image[PAD:PAD + 4, PAD:PAD + 6]
    assert rows[-1].mean() > rows[0].mean()  # drawn at the bottom of the map
    assert "mel" in ax.get_xlabel()


def test_feature_projection_puts_each_class_in_its_own_panel():
    rng = np.random.default_rng(0)
    centres = rng.normal(0, 3, (3, 12))
    real_y = np.repeat(np.arange(3), 60)
    real_x = centres[real_y] + rng.normal(0, 1, (180, 12))
    fake_y = np.repeat(np.arange(3), 20)
    fake_x = centres[fake_y] + rng.normal(0, 1, (60, 12))
    figure = feature_projection(real_x, real_y, fake_x, fake_y, _task(input_shape=(12,), class_names=("a", "b", "c")),
                                "vae", "blobs / vae")
    panels = [ax for ax in figure.axes if ax.get_visible()]
    assert [ax.get_title() for ax in panels] == ["class a", "class b", "class c"]
    for c, ax in enumerate(panels):
        real_other, real_own, generated = (s.get_offsets() for s in ax.collections)
        assert len(real_own) == 60 and len(generated) == 20 and len(real_other) == 120
        assert to_hex(ax.collections[2].get_facecolor()[0]) == method_style("vae")[0]
        # a generator that matches the class lands on the class's real points
        assert np.linalg.norm(generated.mean(0) - real_own.mean(0)) < np.linalg.norm(generated.mean(0) - real_other.mean(0))
    assert "discriminant 1" in panels[-1].get_xlabel()
    two = feature_projection(real_x[real_y < 2], real_y[real_y < 2], fake_x[fake_y < 2], fake_y[fake_y < 2],
                             _task(input_shape=(12,), num_classes=2), "gan", "two classes")
    assert two.axes[0].get_ylabel() == "density"  # one discriminant: histograms


def test_sample_figures_from_a_real_smoke_store(tmp_path, monkeypatch, data_root):
    """A text task's generator is drawn as a projection with real features, an image task's as a grid."""
    monkeypatch.setenv("AUGBENCH_CACHE", str(tmp_path / "cache"))
    store = tmp_path / "runs.sqlite"
    assert main(["run", "--profile", "smoke", "--tasks", "trec,mnist", "--methods", "vae", "--seeds", "1",
                 "--fractions", "0.5", "--store", str(store), "--device", "cpu", "--no-progress"]) == 0
    with Store(store) as opened:
        rows = opened.frame()
    drawn = dict(sample_figures(rows, tmp_path / "cache"))
    assert sorted(drawn) == ["samples-mnist-vae", "samples-trec-vae"]
    assert [t.get_text() for t in drawn["samples-mnist-vae"].axes[0].get_yticklabels()] == [str(d) for d in range(10)]
    assert len([ax for ax in drawn["samples-trec-vae"].axes if ax.get_visible()]) == 6
    for stem, figure in drawn.items():
        assert overlapping_texts(figure) == [], stem


def _aa_json(curve: list[float], eps: float = 0.3) -> str:
    radii = [0.0, 0.25 * eps, 0.5 * eps, eps, 1.5 * eps, 2 * eps]
    return json.dumps({"eps": eps, "eps_curve": [[r, a] for r, a in zip(radii, curve)]})


def test_eps_curves_plot_the_mean_over_seeds_per_method_and_mark_the_tasks_eps():
    rows = [make_record("none", s, 0.98, aa_json=_aa_json([0.98, 0.5, 0.1, 0.0, 0.0, 0.0])) for s in range(3)]
    rows += [make_record("adversarial", s, 0.97, aa_json=_aa_json([0.97, 0.9, 0.8, 0.5 + 0.02 * s, 0.1, 0.0]))
             for s in range(3)]
    rows.append(make_record("classic", 0, 0.99))  # ran no AutoAttack: no curve
    drawn = dict(figures(frame(rows)))
    stems = [stem for stem in drawn if stem.startswith("eps-")]
    assert stems == ["eps-mnist-mnist-idx-quick-n60000"]
    ax = drawn[stems[0]].axes[0]
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert set(lines) == {"none", "adversarial", "the task's eps (0.3)"}
    assert np.allclose(lines["adversarial"].get_ydata(), [97, 90, 80, 52, 10, 0])
    assert np.allclose(lines["the task's eps (0.3)"].get_xdata(), [0.3, 0.3])
    assert overlapping_texts(drawn[stems[0]]) == []
    assert not any(stem.startswith("eps-") for stem, _ in figures(frame([make_record("none", 0, 0.98)])))
