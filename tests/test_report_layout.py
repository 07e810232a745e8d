"""The leaderboard page's layout, in markdown and HTML: the summary first, then how to read it and the contents,
the tables, notes last; every link on the page reaches exactly one section, by GitHub's, python-markdown's
(MkDocs) and the HTML report's ids alike."""

from __future__ import annotations

import collections
import dataclasses
import json
import re
import shutil
from pathlib import Path

import pytest

from augbench.reporting.html_report import render_html
from augbench.reporting.leaderboard import Leaderboard, build, render_markdown
from fixture_records import frame, make_record, scarce_records

GENERATOR = {"ratio": 0.5, "steps": 10}  # a generator's parameters: its cells enter the exchange-rate table
GENERATED_AT = "2026-11-20T00:00:00+00:00"
TINY_PNG = Path(__file__).parent / "golden" / "tiny.png"


def full_rows() -> list:
    """The data-scarce grid (two tasks at two sizes, marked lines) plus what the optional sections need: a
    generator and `none` on 500 extra real examples at mnist's 500 (the exchange-rate table), a failed cell."""
    rows = scarce_records()
    for seed in range(3):
        rows.append(make_record("gan", seed, 0.91 + 0.005 * seed, task="mnist", fraction=0.25, n_train=500,
                                params=GENERATOR))
        extra = make_record("none", seed, 0.93 + 0.005 * seed, task="mnist", fraction=0.25, n_train=1000)
        rows.append(dataclasses.replace(extra, run_id=f"extra-real-{seed}",
                                        train_config=json.dumps({"epochs": 1, "extra_real": 1.0})))
    rows.append(make_record("classic", 5, None, task="mnist", fraction=0.25, n_train=500, status="failed"))
    return rows


@pytest.fixture(scope="module")
def board() -> Leaderboard:
    board = build(frame(full_rows()))
    assert board.exchange is not None and board.failed is not None and len(board.tables) == 4
    return board


def headings(text: str) -> list[str]:
    return re.findall(r"^## (.*)$", text, re.M)


def section(text: str, heading: str) -> str:
    """The markdown from `## heading` to the next section (its anchor or `## ` heading), or the end."""
    start = text.index(f"## {heading}\n")
    ends = [end for end in (text.find("\n## ", start + 1), text.find("\n<a id=", start)) if end >= 0]
    return text[start:min(ends, default=len(text))]


def markdown_links(text: str) -> list[str]:
    return re.findall(r"\]\(#([^)\s]+)\)", text)


def test_the_page_opens_with_the_summary_then_how_to_read_then_contents(board):
    text = render_markdown(board)
    summary, exchange = board.summary[0], board.exchange
    assert headings(text) == [summary.title, "How to read this", "Contents", exchange.title,
                              *[t.title for t in board.tables], "Provenance", "Failed cells", "All cells", "Notes"]
    assert text.index("# augbench leaderboard") < text.index(f"## {summary.title}")
    # Under the summary only its table and one line pointing to the notes: no legend.
    heading, table, *below = section(text, summary.title).strip().split("\n\n")
    assert table.startswith("| method") and below == ["How to read the columns: see [Notes](#notes)."]
    guide = section(text, "How to read this").splitlines()[2:-1]
    assert 4 <= len(guide) <= 7 and all(line.startswith("- ") for line in guide)
    assert any(line.startswith("- Gain: clean accuracy minus `none`'s on the same seeds") and "p < 0.05" in line
               for line in guide)
    assert any(line.startswith("- Marks: † not converged, ‡ stopped early, § near chance") for line in guide)


def test_contents_links_every_section_below_it_in_page_order(board):
    text = render_markdown(board)
    contents = section(text, "Contents")
    assert markdown_links(contents) == ["exchange", *[t.anchor for t in board.tables], "provenance", "failed-cells",
                                        "all-cells", "notes"]
    # one bullet per task, its training-set sizes as links
    assert "- cifar10: [n=1000](#cifar10-n1000-quick), [n=2500](#cifar10-n2500-quick)" in contents
    assert "- mnist: [n=500](#mnist-n500-quick), [n=2000](#mnist-n2000-quick)" in contents


def test_the_notes_at_the_end_hold_the_long_legends_and_the_tables_keep_their_marks(board):
    text = render_markdown(board)
    notes, before = section(text, "Notes"), text[:text.index("## Notes")]
    assert headings(text)[-1] == "Notes"
    moved = board.summary[0].legend + board.exchange.legend
    assert any(line.startswith("IQM gain: the interquartile mean") for line in board.summary[0].legend)
    assert any(line.startswith("Worth: the number k of extra real examples") for line in board.exchange.legend)
    for line in moved + board.notes:  # said once, at the end
        assert f"- {line}" in notes and line not in before
    for table in board.tables:  # the marks' legends stay under their table
        for line in table.legend:
            assert line in section(text, table.title) and line not in notes


