"""The HTML report as a person sees it: the committed baseline's report opened in a real Chromium (Playwright) at a
laptop's viewport, checked for what a reader would notice (the summary above the fold, broken images, script
errors, dead links, anything fetched from elsewhere), with screenshots kept for a look."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn
from urllib.parse import unquote, urljoin, urlparse
from urllib.request import url2pathname

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

REPO = Path(__file__).resolve().parent.parent
BASELINE = "results/baselines/quick-cpu.json"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
VIEWPORT = {"width": 1280, "height": 800}  # a laptop screen: what "above the fold" means here
SUMMARY_HEADING = "Summary across tasks"
SUMMARY_ROWS_ABOVE_FOLD = 5  # the leaders of the summary, seen without scrolling (14 fit at 1280 x 800 today)
BROWSERS = ("chromium", "chromium-browser", "google-chrome")
INSTALL_CHROMIUM = "install it with `apt-get install chromium` (or set AUGBENCH_CHROMIUM to a Chromium binary)"


def _unavailable(reason: str, fix: str) -> NoReturn:
    """Fail where CI promised a browser (AUGBENCH_REQUIRE_BROWSER=1, set by .ci/run), else skip.

    Without the promise a laptop without Chromium still runs the rest of the suite; with it, a CI image that
    lost its browser fails here instead of passing with the page never opened.
    """
    if os.environ.get("AUGBENCH_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{reason}: {fix}", pytrace=False)
    pytest.skip(f"{reason}: {fix}")


def find_chromium() -> str | None:
    """AUGBENCH_CHROMIUM (a path or a name on PATH) when set, else the first Chromium-like browser on PATH."""
    chosen = os.environ.get("AUGBENCH_CHROMIUM")
    if chosen:
        return shutil.which(chosen) or (chosen if Path(chosen).is_file() else None)
    return next((found for name in BROWSERS if (found := shutil.which(name))), None)


@dataclass
class PageLog:
    """What the browser reported while the page loaded and ran: each entry is one line for a failure message."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)


def open_page(browser: Browser, path: Path) -> tuple[Page, PageLog]:
    """Open `path` (file:// URI) in a fresh page at VIEWPORT, listening before navigation so nothing is missed.

    Returns:
        (page, log): the page after its load event (every eager image fetched and decoded or failed) and the
        browser's console errors, uncaught exceptions and failed requests so far (the log keeps filling).
    """
    page = browser.new_page(viewport=VIEWPORT)
    # The page is 7 MB of inline PNGs and CI shares its cores with the reference check: allow a slow load
    # rather than fail on Playwright's 30 s default.
    page.set_default_timeout(180_000)
    log = PageLog()
    page.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: log.page_errors.append(str(exc)))
    page.on("requestfailed", lambda req: log.failed_requests.append(f"{req.url[:120]} ({req.failure})"))
    page.goto(path.resolve().as_uri(), wait_until="load")
    return page, log


def log_problems(log: PageLog) -> list[str]:
    """Console errors, uncaught script errors and failed requests: each is something broken a reader may not see."""
    return ([f"console error: {text}" for text in log.console_errors]
            + [f"page error: {text}" for text in log.page_errors]
            + [f"request failed: {text}" for text in log.failed_requests])


def image_problems(page: Page) -> list[str]:
    """Every <img> that did not load: not complete, or no pixels (naturalWidth 0, what a missing file gives).

    The load event waited for every eager image; one the page defers (loading="lazy") loads when scrolled near,
    so each still incomplete is scrolled into view first, as a reader scrolling down would do.
    """
    images = page.locator("img")
    for index in page.evaluate("() => [...document.images].flatMap((img, i) => img.complete ? [] : [i])"):
        images.nth(index).scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.images].every(img => img.complete)")  # loaded, or failed
    page.evaluate("window.scrollTo(0, 0)")
    broken = page.evaluate("""() => [...document.images].filter(img => img.naturalWidth === 0)
                                      .map(img => (img.alt || "(no alt)") + " <- " + img.src.slice(0, 120))""")
    return [f"image not loaded: {text}" for text in broken]


def link_problems(page: Page) -> list[str]:
    """Every <a href> that goes nowhere: a #id that no element (or more than one) carries, a relative or file:
    link to a missing file, or a network link (the report is read from disk, offline: it links to nothing outside).
    """
    links = page.eval_on_selector_all("a[href]", "links => links.map(a => a.getAttribute('href'))")
    problems = []
    for href in links:
        if href.startswith("#"):
            target = unquote(href[1:])
            count = page.evaluate("id => document.querySelectorAll(`[id=\"${CSS.escape(id)}\"]`).length", target)
            if count != 1:
                problems.append(f"link {href}: {count} elements have id {target!r}, expected exactly 1")
            continue
        url = urlparse(urljoin(page.url, href))
        if url.scheme != "file":
            problems.append(f"link {href}: a {url.scheme} link, the report must work offline")
        elif not Path(url2pathname(url.path)).exists():
            problems.append(f"link {href}: no file {url2pathname(url.path)}")
    return problems


