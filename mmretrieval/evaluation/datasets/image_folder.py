"""Zero-shot classification data: one folder of images per class."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

from ...images import is_image_file
from .types import ClassificationData


def load(root, templates: list[str], classnames: Optional[dict[str, str]] = None,
         max_per_class: Optional[int] = None) -> ClassificationData:
    """Images under ``root/<folder>/``; ``classnames`` maps folder -> readable name (default: the folder name).

    ``max_per_class`` keeps the first N files per class in sorted order (a deterministic subsample).
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"image folder dataset not found: {root}")
    folders = sorted(p.name for p in root.iterdir() if p.is_dir())
    if classnames is not None:
        unknown = sorted(set(folders) ^ set(classnames))
        if unknown:
            raise ValueError(f"{root}: class folders and class names disagree on {unknown[:10]}")
        folders = list(classnames)
    if not folders:
        raise ValueError(f"{root} holds no class folders")
    images, labels = [], []
    for label, folder in enumerate(folders):
        files = sorted(p for p in (root / folder).iterdir() if is_image_file(p))
        if not files:
            raise ValueError(f"class folder {root / folder} holds no images")
        files = files[:max_per_class] if max_per_class else files
        images += [str(p) for p in files]
        labels += [label] * len(files)
    names = [classnames[f] if classnames else f.replace("_", " ") for f in folders]
    info = {"max_per_class": max_per_class} if max_per_class else {}
    return ClassificationData(images, labels, names, list(templates), info=info)
