"""Image-caption pairs from the common dataset layouts.

Every loader returns :class:`Pairs`: a list of unique image paths and, per caption, the
index of its image. ``load_pairs(source, split=...)`` picks the loader from what ``source`` is:

- a Flickr8k-style folder (``captions.txt`` or ``Flickr8k.token.txt`` with ``<image>#<k>\\t<caption>``
  lines, ``images/`` or ``Flicker8k_Dataset/``, and split lists ``split_<split>.txt`` or
  ``Flickr_8k.<split>Images.txt``), or the token file itself;
- a COCO captions JSON (``{"images": [...], "annotations": [...]}``);
- a Karpathy split JSON (``{"images": [{"filename", "split", "sentences": [{"raw"}]}]}``);
- a ``.csv`` / ``.tsv`` / ``.jsonl`` table with ``image`` and ``caption`` columns;
- any other folder: images with sidecar ``<stem>.txt`` (or ``.caption``) files, one caption per line.

Relative image paths resolve against ``images`` when given, else the source's folder.
Whether the files open is checked later, when features are cached (bad ones are skipped and reported).
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Optional

from ..indexing.captions import sidecar_lines
from ..images import is_image_file

_TOKEN_FILES = ("captions.txt", "Flickr8k.token.txt", "results_20130124.token")
_IMAGE_DIRS = ("images", "Flicker8k_Dataset", "Flickr8k_Dataset", "flickr30k-images")


@dataclass(frozen=True)
class Pairs:
    """Captions and the images they describe: ``captions[i]`` describes ``images[image_index[i]]``."""

    images: list[str]
    captions: list[str]
    image_index: list[int]

    def __len__(self) -> int:
        return len(self.captions)

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[str, str]]) -> "Pairs":
        images: dict[str, int] = {}
        captions, index = [], []
        for image, caption in pairs:
            caption = caption.strip()
            if caption:
                captions.append(caption)
                index.append(images.setdefault(str(image), len(images)))
        return cls(list(images), captions, index)

    def subset_images(self, keep: Iterable[int]) -> "Pairs":
        """Only the pairs whose image index is in ``keep`` (e.g. the images that loaded)."""
        keep = set(keep)
        return Pairs.from_pairs(
            (self.images[i], c) for c, i in zip(self.captions, self.image_index) if i in keep
        )


def load_pairs(source, split: Optional[str] = None, images: Optional[str] = None) -> Pairs:
    """Load pairs from any supported layout (see the module docstring)."""
    source = Path(source).expanduser()
    if not source.exists():
        raise FileNotFoundError(f"training data {source} does not exist")
    if source.is_dir():
        token = next((source / n for n in _TOKEN_FILES if (source / n).is_file()), None)
        if token is not None:
            return flickr_pairs(token, split=split, images=images)
        if split is not None:
            raise ValueError(f"{source} is a folder of images with sidecar captions; it has no {split!r} split")
        return sidecar_pairs(source)
    suffix = source.suffix.lower()
    if suffix in (".csv", ".tsv", ".jsonl"):
        return table_pairs(source, images=images)
    if suffix == ".json":
        data = json.loads(source.read_text())
        if isinstance(data, dict) and "annotations" in data:
            return coco_pairs(data, images or source.parent)
        if isinstance(data, dict) and data.get("images") and "sentences" in data["images"][0]:
            return karpathy_pairs(data, images or source.parent, split=split)
        raise ValueError(f"{source}: a JSON file must be COCO captions ('annotations') or Karpathy ('sentences')")
    if source.name in _TOKEN_FILES or suffix == ".token" or ".token" in source.name:
        return flickr_pairs(source, split=split, images=images)
    raise ValueError(
        f"don't know how to read pairs from {source}; give a Flickr8k folder or token file, "
        "a COCO/Karpathy JSON, a .csv/.tsv/.jsonl with image,caption columns, or a folder with sidecar .txt captions"
    )


def flickr_pairs(token_file, split: Optional[str] = None, images: Optional[str] = None) -> Pairs:
    """Flickr8k/30k token file (``<image>#<k>\\t<caption>``), optionally restricted to a split list."""
    token_file = Path(token_file)
    folder = token_file.parent
    image_dir = Path(images) if images else next((folder / d for d in _IMAGE_DIRS if (folder / d).is_dir()), folder)
    wanted = None
    if split is not None:
        names = (f"split_{split}.txt", f"Flickr_8k.{split}Images.txt", f"{split}.txt")
        split_file = next((folder / n for n in names if (folder / n).is_file()), None)
        if split_file is None:
            raise FileNotFoundError(f"no split list for {split!r} next to {token_file} (looked for {', '.join(names)})")
        wanted = {line.strip() for line in split_file.read_text().splitlines() if line.strip()}
    rows = []
    for line in token_file.read_text(encoding="utf-8").splitlines():
        name, _, caption = line.partition("\t")
        name = name.rsplit("#", 1)[0]
        if caption and (wanted is None or name in wanted):
            rows.append((image_dir / name, caption))
    if not rows:
        raise ValueError(f"{token_file} gave no captions" + (f" for split {split!r}" if split else ""))
    return Pairs.from_pairs(rows)


def coco_pairs(data: dict, images) -> Pairs:
    """COCO captions JSON (already parsed)."""
    files = {img["id"]: img["file_name"] for img in data["images"]}
    return Pairs.from_pairs((Path(images) / files[a["image_id"]], a["caption"]) for a in data["annotations"])


def karpathy_pairs(data: dict, images, split: Optional[str] = None) -> Pairs:
    """Karpathy's ``dataset_*.json``; ``split`` is train/val/test (``restval`` counts as train)."""
    accept = {"train", "restval"} if split == "train" else {"val"} if split in ("val", "dev") else {split}
    return Pairs.from_pairs(
        (Path(images) / img.get("filepath", "") / img["filename"], s["raw"])
        for img in data["images"]
        if split is None or img.get("split") in accept
        for s in img["sentences"]
    )


def table_pairs(path, images: Optional[str] = None) -> Pairs:
    """A ``.csv``/``.tsv`` with a header or a ``.jsonl``, each row with ``image`` and ``caption``."""
    path = Path(path)
    base = Path(images) if images else path.parent
    if path.suffix.lower() == ".jsonl":
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle, delimiter="\t" if path.suffix.lower() == ".tsv" else ","))
    for number, row in enumerate(rows, 1):
        if not {"image", "caption"} <= set(row):
            raise ValueError(f"{path} row {number} needs 'image' and 'caption' fields, has {sorted(row)}")
    return Pairs.from_pairs((base / row["image"], row["caption"]) for row in rows)