def resource_problems(page: Page) -> list[str]:
    """Every resource the page would fetch instead of carrying it: a src, srcset, poster, <object data> or
    <link href> that is not a data: URI. The report is one self-contained file (mail it, open it offline)."""
    found = page.evaluate("""() => {
        const fetched = [];
        const attributes = {"*": ["src", "srcset", "poster"], "OBJECT": ["data"], "LINK": ["href"]};
        for (const el of document.querySelectorAll("[src], [srcset], [poster], object[data], link[href]")) {
            for (const attr of attributes["*"].concat(attributes[el.tagName] || [])) {
                const value = el.getAttribute(attr);
                if (value !== null && !value.trim().startsWith("data:"))
                    fetched.push(`<${el.tagName.toLowerCase()} ${attr}="${value.slice(0, 120)}">`);
            }
        }
        return fetched;
    }""")
    return [f"fetched, not embedded: {text}" for text in found]


def fold_problems(page: Page, rows: int = SUMMARY_ROWS_ABOVE_FOLD) -> list[str]:
    """What a reader sees without scrolling: the first table after the page's <h1> is the summary (the nearest
    heading before it names it), it is visible, and its top edge, its header row and its first `rows` body rows
    lie above the fold (within the viewport's height, the page scrolled to the top)."""
    page.evaluate("window.scrollTo(0, 0)")
    table = page.locator("xpath=//h1/following::table[1]")
    if table.count() == 0:
        return ["no <table> after the <h1>"]
    heading = table.locator("xpath=preceding::*[self::h2 or self::h3][1]")
    heading_text = heading.inner_text() if heading.count() else ""
    problems = [] if SUMMARY_HEADING in heading_text else [
        f"the first table's heading is {heading_text!r}, expected one containing {SUMMARY_HEADING!r}"]
    if not table.is_visible():
        return problems + ["the summary table is not visible"]
    fold = VIEWPORT["height"]
    if (top := table.bounding_box()["y"]) >= fold:
        problems.append(f"the summary table starts at y={top:.0f}, below the fold ({fold})")
    header = table.locator("thead tr").first
    if header.count() == 0 or not header.is_visible():
        problems.append("the summary table has no visible header row")
    elif (box := header.bounding_box())["y"] + box["height"] > fold:
        problems.append(f"the summary's header row ends at y={box['y'] + box['height']:.0f}, below the fold ({fold})")
    body = table.locator("tbody tr")
    if body.count() < rows:
        problems.append(f"the summary table has {body.count()} body rows, expected at least {rows}")
    else:
        last = body.nth(rows - 1).bounding_box()
        if last["y"] + last["height"] > fold:
            problems.append(f"the summary's body row {rows} ends at y={last['y'] + last['height']:.0f}, "
                            f"below the fold ({fold})")
    return problems


def screenshots(page: Page, folder: Path) -> list[Path]:
    """The whole page and what a reader sees first (the viewport, scrolled to the top), as PNG files in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    full, fold = folder / "report-full.png", folder / "report-above-the-fold.png"
    page.screenshot(path=str(full), full_page=True)
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=str(fold))
    return [full, fold]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """The system's Chromium, driven by Playwright (whose own browser download is not used: CI installs
    Chromium from the distribution's packages, see .ci/run)."""
    executable, chosen = find_chromium(), os.environ.get("AUGBENCH_CHROMIUM")
    if executable is None and chosen:
        _unavailable(f"AUGBENCH_CHROMIUM={chosen} is neither a file nor a command on PATH", INSTALL_CHROMIUM)
    if executable is None:
        _unavailable(f"no Chromium: none of {', '.join(BROWSERS)} is on PATH", INSTALL_CHROMIUM)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        sync_playwright = None  # reported below, outside the except: one line, no chained traceback
    if sync_playwright is None:
        _unavailable("playwright is not importable", "it is in the lock (dev extra): reinstall with `make venv`")
    with sync_playwright() as playwright:
        # No sandbox: CI and containers run as root, where Chromium's sandbox refuses to start; the pages
        # opened are our own files.
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def baseline_report(tmp_path_factory) -> Path:
    """The HTML report of the committed baseline, made as a user makes it: `python -m bench report` from the
    repository root, plots included (sample grids too where results/cache holds the generators: a clean clone
    has none, and nothing below depends on them)."""
    out = tmp_path_factory.mktemp("baseline-report")
    # One torch thread, as everywhere in the suite: the report draws with matplotlib, and the cores are shared.
    done = subprocess.run([sys.executable, "-m", "bench", "report", "--store", BASELINE,
                           "--output", str(out / "leaderboard.md")],
                          cwd=REPO, env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True)
    assert done.returncode == 0, f"augbench report failed:\n{done.stdout}\n{done.stderr[-3000:]}"
    return out / "report.html"


