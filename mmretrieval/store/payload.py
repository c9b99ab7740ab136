"""The payload schema of the points mmretrieval writes: every key name, and the two payload shapes.

Writers (``indexing``, ``indexing.texts``) build payloads with :func:`image_payload` and
:func:`passage_payload`; readers (``rag``, ``server``, ``cli``) read them by these names.

image point:   kind="image", path, hash (SHA-256 of the file), size, mtime, width, height[, caption]
               [, ocr_text, ocr_lines (indexed with --ocr: the text read, and each line's text, box, score)]
               [, taken, taken_source, camera_make, camera_model, camera, location, orientation (from EXIF and
               XMP, each only when the photo has it: RFC 3339 date, where the date came from, strings, a geo
               point {"lat", "lon"}, the EXIF orientation 1-8)],
               photo_meta (the version of that EXIF read; points without it get it on the next index run)
               [, hubness, hubness_bank (with a model that carries a query bank: see indexing.hubness)]
passage point: kind="text",  path, hash (SHA-256 of the document text), size, mtime, passage (its
               order in the document), start, end (character offsets: source[start:end] == text), text
"""

from __future__ import annotations

from typing import Optional

KIND = "kind"
PATH = "path"
HASH = "hash"
SIZE = "size"
MTIME = "mtime"
WIDTH = "width"
HEIGHT = "height"
CAPTION = "caption"
TEXT = "text"
PASSAGE = "passage"
START = "start"
END = "end"
OCR_TEXT = "ocr_text"  # the lines read from the image, joined by newlines ("" when it shows no text)
OCR_LINES = "ocr_lines"  # [{"text", "box": [[x, y] x 4], "score"}], see mmretrieval.indexing.ocr.OCRLine
TAKEN = "taken"  # RFC 3339 with its UTC offset when the file has one; the sources in mmretrieval.indexing.photo_meta
TAKEN_SOURCE = "taken_source"  # where TAKEN came from: "exif", "xmp", or "exif-modified" (the file's last save)
CAMERA_MAKE = "camera_make"
CAMERA_MODEL = "camera_model"
CAMERA = "camera"  # make and model in one string, e.g. "Canon EOS 5D"
LOCATION = "location"  # {"lat": .., "lon": ..} decimal degrees (a Qdrant geo point)
ORIENTATION = "orientation"  # the EXIF orientation tag (1-8)
PHOTO_META = "photo_meta"  # version of the EXIF read behind the fields above (present even when a photo has none)
PHOTO_META_VERSION = 2  # 2: taken_source, XMP dates, strings cut at NUL
HUBNESS = "hubness"  # how near the photo sits to typical queries (see mmretrieval.query_bank), and
HUBNESS_BANK = "hubness_bank"  # the id of the query bank it was computed with (search uses it only under that bank)
PHOTO_FIELDS = (TAKEN, TAKEN_SOURCE, CAMERA_MAKE, CAMERA_MODEL, CAMERA, LOCATION, ORIENTATION)

KIND_IMAGE = "image"  # the values of KIND
KIND_TEXT = "text"
KINDS = (KIND_IMAGE, KIND_TEXT)

# every key each kind of point can carry (filters are checked against these: indexing/schema.py)
IMAGE_FIELDS = (KIND, PATH, HASH, SIZE, MTIME, WIDTH, HEIGHT, CAPTION, OCR_TEXT, *PHOTO_FIELDS, PHOTO_META)
PASSAGE_FIELDS = (KIND, PATH, HASH, SIZE, MTIME, PASSAGE, START, END, TEXT)

# the payload indexes a Qdrant server collection gets (filters and reconciling read these fields)
KEYWORD_FIELDS = (KIND, PATH, CAMERA_MAKE, CAMERA_MODEL)
TEXT_FIELDS = (CAMERA,)  # full-text (--camera matches words in it)
DATETIME_FIELDS = (TAKEN,)
GEO_FIELDS = (LOCATION,)


def image_payload(path: str, hash: str, size: int, mtime: float, width: int, height: int,
                  caption: Optional[str] = None, ocr_lines: Optional[list] = None,
                  photo: Optional[dict] = None) -> dict:
    """``ocr_lines`` (:class:`mmretrieval.indexing.ocr.OCRLine` objects, ``[]`` for no text) when the image was read
    by OCR; None leaves the OCR keys out (not read, or the read failed). ``photo``: the EXIF fields
    (:func:`mmretrieval.indexing.photo_meta.photo_metadata`); None when EXIF was not read."""
    payload = {KIND: KIND_IMAGE, PATH: path, HASH: hash, SIZE: size, WIDTH: width, HEIGHT: height, MTIME: mtime}
    if photo is not None:
        payload.update(photo_payload(photo))
    if caption:
        payload[CAPTION] = caption
    if ocr_lines is not None:
        payload[OCR_TEXT] = "\n".join(line.text for line in ocr_lines)
        payload[OCR_LINES] = [line.to_dict() for line in ocr_lines]
    return payload


def photo_payload(photo: dict) -> dict:
    """The EXIF/XMP fields of one photo plus the version marker saying they were read."""
    return {**{k: v for k, v in photo.items() if k in PHOTO_FIELDS}, PHOTO_META: PHOTO_META_VERSION}


def passage_payload(path: str, hash: str, size: int, mtime: float, passage: int, start: int, end: int,
                    text: str) -> dict:
    return {KIND: KIND_TEXT, PATH: path, HASH: hash, PASSAGE: passage, START: start, END: end, TEXT: text,
            SIZE: size, MTIME: mtime}
