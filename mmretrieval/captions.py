"""Image captions from sidecar files (``cat.jpg`` + ``cat.txt``) or a CSV (``path,caption``)."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Iterable

SIDECAR_SUFFIXES = (".txt", ".caption")
PATH_COLUMNS = ("path", "image", "file", "filename")
CAPTION_COLUMNS = ("caption", "text", "description")


def sidecar_captions(image_paths: Iterable[str]) -> dict[str, str]:
    """Absolute image path -> caption, for the images that have a sidecar.

    A sidecar is a UTF-8 file with the image's name and ``.txt`` or ``.caption`` in place of its
    suffix (``cat.jpg`` -> ``cat.txt``); blank sidecars are ignored.
    """
    captions = {}
    for image in image_paths:
        image = os.path.abspath(image)
        for suffix in SIDECAR_SUFFIXES:
            sidecar = Path(image).with_suffix(suffix)
            if sidecar.is_file():
                text = sidecar.read_text(encoding="utf-8-sig", errors="replace").strip()
                if text:
                    captions[image] = text
                    break
    return captions


def read_caption_csv(csv_path) -> dict[str, str]:
    """Read a CSV into absolute image path -> caption (blank captions are dropped).

    It needs a header with a path column (path/image/file/filename) and a caption column
    (caption/text/description); relative paths are taken from the CSV's folder.
    """
    csv_path = Path(csv_path)
    with open(csv_path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        path_col = next((c for c in PATH_COLUMNS if c in fields), None)
        caption_col = next((c for c in CAPTION_COLUMNS if c in fields), None)
        if path_col is None or caption_col is None:
            raise ValueError(
                f"{csv_path}: caption CSV needs a header with a path column ({'/'.join(PATH_COLUMNS)}) and a "
                f"caption column ({'/'.join(CAPTION_COLUMNS)}); found {reader.fieldnames}"
            )
        original = dict(zip(fields, reader.fieldnames))
        captions = {}
        for row in reader:
            path, caption = row.get(original[path_col]), row.get(original[caption_col])
            if path and caption and caption.strip():
                captions[os.path.abspath(csv_path.parent / path.strip())] = caption.strip()
    return captions