def add_captions(pairs: Pairs, tables: Iterable) -> Pairs:
    """``pairs`` and the captions of ``tables`` (``table_pairs`` files: e.g. the same photos described in
    another language), each joined to the image of ``pairs`` with its file name; rows of other images are left
    out. Several languages in one training run: Flickr8k's English and Flickr8k-CN's Chinese, for instance."""
    by_name = {Path(image).name: image for image in pairs.images}
    rows = list(zip((pairs.images[i] for i in pairs.image_index), pairs.captions))
    for table in tables:
        extra = table_pairs(table)
        matched = [(by_name[Path(extra.images[i]).name], caption) for caption, i in zip(extra.captions, extra.image_index)
                   if Path(extra.images[i]).name in by_name]
        if not matched:
            raise ValueError(f"{table}: none of its {len(extra.images)} image names is among the "
                             f"{len(pairs.images)} images being trained or measured on (e.g. {Path(pairs.images[0]).name})")
        rows += matched
    return Pairs.from_pairs(rows)


def sidecar_pairs(folder) -> Pairs:
    """Images in ``folder`` (recursively), each with a sidecar of captions, one per line (see
    :mod:`mmretrieval.indexing.captions` for the sidecar rule and how indexing reads the same file)."""
    folder = Path(folder)
    rows = []
    for image in sorted(p for p in folder.rglob("*") if p.is_file() and is_image_file(p)):
        rows.extend((image, line) for line in sidecar_lines(image))
    if not rows:
        raise ValueError(f"{folder} has no images with sidecar .txt captions")
    return Pairs.from_pairs(rows)
