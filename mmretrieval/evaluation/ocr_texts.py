"""The text OCR reads in evaluation images, cached on disk by file content and engine."""

from __future__ import annotations

import hashlib
import json
from typing import Optional

from tqdm.auto import tqdm

from ..paths import cache_dir


def ocr_texts(paths: list[str], show_progress_bar: Optional[bool] = None) -> list[str]:
    """One string per image ("" where OCR finds no text); an OCR failure stops the run and is named."""
    from PIL import Image

    from ..indexing.ocr import load_engine

    engine = load_engine()
    folder = cache_dir("ocr", engine.name.replace(" ", "-"))
    folder.mkdir(parents=True, exist_ok=True)
    texts = []
    for path in tqdm(paths, desc="ocr", unit="img", disable=not (show_progress_bar or show_progress_bar is None)):
        with open(path, "rb") as handle:
            key = hashlib.sha256(handle.read()).hexdigest()
        cached = folder / f"{key}.json"
        if cached.is_file():
            texts.append(json.loads(cached.read_text())["text"])
            continue
        with Image.open(path) as image:
            result = engine.read(image)
        if result.error:
            raise RuntimeError(f"{path}: {result.error}")
        cached.write_text(json.dumps({"text": result.text, "lines": [line.to_dict() for line in result.lines]}))
        texts.append(result.text)
    return texts
