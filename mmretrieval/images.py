"""Load images from real-world files: any mode to RGB, EXIF orientation, clear errors.

HEIC/HEIF (what phones write) opens through ``pillow-heif``, registered with PIL on the first image
load (not at import); AVIF through PIL's own plugin.

Given ``min_size`` (the trunk's input side), a large JPEG is decoded at a reduced DCT scale
(PIL ``draft``: 1/2, 1/4 or 1/8) whose both sides stay at least ``DRAFT_MARGIN * min_size``:
a 12-megapixel photo decodes several times faster, and the trunk's own resize still does the rest.
"""

from __future__ import annotations

import io
import os
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple, Optional, Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

ImageInput = Union[str, os.PathLike, bytes, Image.Image]

# A photo larger than this many pixels is refused rather than decoded (PIL's own
# bomb limit is 89M pixels by default; we keep ours explicit and per call).
MAX_IMAGE_PIXELS = 100_000_000
DRAFT_MARGIN = 2  # decode at >= 2x the trunk's side, so its antialiased resize still sees enough detail
_ORIENTATION = 0x0112
_SWAPS_SIDES = (5, 6, 7, 8)  # EXIF orientations that rotate by 90 degrees
HEIF_SUFFIXES = frozenset({".heic", ".heif", ".heics", ".heifs", ".hif"})
# ISO-BMFF brands of HEIF stills and sequences (bytes 8-12 of the file, after "ftyp")
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
HEIF_MISSING = "a HEIC/HEIF photo, and pillow-heif (part of mmretrieval's install) is missing; pip install pillow-heif"


@lru_cache(maxsize=1)
def register_heif() -> bool:
    """Let PIL open HEIC/HEIF files (``pillow-heif``); False when it is not installed. Once per process."""
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


@lru_cache(maxsize=1)
def image_suffixes() -> frozenset[str]:
    """File name endings PIL can open (``.jpg``, ``.png``, ``.webp``, ``.heic``, ``.avif``, ...): what counts
    as an image file wherever a folder is scanned (indexing, training folders, image-folder datasets).
    HEIC/HEIF count even without pillow-heif, so such a file is reported with the fix, not passed over."""
    register_heif()
    Image.init()
    return HEIF_SUFFIXES | {ext for ext, fmt in Image.registered_extensions().items() if fmt in Image.OPEN}


def is_image_file(path) -> bool:
    return os.path.splitext(os.fspath(path))[1].lower() in image_suffixes()


class PhotoTags(NamedTuple):
    """What an image file says about itself besides its pixels: its EXIF (as the file holds it) and XMP packet."""

    exif: Image.Exif
    xmp: Optional[bytes]


def photo_tags(img: Image.Image) -> PhotoTags:
    """The EXIF and XMP of an opened image. pillow-heif rotates HEIF pixels itself and sets the EXIF
    orientation to 1 so that nothing rotates them twice; the tags returned keep the file's own value."""
    exif = img.getexif()
    original = img.info.get("original_orientation")
    if isinstance(original, int) and exif.get(_ORIENTATION) != original:
        exif, written = Image.Exif(), exif
        exif.load(written.tobytes())  # a copy: the image's own EXIF still says 1
        exif[_ORIENTATION] = original
    xmp = img.info.get("xmp")
    return PhotoTags(exif, xmp.encode() if isinstance(xmp, str) else xmp)


def read_photo_tags(data: bytes) -> PhotoTags:
    """:func:`photo_tags` of an encoded image, reading its header only (no pixels decoded)."""
    register_heif()
    with Image.open(io.BytesIO(data)) as img:
        return photo_tags(img)


class ImageLoadError(ValueError):
    """An image could not be used; ``source`` names it and ``reason`` says why."""

    def __init__(self, source: str, reason: str):
        self.source = source
        self.reason = reason
        super().__init__(f"{source}: {reason}")


def load_image(image: ImageInput, max_pixels: int = MAX_IMAGE_PIXELS, min_size: Optional[int] = None) -> Image.Image:
    """Return ``image`` (a path, raw bytes or a PIL image) as an upright RGB PIL image.

    ``min_size`` allows a reduced-scale JPEG decode (see the module docstring).
    Raises :class:`ImageLoadError` for a missing, empty, truncated, non-image or oversized file.
    """
    return load_image_and_size(image, max_pixels, min_size)[0]


