"""The docs build's link handling (docs/hooks.py): links from the pages to results and sources outside docs/ land in
the site and resolve, links back from those files into the docs resolve, and a dead link of either kind fails the
strict build (make test builds the real site the same way)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HOOK = ROOT / "docs" / "hooks.py"


def _site(tmp_path: Path, pages: dict[str, str], repo_files: dict[str, str]) -> subprocess.CompletedProcess:
    """Build a small site in strict mode from `pages` (under docs/) and `repo_files` (beside docs/), as `make docs`
    does (without --quiet, which hides the warnings --strict counts)."""
    for name, text in {**{f"docs/{k}": v for k, v in pages.items()}, **repo_files}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    shutil.copy(HOOK, tmp_path / "docs" / "hooks.py")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ndocs_dir: docs\nsite_dir: site\nuse_directory_urls: false\nhooks: [docs/hooks.py]\n"
        "exclude_docs: hooks.py\nvalidation: {omitted_files: warn, unrecognized_links: warn, anchors: warn}\n"
        "markdown_extensions: [toc]\n")
    return subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120, env={"NO_MKDOCS_2_WARNING": "1", "PATH": ""})


def test_links_to_results_bring_the_files_into_the_site(tmp_path):
    done = _site(tmp_path, {"index.md": "# Home\n\nSee [the log](../results/tuning/log.md#numbers) and "
                                        "[the script](../results/tuning/run.sh).\n\n## Details\n"},
                 {"results/tuning/log.md": "# Log\n\n## Numbers\n\nBack to [the docs](../../docs/index.md#details).\n",
                  "results/tuning/run.sh": "echo run\n"})
    assert done.returncode == 0, done.stderr
    home = (tmp_path / "site" / "index.html").read_text()
    assert 'href="repo/results/tuning/log.html#numbers"' in home and 'href="repo/results/tuning/run.sh"' in home
    log = (tmp_path / "site" / "repo" / "results" / "tuning" / "log.html").read_text()
    assert 'href="../../../index.html#details"' in log
    assert (tmp_path / "site" / "repo" / "results" / "tuning" / "run.sh").read_text() == "echo run\n"


def test_links_inside_code_blocks_are_left_as_written(tmp_path):
    done = _site(tmp_path, {"index.md": "# Home\n\n```\n[x](../results/missing.md)\n```\n"}, {})
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("link", ["../results/missing.md", "nowhere.md", "index.md#no-such-heading"])
def test_a_dead_link_fails_the_strict_build(tmp_path, link):
    done = _site(tmp_path, {"index.md": f"# Home\n\n[dead]({link})\n"}, {})
    assert done.returncode != 0 and link in done.stderr


def test_a_dead_link_in_a_linked_results_file_fails_too(tmp_path):
    done = _site(tmp_path, {"index.md": "# Home\n\n[log](../results/log.md)\n"},
                 {"results/log.md": "# Log\n\n[gone](../docs/gone.md)\n"})
    assert done.returncode != 0 and "gone.md" in done.stderr
