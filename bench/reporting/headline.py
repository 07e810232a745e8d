"""The README's headline table: the leaderboard's cross-task summary cut to what a newcomer reads first.

One row per method in the summary's order (best mean rank first): its clean-accuracy gain over `none` per task
at the smallest training-set size of the profile's default grid, its robust gain and its cost. It is made from
the same per-task lines as the leaderboard's summary (`leaderboard.overview`), so the two cannot disagree;
`augbench report --readme README.md` writes it between the README's markers, and a test checks the committed
README against the committed baseline.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import pandas as pd
from tabulate import tabulate

from bench.config.profiles import PROFILES
from bench.core.errors import UsageError
from bench.reporting.exchange import is_curve_row
from bench.reporting.leaderboard import BASELINE, Gain, overview, summarize
from bench.reporting.stats import ALPHA

START, END = "<!-- headline:start -->", "<!-- headline:end -->"


def _at_fraction(gains: tuple[Gain, ...], fraction: float) -> Gain | None:
    return next((g for g in gains if math.isclose(g.fraction, fraction)), None)


def headline_markdown(rows: pd.DataFrame, profile: str | None = None) -> str:
    """The headline table (markdown) with its one-line legend, for `profile` (default: the one with most rows).

    Raises:
        UsageError: no ok row of that profile, or no method with a gain over `none`.
    """
    ok = rows[(rows["status"] == "ok") & ~is_curve_row(rows)]
    if ok.empty:
        raise UsageError("no ok rows to make the headline table from")
    profile = profile or str(ok["profile"].value_counts().idxmax())
    summary = summarize(ok[ok["profile"] == profile])
    if summary.empty:
        raise UsageError(f"no ok rows of profile {profile!r} to make the headline table from")
    methods = sorted(overview(summary), key=lambda m: (m.mean_rank, m.label))
    columns = sorted({name for m in methods for name in m.gains})
    fractions = sorted({g.fraction for m in methods for gains in m.gains.values() for g in gains})
    defaults = PROFILES[profile].default_fractions if profile in PROFILES else fractions
    fraction = min(defaults)  # the scarce end of the grid `make bench` runs, which every method has
    sizes = {}
    for name in columns:
        found = {g.n_train for m in methods for g in m.gains.get(name, ()) if math.isclose(g.fraction, fraction)}
        sizes[name] = f"n={found.pop():,}" if len(found) == 1 and None not in found else f"fraction {fraction:g}"
    headers = ["method"] + [f"{name} ({sizes[name]})" for name in columns] + ["robust gain", "cost"]
    body = []
    for m in methods:
        if m.method == BASELINE:
            continue
        gains = [_at_fraction(m.gains.get(name, ()), fraction) for name in columns]
        if all(g is None for g in gains):
            continue  # measured only at other sizes (e.g. a third size of the text tasks)
        cells = ["–" if g is None else f"{100 * g.mean:+.1f}" + ("*" if g.significant else "") for g in gains]
        robust = "–" if math.isnan(m.robust_gain) else f"{100 * m.robust_gain:+.1f}"
        cost = "–" if math.isnan(m.cost) else f"{m.cost:.1f}x"
        body.append([m.label, *cells, robust, cost])
    if not body:
        raise UsageError(f"no method with a gain over `{BASELINE}` in profile {profile!r}")
    table = tabulate(body, headers=headers, tablefmt="github", disable_numparse=True)
    legend = (f"Clean-accuracy gain over `{BASELINE}` in points at the smallest size of the {profile} grid, paired by "
              f"seed (`*`: p < {ALPHA}, paired t-test; `–`: not measured there, the method not applying to the task or not run on it); robust gain: PGD accuracy "
              f"over `{BASELINE}`'s in points, mean over the tables that measured it; cost: total seconds over "
              f"`{BASELINE}`'s. Methods in the leaderboard's order (mean rank over every table).")
    return f"{table}\n\n{legend}\n"


def readme_block(text: str) -> str:
    """The headline text between the markers of a README.

    Raises:
        UsageError: the markers are missing or out of order.
    """
    match = re.search(re.escape(START) + r"\n(.*?)" + re.escape(END), text, re.S)
    if match is None:
        raise UsageError(f"no headline block in the README: add the lines {START} and {END}")
    return match.group(1)


def read_readme(path: str | Path) -> str:
    """The README's text, checked to hold a headline block.

    Raises:
        UsageError: the file is unreadable or has no headline block.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    readme_block(text)
    return text


def write_readme(path: str | Path, headline: str) -> Path:
    """Replace the headline block of the README at `path` with `headline`.

    Raises:
        UsageError: the file is unreadable or unwritable, or has no headline block.
    """
    path = Path(path)
    text = read_readme(path)
    old = readme_block(text)
    try:
        path.write_text(text.replace(f"{START}\n{old}{END}", f"{START}\n{headline}{END}", 1), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
