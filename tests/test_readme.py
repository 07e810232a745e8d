"""The README is the front door: short, its two set-up commands, its headline table equal to what `augbench report`
makes from the committed baseline (so the two cannot drift apart), and links that lead somewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markdown.extensions.toc import slugify

from augbench.cli import main
from augbench.reporting.headline import END, START, headline_markdown, readme_block
from augbench.results.export import read_rows

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BASELINE = ROOT / "results" / "baselines" / "quick-cpu.json"
LINK = re.compile(r"\]\(([^)\s]+)\)")


@pytest.fixture(scope="module")
def baseline_rows():
    return read_rows(BASELINE)


def test_the_readme_headline_table_is_what_report_makes_from_the_baseline(baseline_rows):
    made = headline_markdown(baseline_rows)
    assert readme_block(README.read_text()) == made, "README's headline table differs from the baseline's: run `make readme`"
    # one block per modality, each at the smaller quick size, `none`'s absolute accuracy first, PGD per task's radius
    titles = [line for line in made.splitlines() if line.startswith("**")]
    assert [t.split(" (")[0].strip("*") for t in titles] == ["Images", "Text", "Audio"]
    assert "cifar10 (n=500), mnist (n=600)" in titles[0] and "sst2 (n=1,000), trec (n=1,000)" in titles[1]
    tables = [block for block in made.split("\n\n") if block.startswith("|")]
    header = [c.strip() for c in tables[0].splitlines()[0].strip("|").split("|")]
    assert header == ["method", "extra data", "cifar10 clean", "cifar10 worst case L∞ 8/255", "mnist clean", "mnist worst case L∞ 0.3", "cost"]
    first = [c.strip() for c in tables[0].splitlines()[2].strip("|").split("|")]
    assert first[0] == "`none` (accuracy)" and first[2].endswith("%")
    methods = {line.split("|")[1].strip(): line.split("|")[2].strip() for line in tables[0].splitlines()[3:]}
    assert methods["vae (pool)"] == "all train labels" and methods["classic"] == "–"  # extra data is named
    # every block ends in its answer, made from the same numbers
    assert made.count("For clean accuracy") + made.count("No method raises clean accuracy") == 3


def test_the_headline_check_fails_when_a_baseline_number_moves(baseline_rows):
    """A README left behind by a changed baseline is caught: one clean accuracy moved by a point changes the table."""
    moved = baseline_rows.copy()
    cell = (moved["task"] == "cifar10") & (moved["method"] == "classic") & (moved["fraction"] == 0.5) & (moved["seed"] == 0)
    assert cell.sum() == 1
    moved.loc[cell, "clean_acc"] += 0.03
    assert headline_markdown(moved) != readme_block(README.read_text())


def test_report_writes_the_headline_into_a_readme(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{START}\nold table\n{END}\n\nafter\n")
    code = main(["report", "--store", str(BASELINE), "--output", str(tmp_path / "board.md"), "--no-plots",
                 "--readme", str(readme)])
    assert code == 0
    text = readme.read_text()
    assert readme_block(text) == readme_block(README.read_text())
    assert text.startswith("# x\n\n") and text.endswith(f"{END}\n\nafter\n") and "old table" not in text


def test_report_refuses_a_readme_without_the_markers_before_writing_anything(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# no markers here\n")
    code = main(["report", "--store", str(BASELINE), "--output", str(tmp_path / "board.md"), "--no-plots",
                 "--readme", str(readme)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and START in err
    assert readme.read_text() == "# no markers here\n" and not (tmp_path / "board.md").exists()


def test_the_readme_is_a_front_door():
    text = README.read_text()
    assert len(text.splitlines()) <= 200
    setup = re.search(r"## Set up and run\n\n```sh\n(.*?)```", text, re.S).group(1)
    assert [line.split()[:2] for line in setup.splitlines() if line.startswith("make")] == [["make", "bench"], ["make", "test"]]


def _anchors(markdown_file: Path) -> set[str]:
    """The heading ids MkDocs (python-markdown's toc) gives a page, plus explicit `id="..."` anchors."""
    text = re.sub(r"^```.*?^```", "", markdown_file.read_text(), flags=re.S | re.M)
    headings = {slugify(re.sub(r"[`*]", "", h), "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    return headings | set(re.findall(r'id="([^"]+)"', text))


def test_every_readme_link_resolves():
    for target in LINK.findall(README.read_text()):
        if re.match(r"^[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        assert (ROOT / path).exists(), f"README links to a missing {path}"
        if anchor:
            assert anchor in _anchors(ROOT / path), f"README links to a missing anchor {target}"


def test_counts_and_the_star_rule_agree_between_readme_docs_and_leaderboard(baseline_rows):
    """The drift the pages had: a count the README states that the baseline no longer carries, and a star rule
    stated differently on two pages. Both are read off the baseline and the code's RULE here."""
    from augbench.reporting.stats import RULE

    text = README.read_text()
    ok = baseline_rows[(baseline_rows["status"] == "ok") & baseline_rows["converged"].notna()]
    for task, name in (("cifar10", "CIFAR-10"), ("fsdd", "FSDD")):
        cells = ok[ok["task"] == task]
        assert f"{int(cells['converged'].astype(bool).sum())} of {len(cells)} {name} cells" in text
    pages = [README, ROOT / "docs" / "metrics.md", ROOT / "docs" / "reporting.md", ROOT / "docs" / "validate.md",
             ROOT / "results" / "published" / "quick-cpu.md"]
    stale = re.compile(r"`\*`[^.]{0,40}(paired t-test gives |marks )p < 0\.05")
    for page in pages:
        body = page.read_text()
        assert not stale.search(body), f"{page.name} states the uncorrected star rule"
    assert RULE in text and RULE in (ROOT / "results" / "published" / "quick-cpu.md").read_text()
    assert "Benjamini-Hochberg" in (ROOT / "docs" / "metrics.md").read_text()