def github_ids(text: str) -> collections.Counter:
    """The ids GitHub gives a markdown file: explicit `<a id>`, and each heading's slug (lowercase, punctuation
    dropped, each space a hyphen; a repeated slug gets -1, -2, ...)."""
    ids = collections.Counter(re.findall(r'<a id="([^"]+)"></a>', text))
    seen: collections.Counter = collections.Counter()
    for heading in re.findall(r"^#+ (.*)$", text, re.M):
        slug = re.sub(r"[^\w\- ]", "", heading.lower()).replace(" ", "-")
        ids[slug if not seen[slug] else f"{slug}-{seen[slug]}"] += 1
        seen[slug] += 1
    return ids


def test_every_markdown_link_reaches_exactly_one_anchor_on_github(board):
    text = render_markdown(board)
    links = markdown_links(text)
    assert set(markdown_links(section(text, "Contents"))) <= set(links)
    ids = github_ids(text)
    assert {link: ids[link] for link in links if ids[link] != 1} == {}


def test_every_markdown_link_reaches_exactly_one_anchor_in_mkdocs(board):
    markdown = pytest.importorskip("markdown")  # python-markdown, as MkDocs renders (the docs extra)
    text = render_markdown(board)
    page = markdown.markdown(text, extensions=["toc", "tables", "attr_list"])
    ids = collections.Counter(re.findall(r'\bid="([^"]+)"', page))
    assert {link: ids[link] for link in markdown_links(text) if ids[link] != 1} == {}


def html_page(board: Leaderboard, tmp_path: Path) -> str:
    plots = [tmp_path / "efficiency-mnist-mnist-idx-quick.png", tmp_path / "samples-mnist-gan.png"]
    for png in plots:
        shutil.copyfile(TINY_PNG, png)
    return render_html(board, plots, generated_at=GENERATED_AT)


def test_html_follows_the_same_order_with_plots_and_samples_in_the_contents(board, tmp_path):
    page = html_page(board, tmp_path)
    sections = re.findall(r'<h2 id="([^"]+)">', page)
    assert sections == ["summary-quick", "how-to-read-this", "contents", "exchange", *[t.anchor for t in board.tables],
                        "plots", "samples", "provenance", "failed-cells", "all-cells", "notes"]
    contents = page[page.index('<h2 id="contents">'):page.index('<h2 id="exchange">')]
    assert re.findall(r'href="#([^"]+)"', contents) == sections[3:]
    notes = page[page.index('<h2 id="notes">'):]
    assert "IQM gain: the interquartile mean" in notes and "Worth: the number k" in notes
    assert "IQM gain: the interquartile mean" not in page[:page.index('<h2 id="notes">')]
    assert '<p class="legend">How to read the columns: see <a href="#notes">Notes</a>.</p>' in page


def test_every_html_link_reaches_exactly_one_id(board, tmp_path):
    page = html_page(board, tmp_path)
    ids = collections.Counter(re.findall(r'\bid="([^"]+)"', page))
    links = re.findall(r'href="#([^"]+)"', page)
    assert len(links) >= 12 and {link: ids[link] for link in links if ids[link] != 1} == {}


def test_table_ids_are_short_and_stay_unique_across_variants_settings_and_profiles():
    rows = [make_record(m, 0, 0.9, n_train=600, fraction=0.5) for m in ("none", "classic")]
    png = [dataclasses.replace(r, data_variant="mnist-png", run_id=r.run_id + "png") for r in rows]
    wide = [dataclasses.replace(r, task_params='{"width": 2}', run_id=r.run_id + "wide") for r in rows]
    smoke = [make_record(m, 0, 0.9, n_train=600, fraction=0.5, profile="smoke") for m in ("none", "classic")]
    board = build(frame(rows + png + wide + smoke))
    anchors = [t.anchor for t in board.tables]
    assert len(set(anchors)) == len(anchors) == 4
    assert all(re.fullmatch(r"mnist-mnist-(idx|png)-n600(-[0-9a-f]{8})?-(quick|smoke)", a) for a in anchors)
    assert [t.group for t in board.tables] == ["mnist, profile quick"] * 3 + ["mnist, profile smoke"]
    assert {s.anchor for s in board.summary} == {"summary-quick", "summary-smoke"}
    assert github_ids(render_markdown(board)).keys() >= set(anchors)


def test_each_table_says_what_share_of_its_cells_converged():
    """The fixture's classic on cifar10 at 1000 examples is still rising on seeds 0 and 1; every other cell of that
    table (none, classic seed 2, vae: 9 cells) is converged, so the table says 7 of 9 and points at the marks."""
    from fixture_records import frame, scarce_records

    board = build(frame(scarce_records()))
    table = next(t for t in board.tables if t.title.startswith("cifar10") and "1000 train examples" in t.title)
    assert "Converged at this budget: 7 of 9 cells (the † lines name the others)." in table.legend
    other = next(t for t in board.tables if t.title.startswith("mnist") and "500 train examples" in t.title)
    assert "Converged at this budget: 9 of 9 cells." in other.legend
