"""Image captions from sidecar files (``cat.jpg`` + ``cat.txt``), a JSON object or a CSV (``path,caption``).

The sidecar rule, the one place it is decided: an image's sidecar is the first of ``<stem>.txt`` and
``<stem>.caption`` beside it, read as UTF-8. What a sidecar holds depends on who reads it:

- **indexing** (:func:`load_captions`, the sidecars ``files.walk`` found): the whole file, stripped, is the
  image's one caption: stored in the payload and embedded as the point's ``text`` vector (a point has one caption);
- **training** (:func:`sidecar_lines`): each non-blank line is one caption, one training pair each
  (Flickr-style data gives several captions per image).

A one-line sidecar means the same to both. In a scanned folder such a ``.txt`` is a sidecar, not a
text document (:func:`caption_sidecars`).
"""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path
from typing import Iterable, Mapping, Optional, Union

from ..images import is_image_file

SIDECAR_SUFFIXES = (".txt", ".caption")
PATH_COLUMNS = ("path", "image", "file", "filename")
CAPTION_COLUMNS = ("caption", "text", "description")


def find_sidecar(image, listed: Optional[set] = None) -> Optional[Path]:
    """The sidecar file of ``image`` (``cat.jpg`` -> ``cat.txt``, else ``cat.caption``), or None.
    ``listed``: the paths (as strings) of every file in the image's folder, read there instead of on disk."""
    for suffix in SIDECAR_SUFFIXES:
        sidecar = Path(image).with_suffix(suffix)
        if sidecar.is_file() if listed is None else str(sidecar) in listed:
            return sidecar
    return None


def read_sidecar(image) -> Optional[str]:
    """The text of ``image``'s sidecar, stripped (None without a sidecar)."""
    sidecar = find_sidecar(image)
    return None if sidecar is None else _read_caption(sidecar)


def _read_caption(path) -> str:
    return Path(path).read_text(encoding="utf-8-sig", errors="replace").strip()


def sidecar_captions(image_paths: Iterable[str]) -> dict[str, str]:
    """Absolute image path -> caption (the whole sidecar), for the images that have one; blank ones are ignored."""
    sidecars = {image: sidecar for image in map(os.path.abspath, image_paths) if (sidecar := find_sidecar(image))}
    return load_captions(sidecars=sidecars) or {}


def sidecar_lines(image) -> list[str]:
    """The captions of ``image``'s sidecar for training: one per non-blank line."""
    text = read_sidecar(image) or ""
    return [line.strip() for line in text.splitlines() if line.strip()]


def caption_sidecars(names: Iterable[str]) -> set[str]:
    """The names (or paths) among ``names`` that are sidecars of an image among them (both of ``cat.txt`` and
    ``cat.caption`` beside ``cat.jpg``: the first is read, neither is a document)."""
    names = list(names)
    image_stems = {os.path.splitext(name)[0] for name in names if is_image_file(name)}
    return {name for name in names
            if os.path.splitext(name)[1].lower() in SIDECAR_SUFFIXES and os.path.splitext(name)[0] in image_stems}


CaptionSource = Union[str, os.PathLike, Mapping[str, str], None]


def load_captions(source: CaptionSource = None, sidecars: Optional[Mapping[str, str]] = None) -> Optional[dict]:
    """Absolute image path -> caption from the ``sidecars`` (image -> sidecar file, see ``files.walk``) and
    ``source``: a dict {image path: caption}, or a ``.csv`` (:func:`read_caption_csv`) or JSON file
    (:func:`read_caption_json`) holding one; ``source`` wins where both give a caption. None: no captions at all
    (then an index run leaves stored captions as they are)."""
    captions = {}
    for image, sidecar in (sidecars or {}).items():
        text = _read_caption(sidecar)
        if text:
            captions[os.path.abspath(image)] = text
    if isinstance(source, Mapping):
        captions.update({os.path.abspath(os.path.expanduser(k)): v for k, v in source.items()})
    elif source is not None:
        source = os.fspath(source)
        captions.update(read_caption_csv(source) if source.lower().endswith(".csv") else read_caption_json(source))
    return captions or None


def read_caption_json(path) -> dict[str, str]:
    """Read a JSON object {image path: caption} into absolute image path -> caption (relative paths are taken
    from the file's folder)."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = json.load(handle)
    except json.JSONDecodeError as err:
        raise ValueError(f"{path} is not valid JSON ({err}); expected {{\"image path\": \"caption\", ...}}") from None
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise ValueError(f"{path} must hold one JSON object mapping image paths to caption strings")
    folder = os.path.dirname(os.path.abspath(path))
    return {os.path.abspath(os.path.join(folder, os.path.expanduser(k))): v for k, v in data.items()}


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
