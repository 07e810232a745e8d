"""The HTML report: one self-contained file (tables, plots as base64 data, provenance) readable from disk.

It follows the markdown leaderboard's order (summary, how to read it, contents, tables, notes last) and embeds
every PNG in the plots folder, so images written there by other parts of augbench (the generator sample
grids, `samples-*.png`) appear without this module knowing about them.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import itertools
import re
from pathlib import Path

from augbench.core.errors import UsageError
from augbench.reporting.leaderboard import (CONTENTS, EXCHANGE_POINTER, GUIDE, NOTES, PROVENANCE, SUMMARY_POINTER,
                                         Leaderboard, Link, Table, contents, notes)
from augbench.reporting.plots import CAPTIONS, KINDS, plot_order

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 75em; padding: 0 1em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; }
th { background: #f0f0f0; }
th.num, td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #e3f1e6; }
.banner { background: #fff3cd; border: 1px solid #d9a400; padding: 0.6em 1em; font-weight: bold; }
figure { display: inline-block; margin: 0.5em; vertical-align: top; }
figure img { max-width: 36em; border: 1px solid #ddd; }
figcaption { font-size: 0.85em; color: #555; }
.legend { font-size: 0.85em; color: #444; margin: -1em 0 1.5em; }
.provenance { background: #f7f7f7; border: 1px solid #ddd; padding: 0.5em 1.5em; }
.notes li { margin: 0.3em 0; }
"""
PLOTS, SAMPLES = Link("Plots", "plots"), Link("Generator samples", "samples")


def _inline(text: str) -> str:
    """Escaped text with the notes' markdown `code` spans as <code> and `[text](#id)` links as <a>."""
    text = re.sub(r"`([^`]+)`", r"<code>\1</code>", html.escape(text))
    return re.sub(r"\[([^\]]+)\]\(#([\w-]+)\)", r'<a href="#\2">\1</a>', text)


def _heading(section: Link, level: int = 2) -> str:
    """A heading carrying the section's id (where it has one), the target of the Contents' links."""
    ident = f' id="{html.escape(section.anchor)}"' if section.anchor else ""
    return f"<h{level}{ident}>{html.escape(section.text)}</h{level}>"


def _cell(tag: str, text: str, numeric: bool, best: bool = False) -> str:
    classes = " ".join(c for c, on in (("num", numeric), ("best", best)) if on)
    content = f"<strong>{html.escape(text)}</strong>" if best else html.escape(text)
    return f'<{tag} class="{classes}">{content}</{tag}>' if classes else f"<{tag}>{content}</{tag}>"


def _legend(lines: list[str]) -> str:
    return "".join(f'\n<p class="legend">{_inline(line)}</p>' for line in lines)


def _table(table: Table, legend: bool = True) -> str:
    """A table with its numeric columns right-aligned and each column's best value bold (`Table.best`); its
    legend below it unless `legend` is False (the summary's and exchange table's are in the notes)."""
    numeric = set(table.numeric)
    head = "".join(_cell("th", h, c in numeric) for c, h in enumerate(table.headers))
    body = "\n".join("<tr>" + "".join(_cell("td", text, c in numeric, (r, c) in table.best) for c, text in enumerate(row))
                     + "</tr>" for r, row in enumerate(table.rows))
    return (_heading(Link(table.title, table.anchor)) + f"\n<table>\n<thead>\n<tr>{head}</tr>\n</thead>\n"
            f"<tbody>\n{body}\n</tbody>\n</table>" + (_legend(table.legend) if legend else ""))


def _figure(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    name = html.escape(path.stem)
    return f'<figure><img alt="{name}" src="data:image/png;base64,{data}"><figcaption>{name}</figcaption></figure>'


def _plots(images: list[Path]) -> str:
    """The plots section: one subsection per kind, in `KINDS` order (data efficiency first), others last."""
    parts = [_heading(PLOTS)]
    for rank, group in itertools.groupby(sorted(images, key=plot_order), key=lambda p: plot_order(p)[0]):
        heading = CAPTIONS[KINDS[rank]] if rank < len(KINDS) else "Other plots"
        parts.append(f"<h3>{html.escape(heading)}</h3>\n<div>" + "\n".join(_figure(p) for p in group) + "</div>")
    return "\n".join(parts)


def _contents(board: Leaderboard, extra: list[Link]) -> str:
    def links(found: list[Link]) -> str:
        return ", ".join(f'<a href="#{html.escape(link.anchor)}">{html.escape(link.text)}</a>' for link in found)

    items = "".join(f"<li>{html.escape(label)}: {links(found)}</li>" if label else f"<li>{links(found)}</li>"
                    for label, found in contents(board, extra))
    return f"{_heading(CONTENTS)}\n<ul>{items}</ul>"


def _notes(board: Leaderboard) -> str:
    parts = [_heading(NOTES)]
    for heading, lines in notes(board):
        parts.append(f'<h3>{html.escape(heading)}</h3>\n<ul class="notes">'
                     + "".join(f"<li>{_inline(line)}</li>" for line in lines) + "</ul>")
    return "\n".join(parts)


def render_html(board: Leaderboard, images: list[Path], generated_at: str | None = None) -> str:
    """The report page, in the markdown's order with the figures before provenance: summary, how to read it,
    contents, exchange rate, per-task tables, plots, generator samples, provenance, failed and all cells, notes.
    `images` are PNG files to embed, plots in report order (data efficiency first); `samples-*` ones get their
    own section."""
    generated_at = generated_at or dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>augbench report</title>", f"<style>{_STYLE}</style></head><body>", "<h1>augbench report</h1>"]
    parts += [f'<p class="banner">{_inline(line)}</p>' for line in board.banner]
    plots = [p for p in images if not p.name.startswith("samples-")]
    samples = [p for p in images if p.name.startswith("samples-")]
    if board.empty:
        parts.append("<p>No runs in the store yet: run <code>augbench run</code> (or <code>make bench</code>) first.</p>")
    else:
        parts += [_table(t, legend=False) for t in board.summary]
        parts += [_legend([SUMMARY_POINTER])] if board.summary else []
        if board.guide:
            guide = "".join(f"<li>{_inline(line)}</li>" for line in board.guide)
            parts.append(f"{_heading(GUIDE)}\n<ul>{guide}</ul>")
        parts.append(_contents(board, [PLOTS] * bool(plots) + [SAMPLES] * bool(samples)))
        if board.exchange is not None:
            parts.append(_table(board.exchange, legend=False) + _legend([EXCHANGE_POINTER]))
        parts += [_table(t) for t in board.tables]
    if plots:
        parts.append(_plots(plots))
    if samples:
        parts.append(f"{_heading(SAMPLES)}\n<div>" + "\n".join(_figure(p) for p in samples) + "</div>")
    parts.append(f'{_heading(PROVENANCE)}\n<div class="provenance"><ul>'
                 + "".join(f"<li>{html.escape(line)}</li>" for line in board.provenance)
                 + f"<li>report generated {html.escape(generated_at)} (UTC)</li></ul></div>")
    for table in (board.failed, board.cells):
        if table is not None:
            parts.append(_table(table))
    if not board.empty:
        parts.append(_notes(board))
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_html(board: Leaderboard, plots_dir: str | Path, path: str | Path) -> Path:
    """Write the report to `path`, embedding every PNG in `plots_dir` (plots in report order, then by name).

    Raises:
        UsageError: `path` cannot be written.
    """
    plots_dir, path = Path(plots_dir), Path(path)
    images = sorted(plots_dir.glob("*.png")) if plots_dir.is_dir() else []
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_html(board, images), encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot write {path}: {exc.strerror}") from None
    return path