def _artifacts(tmp_path: Path) -> Path:
    """AUGBENCH_ARTIFACTS (CI keeps it, .ci/run sets it) when set, else the test's own temporary folder."""
    chosen = os.environ.get("AUGBENCH_ARTIFACTS")
    return Path(chosen) if chosen else tmp_path


BROKEN_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>broken</title>
<link rel="stylesheet" href="style.css"></head><body>
<h1>broken</h1>
<div style="height: 1200px">a banner that pushes the summary below the fold</div>
<h2>Summary across tasks</h2>
<table><thead><tr><th>method</th></tr></thead><tbody><tr><td>none</td></tr></tbody></table>
<img alt="missing" src="missing.png">
<p><a href="#nowhere">dead anchor</a> <a href="#twice">ambiguous anchor</a> <a href="no-such-file.html">dead file</a>
<a href="https://example.org/">network link</a> <a href="#fine">good anchor</a></p>
<p id="twice"></p><p id="twice"></p><p id="fine"></p>
<script>console.error("boom"); undefined_function();</script>
</body></html>
"""


# The summary's table under another heading, with rows so tall that the fifth ends below the fold, and an image
# the browser loads only when a reader scrolls near it (far below: 1,200 px of rows, then a 6,000 px gap).
TINY_PNG = "data:image/png;base64," + base64.b64encode((REPO / "tests" / "golden" / "tiny.png").read_bytes()).decode()
TALL_ROWS_PAGE = ("<!DOCTYPE html><title>tall</title><h1>tall</h1><h2>Per task</h2><table><thead><tr>"
                  "<th>method</th></tr></thead><tbody>" + '<tr style="height: 200px"><td>none</td></tr>' * 6
                  + "</tbody></table>"
                  f'<div style="height: 6000px"></div><img alt="lazy" loading="lazy" src="{TINY_PNG}">')


def test_each_check_reports_a_broken_page(browser, tmp_path):
    """The checks can fail: on a page with a missing image, a script error, dead links, a stylesheet fetched
    from a file and the summary below the fold, each check names what is wrong (and nothing that is right)."""
    (tmp_path / "broken.html").write_text(BROKEN_PAGE)
    (tmp_path / "tall.html").write_text(TALL_ROWS_PAGE)
    page, log = open_page(browser, tmp_path / "broken.html")
    try:
        assert image_problems(page) == [f"image not loaded: missing <- {(tmp_path / 'missing.png').as_uri()}"]
        assert link_problems(page) == [
            "link #nowhere: 0 elements have id 'nowhere', expected exactly 1",
            "link #twice: 2 elements have id 'twice', expected exactly 1",
            f"link no-such-file.html: no file {tmp_path / 'no-such-file.html'}",
            "link https://example.org/: a https link, the report must work offline"]
        assert resource_problems(page) == ['fetched, not embedded: <link href="style.css">',
                                           'fetched, not embedded: <img src="missing.png">']
        # where each row lies depends on the fonts installed: the checks name the row, the test matches the start
        assert [p.split(" at y=")[0] for p in fold_problems(page)] == [
            "the summary table starts", "the summary's header row ends",
            "the summary table has 1 body rows, expected at least 5"]
        logged = log_problems(log)
        assert {"console error: boom", "page error: undefined_function is not defined",
                f"request failed: {(tmp_path / 'missing.png').as_uri()} (net::ERR_FILE_NOT_FOUND)",
                f"request failed: {(tmp_path / 'style.css').as_uri()} (net::ERR_FILE_NOT_FOUND)"} <= set(logged)
    finally:
        page.close()
    page, log = open_page(browser, tmp_path / "tall.html")
    try:
        assert [p.split(" at y=")[0] for p in fold_problems(page)] == [
            "the first table's heading is 'Per task', expected one containing 'Summary across tasks'",
            "the summary's body row 5 ends"]
        assert not page.evaluate("document.images[0].complete")  # deferred, until scrolled near
        assert image_problems(page) == [] and log_problems(log) == []
    finally:
        page.close()


def test_baseline_report_in_a_browser(browser, baseline_report, tmp_path):
    """The committed baseline's report at 1280 x 800: titled, the summary and its leaders above the fold, every
    plot loaded, no script or load errors, every link resolving, nothing fetched from elsewhere; screenshots kept."""
    page, log = open_page(browser, baseline_report)
    try:
        # Screenshots first, so that a failing check below still leaves them to look at (CI keeps them).
        for shot in screenshots(page, _artifacts(tmp_path)):
            assert shot.read_bytes().startswith(PNG_MAGIC)
            print(f"screenshot: {shot.resolve()}")
        assert page.title() == "augbench report"
        assert page.locator("h1").first.inner_text() == "augbench report"
        assert page.locator("img").count() > 0  # the plots
        problems = {"above the fold": fold_problems(page), "images": image_problems(page),
                    "links": link_problems(page), "resources": resource_problems(page),
                    "browser log": log_problems(log)}  # last: the log covers all the checks made the page do
        assert problems == {check: [] for check in problems}  # on failure: every problem of every check at once
    finally:
        page.close()
