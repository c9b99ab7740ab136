"""The README's relative links (into docs/ and the tree) point at files that exist, and their
#anchors at headings there. The docs pages themselves are checked by `mkdocs build --strict`."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """GitHub's anchor for a Markdown heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", markdown.read_text(), flags=re.S)  # a '# comment' in code is no heading
    return {github_anchor(m.group(1)) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", text, flags=re.M)}


def relative_links(markdown: Path) -> list[str]:
    return [t for t in LINK.findall(markdown.read_text()) if not re.match(r"[a-z]+:", t)]


def test_readme_relative_links_resolve():
    links = relative_links(ROOT / "README.md")
    assert any(link.startswith("docs/") for link in links)  # the README is the front door into docs/
    broken = []
    for link in links:
        path, _, anchor = link.partition("#")
        target = (ROOT / path) if path else ROOT / "README.md"
        if not target.exists():
            broken.append(f"{link}: no file {target.relative_to(ROOT)}")
        elif anchor and target.suffix == ".md" and anchor not in anchors(target):
            broken.append(f"{link}: no heading with anchor #{anchor} in {target.relative_to(ROOT)}")
    assert not broken, "README.md links that lead nowhere:\n" + "\n".join(broken)


def test_github_anchor_matches_githubs_rule():
    assert github_anchor("Filter by date, camera and place") == "filter-by-date-camera-and-place"
    assert github_anchor("Text in images (OCR)") == "text-in-images-ocr"
    assert github_anchor("Speed (this machine, 2 cores)") == "speed-this-machine-2-cores"
