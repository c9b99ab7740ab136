"""Multilingual captions as a TSV with a header ``image<TAB>lang<TAB>caption``."""

from __future__ import annotations

import csv
from pathlib import Path

from .files import require_file, require_images
from .types import RetrievalData

COLUMNS = ("image", "lang", "caption")


def read_rows(tsv, languages=None) -> list[dict]:
    """The TSV's rows as dicts (``image``, ``lang``, ``caption``), only ``languages`` if given."""
    path = require_file(tsv, "multilingual caption TSV")
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
        if not set(COLUMNS) <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: header must hold {'/'.join(COLUMNS)}, got {reader.fieldnames}")
        rows = [r for r in reader if languages is None or r["lang"] in languages]
    if not rows:
        raise ValueError(f"{path}: no captions" + (f" in languages {languages}" if languages else ""))
    return rows


def load(tsv, images_dir, languages=None, split=None) -> RetrievalData:
    """One text per row, tagged with its language; ``languages`` keeps only those (e.g. ``["en", "de"]``);
    ``split``, a file of image names one per line (Flickr8k's ``split_dev.txt``), only the rows of those images."""
    rows = read_rows(tsv, languages)
    if split is not None:
        names = set(require_file(split, "image list").read_text(encoding="utf-8").split())
        rows = [r for r in rows if r["image"] in names]
        if not rows:
            raise ValueError(f"{tsv}: none of its images is named in {split}; check that the list matches the table")
    images_dir = Path(images_dir).expanduser()
    index: dict[str, int] = {}
    for row in rows:
        index.setdefault(row["image"], len(index))
    images = require_images([str(images_dir / name) for name in index], images_dir)
    return RetrievalData(
        images, [r["caption"].strip() for r in rows], [[index[r["image"]]] for r in rows],
        languages=[r["lang"] for r in rows],
    )
