"""Flickr8k: the token file (``<image>#<k>\\t<caption>``) plus one split list of image names."""

from __future__ import annotations

from pathlib import Path

from .files import require_file, require_images
from .types import RetrievalData


def load(root, split: str = "test", captions_file: str = "captions.txt", split_file: str = None,
         images_dir: str = "images") -> RetrievalData:
    """Images of ``split`` (``split_<split>.txt`` unless ``split_file`` names another list) and their captions.

    Captions of images outside the split (and the token file's known stray entries) are skipped.
    """
    root = Path(root).expanduser()
    names = require_file(root / (split_file or f"split_{split}.txt"), "Flickr8k split list").read_text().split()
    index = {name: i for i, name in enumerate(names)}
    texts, text_images = [], []
    for number, line in enumerate(require_file(root / captions_file, "Flickr8k token file").open(encoding="utf-8"), 1):
        if not line.strip():
            continue
        key, sep, caption = line.rstrip("\n").partition("\t")
        if not sep:
            raise ValueError(f"{root / captions_file}:{number}: expected '<image>#<k><TAB><caption>', got {line!r}")
        image = key.rsplit("#", 1)[0]
        if image in index:
            texts.append(caption.strip())
            text_images.append([index[image]])
    uncaptioned = sorted(set(names) - {names[i[0]] for i in text_images})
    if uncaptioned:
        raise ValueError(f"{len(uncaptioned)} images of split {split!r} have no caption, e.g. {uncaptioned[:3]}")
    images = require_images([str(root / images_dir / name) for name in names], root / images_dir)
    return RetrievalData(images, texts, text_images, info={"split": split})
