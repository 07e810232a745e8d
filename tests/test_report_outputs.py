"""`augbench report` end to end: markdown, PNG/SVG plots and the self-contained HTML, from a real smoke
store and from hand-made rows that carry robustness and corruption metrics."""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from bench.cli import main
from bench.reporting.html_report import write_html
from bench.reporting.plots import pareto_front, write_plots
from bench.reporting.leaderboard import build
from bench.results.store import Store
from fixture_records import frame, make_record

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
        run_ids = store.frame()["run_id"]
    for run_id in run_ids:  # every cell of the store is listed, in both
        assert run_id[:12] in markdown and run_id[:12] in html
    plots = sorted(p.name for p in (smoke_report / "plots").glob("*.png"))
    made = ["corruptions-mnist-mnist-idx-smoke.png", "cost-mnist-mnist-idx-smoke.png",
            "efficiency-mnist-mnist-idx-smoke.png", "robustness-mnist-mnist-idx-smoke.png"]
    assert plots == made + ["samples-mnist-fake.png"]
    for name in made:
        assert_valid_plot(smoke_report / "plots" / name)


def test_html_is_self_contained_and_embeds_every_png(smoke_report):
    html = (smoke_report / "report.html").read_text()
    assert not re.search(r'(src|href)="(?!data:)', html)  # nothing to fetch: readable from disk, no server
    assert html.count('src="data:image/png;base64,') == 5 and "Generator samples" in html
    assert html.count("<table>") == 3  # fraction 0.5, fraction 1, all cells
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


def _browser() -> str | None:
    return next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)


@pytest.mark.skipif(_browser() is None, reason="no headless chromium: apt-get install chromium (see README)")
def test_report_renders_in_a_headless_browser(smoke_report, tmp_path):
    """The page renders its tables and images in a real browser (DOM dump and a screenshot)."""
    browser, page = _browser(), (smoke_report / "report.html").resolve().as_uri()
    # No network here: background networking would only produce refused connections.
    common = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", f"--user-data-dir={tmp_path / 'profile'}"]
    dom = subprocess.run(common + ["--dump-dom", page], capture_output=True, text=True, timeout=120).stdout
    assert dom.count("<table>") == 3 and dom.count("<img") == 5
    shot = tmp_path / "report.png"
    subprocess.run(common + [f"--screenshot={shot}", "--window-size=1280,2000", page], capture_output=True, timeout=120)
    assert shot.read_bytes().startswith(PNG_MAGIC)
