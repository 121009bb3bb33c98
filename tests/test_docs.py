"""The documentation: every relative link and image in README.md and docs/*.md resolves; the README
stays short."""

import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent
README_LIMIT = 12 * 1024  # bytes: a README a student reads in five minutes
DOCUMENTS = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]

# [text](target) and ![alt](target); the target ends at the first space or closing parenthesis
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
HTML_IMAGE = re.compile(r"<img[^>]*\bsrc=\"([^\"]+)\"")
FENCE = re.compile(r"^(```|~~~).*?^\1", re.DOTALL | re.MULTILINE)


def anchors(markdown):
    """GitHub's anchors for the headings of a markdown text."""
    found = set()
    for heading in re.findall(r"^#{1,6}\s+(.+?)\s*$", FENCE.sub("", markdown), re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        found.add(slug)
    return found


def relative_targets(markdown):
    """Every link or image target outside code blocks that is not a web address or a mail link."""
    text = FENCE.sub("", markdown)
    targets = LINK.findall(text) + HTML_IMAGE.findall(text)
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.IGNORECASE)]


def test_link_checker_finds_links_images_and_anchors():
    text = (
        '# A heading\n[a](docs/x.md) ![b](img.png "t") [web](https://e.org) [c](#a-heading)\n'
        "```\n[no](skip.md)\n```\n"
    )
    assert relative_targets(text) == ["docs/x.md", "img.png", "#a-heading"]
    assert "a-heading" in anchors(text)


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_and_image_resolves(document):
    markdown = document.read_text(encoding="utf-8")
    broken = []
    for target in relative_targets(markdown):
        path, _, anchor = target.partition("#")
        resolved = (document.parent / path).resolve() if path else document
        if not resolved.exists():
            broken.append(f"{target} (no file {resolved})")
        elif (
            anchor
            and resolved.suffix == ".md"
            and anchor not in anchors(resolved.read_text(encoding="utf-8"))
        ):
            broken.append(f"{target} (no heading #{anchor})")
    assert not broken, f"{document.name}: broken links: {broken}"


def test_readme_is_at_most_12_kb():
    size = (REPO_ROOT / "README.md").stat().st_size
    assert size <= README_LIMIT, (
        f"README.md is {size} bytes; keep it at most {README_LIMIT} (move detail into docs/)"
    )


def test_readme_links_the_rest():
    markdown = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    for target in ("docs/RESULTS.md", "docs/TEACHING.md", "data/README.md"):
        assert f"]({target})" in markdown, target
