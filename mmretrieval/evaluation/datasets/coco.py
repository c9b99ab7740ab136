"""COCO-style captions: the official ``captions_*.json`` and Karpathy's ``dataset_*.json`` split file."""

from __future__ import annotations

import json
from pathlib import Path

from .files import require_file, require_images
from .types import RetrievalData


def load_captions(annotations, images_dir) -> RetrievalData:
    """COCO ``{"images": [{"id", "file_name"}], "annotations": [{"image_id", "caption"}]}``."""
    data = json.loads(require_file(annotations, "COCO captions JSON").read_text())
    images_dir = Path(images_dir).expanduser()
    try:
        index = {image["id"]: i for i, image in enumerate(data["images"])}
        images = [str(images_dir / image["file_name"]) for image in data["images"]]
        pairs = [(a["caption"].strip(), index[a["image_id"]]) for a in data["annotations"]]
    except KeyError as err:
        raise ValueError(f"{annotations}: not a COCO captions file (missing key or image id {err})") from None
    return RetrievalData(require_images(images, images_dir), [c for c, _ in pairs], [[i] for _, i in pairs])


def load_karpathy(split_json, images_dir, split: str = "test") -> RetrievalData:
    """Karpathy's split file: ``{"images": [{"filepath"?, "filename", "split", "sentences": [{"raw"}]}]}``.

    ``split="train"`` also takes the ``restval`` images, as Karpathy's training set does.
    """
    data = json.loads(require_file(split_json, "Karpathy split JSON").read_text())
    images_dir = Path(images_dir).expanduser()
    wanted = {split, "restval"} if split == "train" else {split}
    images, texts, text_images = [], [], []
    for entry in data.get("images", []):
        if entry.get("split") not in wanted:
            continue
        images.append(str(images_dir / entry.get("filepath", "") / entry["filename"]))
        for sentence in entry["sentences"]:
            texts.append(sentence["raw"].strip())
            text_images.append([len(images) - 1])
    if not images:
        splits = sorted({e.get("split") for e in data.get("images", [])} - {None})
        raise ValueError(f"{split_json} has no images in split {split!r}; splits present: {splits}")
    return RetrievalData(require_images(images, images_dir), texts, text_images, info={"split": split})
