"""The payload schema of the points mmretrieval writes: every key name, and the two payload shapes.

Writers (``indexing``, ``ingest_text``) build payloads with :func:`image_payload` and
:func:`passage_payload`; readers (``rag``, ``server``, ``cli``) read them by these names.

image point:   kind="image", path, hash (SHA-256 of the file), size, mtime, width, height[, caption]
               [, ocr_text, ocr_lines (indexed with --ocr: the text read, and each line's text, box, score)]
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
OCR_LINES = "ocr_lines"  # [{"text", "box": [[x, y] x 4], "score"}], see mmretrieval.ocr.OCRLine

KIND_IMAGE = "image"  # the values of KIND
KIND_TEXT = "text"
KINDS = (KIND_IMAGE, KIND_TEXT)

KEYWORD_FIELDS = (KIND, PATH)  # fields a Qdrant server indexes (filters and reconciling read them)


def image_payload(path: str, hash: str, size: int, mtime: float, width: int, height: int,
                  caption: Optional[str] = None, ocr_lines: Optional[list] = None) -> dict:
    """``ocr_lines`` (:class:`mmretrieval.ocr.OCRLine` objects, ``[]`` for no text) when the image was read
    by OCR; None leaves the OCR keys out (not read, or the read failed)."""
    payload = {KIND: KIND_IMAGE, PATH: path, HASH: hash, SIZE: size, WIDTH: width, HEIGHT: height, MTIME: mtime}
    if caption:
        payload[CAPTION] = caption
    if ocr_lines is not None:
        payload[OCR_TEXT] = "\n".join(line.text for line in ocr_lines)
        payload[OCR_LINES] = [line.to_dict() for line in ocr_lines]
    return payload


def passage_payload(path: str, hash: str, size: int, mtime: float, passage: int, start: int, end: int,
                    text: str) -> dict:
    return {KIND: KIND_TEXT, PATH: path, HASH: hash, PASSAGE: passage, START: start, END: end, TEXT: text,
            SIZE: size, MTIME: mtime}
