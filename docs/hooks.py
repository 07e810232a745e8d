"""MkDocs hook: bring the repository files the docs link to (results, tuning logs, scripts) into the site.

The pages link to results and sources with relative paths that also work when docs/ is read on GitHub
(`../results/published/quick-cpu.md`). MkDocs only knows the files under docs/, so it would call those links
"not found". Before the build this hook follows every such link from the pages (and, in turn, from the
markdown files it brings in), adds each target that exists under `repo/<its path>` in the site (markdown
rendered as a page, anything else copied), and rewrites the links to point there. A target that does not
exist is left alone, so `mkdocs build --strict` fails on it as on any dead link.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from mkdocs.structure.files import File, Files, InclusionLevel

PREFIX = "repo/"  # where the repository's files land in the site, apart from the pages under docs/
# An inline markdown link or image: [text](target) / ![alt](target), target without spaces.
LINK = re.compile(r"(!?\[[^\]\n]*\]\()([^)\s]+)(\))")
FENCE = re.compile(r"^(```|~~~).*?^\1\s*$", re.M | re.S)

_linked: dict[Path, str] = {}  # absolute path of a repository file -> its src_uri in the site


def _roots(config) -> tuple[Path, Path]:
    docs = Path(config["docs_dir"]).resolve()
    return docs, docs.parent


def _real_path(src_uri: str, docs: Path, root: Path) -> Path:
    """Where the page with this src_uri lives in the checkout."""
    return root / src_uri[len(PREFIX):] if src_uri.startswith(PREFIX) else docs / src_uri


def _resolve(target: str, page: Path) -> Path | None:
    """The checkout path a relative link from `page` points at; None for URLs, absolute and same-page links."""
    path = target.split("#", 1)[0]
    if not path or re.match(r"^[a-z][a-z0-9+.-]*:", path, re.I) or path.startswith("/"):
        return None
    return Path(posixpath.normpath(str(page.parent / path)))


def _outside_docs(target: str, page: Path, docs: Path, root: Path) -> Path | None:
    """The checkout file a relative link from `page` points at, when it lies outside docs/ and exists."""
    resolved = _resolve(target, page)
    if resolved is None or docs in resolved.parents or not resolved.is_file() or root not in resolved.parents:
        return None
    return resolved


def _into_docs(target: str, page: Path, docs: Path) -> str | None:
    """The docs page (its src_uri) a relative link from a repository file points at, if it is one."""
    resolved = _resolve(target, page)
    if resolved is None or docs not in resolved.parents or not resolved.is_file():
        return None
    return resolved.relative_to(docs).as_posix()


def _links(markdown: str) -> list[str]:
    return [match.group(2) for match in LINK.finditer(FENCE.sub("", markdown))]


def on_files(files: Files, config) -> Files:
    """Add every repository file reachable by links from the pages, markdown files followed in turn."""
    docs, root = _roots(config)
    _linked.clear()
    queue = [docs / f.src_uri for f in files.documentation_pages()]
    while queue:
        page = queue.pop()
        for target in _links(page.read_text(encoding="utf-8")):
            found = _outside_docs(target, page, docs, root)
            if found is None or found in _linked:
                continue
            _linked[found] = PREFIX + found.relative_to(root).as_posix()
            files.append(File.generated(config, _linked[found], abs_src_path=str(found),
                                        inclusion=InclusionLevel.NOT_IN_NAV))
            if found.suffix == ".md":
                queue.append(found)
    return files


def on_page_markdown(markdown: str, page, config, files) -> str:
    """Point the links at repository files to their copies in the site (outside code blocks)."""
    docs, root = _roots(config)
    real = _real_path(page.file.src_uri, docs, root)
    here = posixpath.dirname(page.file.src_uri)

    def rewrite(match: re.Match) -> str:
        target = match.group(2)
        found = _outside_docs(target, real, docs, root)
        if found is not None and found in _linked:
            site_uri = _linked[found]
        elif page.file.src_uri.startswith(PREFIX) and (into := _into_docs(target, real, docs)):
            site_uri = into  # a results page linking back to a page of the docs
        else:
            return match.group(0)
        anchor = "#" + target.split("#", 1)[1] if "#" in target else ""
        return match.group(1) + posixpath.relpath(site_uri, here or ".") + anchor + match.group(3)

    parts, last = [], 0
    for fence in FENCE.finditer(markdown):  # fenced code is shown as written
        parts += [LINK.sub(rewrite, markdown[last:fence.start()]), fence.group(0)]
        last = fence.end()
    return "".join(parts + [LINK.sub(rewrite, markdown[last:])])
