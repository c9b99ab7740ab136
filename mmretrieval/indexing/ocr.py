"""Text in images: an OCR engine behind one small interface (``pip install "mmretrieval[ocr]"``).

The engine is RapidOCR 3.x (PaddleOCR's PP-OCRv6 detector and recogniser as ONNX models, run by
onnxruntime on the CPU); its models ship inside the ``rapidocr`` wheel, so nothing is downloaded at
first use. ``eval/bench_ocr.py`` is how it was chosen (word recall and seconds per image against
rapidocr-onnxruntime 1.4 and Tesseract 5, see README "Text in images"). Languages follow the engine's
default recogniser (Chinese and English, Latin script).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Optional

INSTALL_HINT = 'pip install "mmretrieval[ocr]"'
MIN_LINE_SCORE = 0.5  # the engine's own default: lines read with less confidence are dropped


class OCRUnavailableError(ImportError):
    """No OCR engine is installed (the ``ocr`` extra)."""


@dataclass(frozen=True)
class OCRLine:
    """One line of text read from an image: its words, the four corners of its box (x, y in pixels of
    the image as read, clockwise from top-left) and the engine's confidence."""

    text: str
    box: list
    score: float

    def to_dict(self) -> dict:
        return {"text": self.text, "box": self.box, "score": self.score}


@dataclass(frozen=True)
class OCRResult:
    """What OCR found in one image (``lines`` empty: no text), or why it failed (``error``)."""

    lines: list = field(default_factory=list)
    error: Optional[str] = None

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)


class OCREngine:
    """RapidOCR on the CPU; ``read(image)`` takes a PIL image and never raises for a bad image."""

    def __init__(self):
        try:
            from rapidocr import RapidOCR
            import onnxruntime  # noqa: F401  (rapidocr's default inference engine, not one of its requirements)
        except ImportError as err:
            raise OCRUnavailableError(f"OCR needs the rapidocr and onnxruntime packages ({err.name} is missing): "
                                      f"{INSTALL_HINT}") from None
        from importlib import metadata

        self._engine = RapidOCR(params={"Global.log_level": "error", "Global.text_score": MIN_LINE_SCORE})
        self._lock = threading.Lock()  # one onnxruntime session set: calls from worker threads take turns
        self.name = f"rapidocr {metadata.version('rapidocr')}"

    def read(self, image) -> OCRResult:
        import numpy as np

        try:
            pixels = np.asarray(image.convert("RGB"))[:, :, ::-1]  # the engine reads BGR, as OpenCV does
            with self._lock:
                found = self._engine(np.ascontiguousarray(pixels))
        except Exception as err:  # noqa: BLE001 (an OCR failure is reported per image, never fatal)
            return OCRResult(error=f"OCR failed ({type(err).__name__}: {err})")
        if found is None or not found.txts:
            return OCRResult()
        lines = [OCRLine(str(text), [[round(float(x), 1), round(float(y), 1)] for x, y in box], round(float(score), 4))
                 for text, box, score in zip(found.txts, found.boxes, found.scores) if str(text).strip()]
        return OCRResult(lines)


_shared: dict = {}


def load_engine() -> OCREngine:
    """The process's one OCR engine (loaded on first use); :class:`OCRUnavailableError` says what to install."""
    if "engine" not in _shared:
        _shared["engine"] = OCREngine()
    return _shared["engine"]