def load_image_and_size(
    image: ImageInput, max_pixels: int = MAX_IMAGE_PIXELS, min_size: Optional[int] = None
) -> tuple[Image.Image, tuple[int, int]]:
    """``load_image`` and the upright ``(width, height)`` of the full-size image (before any draft)."""
    return load_image_size_tags(image, max_pixels, min_size)[:2]


def load_image_size_tags(
    image: ImageInput, max_pixels: int = MAX_IMAGE_PIXELS, min_size: Optional[int] = None
) -> tuple[Image.Image, tuple[int, int], PhotoTags]:
    """``load_image_and_size`` and the file's EXIF and XMP (:class:`PhotoTags`, read in the same open)."""
    if isinstance(image, Image.Image):
        tags = photo_tags(image)
        upright = to_rgb(ImageOps.exif_transpose(image))
        return upright, upright.size, tags
    register_heif()
    source, opener = _opener(image)
    try:
        with opener() as handle:
            img = Image.open(handle)
            width, height = img.size
            if width * height > max_pixels:
                raise ImageLoadError(
                    source,
                    f"{width}x{height} pixels exceeds the limit of {max_pixels:,} "
                    "(a decompression bomb or a huge scan); resize it or raise max_pixels",
                )
            if min_size and img.format == "JPEG":
                side = DRAFT_MARGIN * min_size
                img.draft(None, (side, side))  # keeps the mode; a no-op unless it can shrink by >= 2
            swapped = img.getexif().get(_ORIENTATION) in _SWAPS_SIDES
            img.load()
            upright = to_rgb(ImageOps.exif_transpose(img))
            return upright, ((height, width) if swapped else (width, height)), photo_tags(img)
    except ImageLoadError:
        raise
    except FileNotFoundError:
        raise ImageLoadError(source, "no such file; check the path") from None
    except IsADirectoryError:
        raise ImageLoadError(source, "is a folder, not an image file") from None
    except UnidentifiedImageError:
        raise ImageLoadError(source, _unidentified(image)) from None
    except Image.DecompressionBombError as err:
        raise ImageLoadError(source, f"refused as a decompression bomb: {err}") from None
    except (OSError, SyntaxError, ValueError) as err:
        raise ImageLoadError(source, f"corrupt or truncated image data ({str(err).strip()})") from None


def to_rgb(img: Image.Image) -> Image.Image:
    """Convert any PIL mode to 8-bit RGB; transparency is flattened onto white."""
    if img.mode == "RGB":
        return img
    if img.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        arr = np.asarray(img, dtype=np.float64)
        low, high = float(arr.min()), float(arr.max())
        scaled = (arr - low) / (high - low) * 255.0 if high > low else np.zeros_like(arr)
        return Image.fromarray(scaled.astype(np.uint8)).convert("RGB")
    if img.mode == "P" and "transparency" in img.info:
        img = img.convert("RGBA")
    if img.mode in ("RGBA", "LA", "PA"):
        rgba = img.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return img.convert("RGB")


def _opener(image: ImageInput):
    if isinstance(image, (bytes, bytearray)):
        return "<bytes>", lambda: io.BytesIO(image)
    path = Path(image)
    return str(path), lambda: open(path, "rb")


def _unidentified(image: ImageInput) -> str:
    """Why PIL could not identify ``image``: empty, HEIF without its plugin, or not an image."""
    head = _head(image)
    if head == b"":
        return "empty file (0 bytes)"
    if head and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return HEIF_MISSING if not register_heif() else \
            "corrupt or truncated HEIC/HEIF file (pillow-heif cannot read it)"
    return "not an image file PIL can read"


def _head(image: ImageInput) -> Optional[bytes]:
    """The first 12 bytes (enough for a file-type box), or None when the file cannot be read again."""
    if isinstance(image, (bytes, bytearray)):
        return bytes(image[:12])
    try:
        with open(image, "rb") as handle:
            return handle.read(12)
    except OSError:
        return None
