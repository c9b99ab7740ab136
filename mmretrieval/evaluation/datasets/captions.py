"""Caption datasets (Flickr8k token file + split list, COCO captions JSON, Karpathy split JSON).

The parsing is the training loaders' (``mmretrieval.train.data``), so evaluation reads a caption file
exactly as training does (and hits the same cached text embeddings); this module only turns their
pairs into :class:`RetrievalData` and checks that every image exists.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

from ...train import data as pairs_data
from .files import require_file, require_images
from .types import RetrievalData


def load_flickr8k(root, split: str = "test", captions_file: str = "captions.txt",
                  images_dir: Optional[str] = None) -> RetrievalData:
    """Images of ``split`` (listed in ``split_<split>.txt`` or ``Flickr_8k.<split>Images.txt``) and captions."""
    token = require_file(Path(root).expanduser() / captions_file, "Flickr8k token file")
    return _retrieval(pairs_data.flickr_pairs(token, split=split, images=images_dir), token, split)


def load_coco(annotations, images_dir) -> RetrievalData:
    """COCO ``{"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}``."""
    path = require_file(annotations, "COCO captions JSON")
    try:
        pairs = pairs_data.coco_pairs(json.loads(path.read_text()), Path(images_dir).expanduser())
    except KeyError as err:
        raise ValueError(f"{path}: not a COCO captions file (missing key or image id {err})") from None
    return _retrieval(pairs, path)


def load_karpathy(split_json, images_dir, split: str = "test") -> RetrievalData:
    """Karpathy's split file; ``split="train"`` also takes ``restval``, ``"dev"`` means ``"val"``."""
    path = require_file(split_json, "Karpathy split JSON")
    data = json.loads(path.read_text())
    pairs = pairs_data.karpathy_pairs(data, Path(images_dir).expanduser(), split=split)
    if not pairs.captions:
        present = sorted({img.get("split") for img in data.get("images", [])} - {None})
        raise ValueError(f"{path} has no images in split {split!r}; splits present: {present}")
    return _retrieval(pairs, path, split)


def _retrieval(pairs, source: Path, split: Optional[str] = None) -> RetrievalData:
    images = require_images(pairs.images, Path(source).parent)
    return RetrievalData(images, list(pairs.captions), [[i] for i in pairs.image_index],
                         info={"split": split} if split else {})
