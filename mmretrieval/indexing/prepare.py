"""Read, hash and decode image files on worker threads, a bounded number ahead of the encoder."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from typing import Callable, Optional

from ..images import MAX_IMAGE_PIXELS, ImageLoadError, load_image, load_image_size_tags
from .photo_meta import photo_metadata, read_photo_metadata
from ..store import point_id

MAX_FILE_BYTES = 256 * 2**20


@dataclass
class Prepared:
    """One file, ready to encode (``pixels``), already stored (``pixels`` None), or bad (``error``)."""

    path: str
    size: int
    mtime: float
    hash: str = ""
    id: str = ""
    width: int = 0
    height: int = 0
    pixels: object = None
    error: Optional[str] = None
    ocr: object = None  # mmretrieval.indexing.ocr.OCRResult, when read with OCR
    photo: Optional[dict] = None  # the EXIF fields (mmretrieval.indexing.photo_meta), when read


def prepare(
    path: str,
    preprocess: Callable,
    min_size: Optional[int] = None,
    known_ids: frozenset = frozenset(),
    max_pixels: int = MAX_IMAGE_PIXELS,
    max_bytes: int = MAX_FILE_BYTES,
    ocr: Optional[Callable] = None,
) -> Prepared:
    """Stat, read and hash ``path``; decode and preprocess it unless its id is in ``known_ids``; read its EXIF.

    ``min_size`` (the trunk's input side) lets a large JPEG decode at a reduced scale; ``width`` and
    ``height`` are always the full image's. ``ocr`` (an OCR engine's ``read``) reads the full-size image's text.
    """
    try:
        stat = os.stat(path)
        item = Prepared(path, stat.st_size, stat.st_mtime)
        if stat.st_size > max_bytes:
            item.error = f"file is {stat.st_size / 2**20:.1f} MiB, over the limit of {max_bytes / 2**20:.0f} MiB"
            return item
        with open(path, "rb") as handle:
            data = handle.read()
    except OSError as err:
        return Prepared(path, 0, 0.0, error=f"cannot read the file ({err.strerror or err})")
    item.hash = hashlib.sha256(data).hexdigest()
    item.id = point_id(path, item.hash)
    if item.id in known_ids:  # stored already: only its EXIF is read (from the header; no decode)
        item.photo = read_photo_metadata(data)
        return item
    try:
        image, (item.width, item.height), tags = load_image_size_tags(data, max_pixels=max_pixels, min_size=min_size)
    except ImageLoadError as err:
        item.error = err.reason
        return item
    item.photo = photo_metadata(*tags)
    item.pixels = preprocess(image)
    if ocr is not None:  # OCR reads the full-size image, not the reduced decode the trunk needs
        item.ocr = ocr(image if image.size == (item.width, item.height) else load_image(data, max_pixels=max_pixels))
    return item
