"""Row-aligned, memory-mapped features for millions of (image, caption) pairs: written part by part, read lazily.

A table is a folder of parts, one per source shard (``<part>/image.npy``, ``text.npy``: float16, row ``i`` of
both is sample ``i``; ``keys.json``: the samples' ids). A part appears atomically (written to a temporary
folder, then renamed), so an interrupted pass keeps every finished part and a rerun does only the rest.
``table.subset(parts).open()`` concatenates those parts into one ``.npy`` per side the first time (streamed,
a part at a time, kept under ``merged/``) and memory-maps it, so training gathers its batches from the
page cache and never holds the table in RAM.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Iterable, Optional

import numpy as np
import torch

DTYPE = np.float16
SIDES = ("image", "text")


class FeatureTable:
    """Parts under ``<folder>/parts/``; ``only`` restricts the view to some of them (in that order)."""

    def __init__(self, folder: Path, only: Optional[list[str]] = None):
        self.folder = Path(folder)
        self.only = only

    def subset(self, names: list[str]) -> "FeatureTable":
        return FeatureTable(self.folder, list(names))

    # ---- writing -------------------------------------------------------------------------
    def has_part(self, name: str) -> bool:
        return (self.folder / "parts" / name / "keys.json").is_file()

    def parts(self) -> list[str]:
        if self.only is not None:
            return [name for name in self.only if self.has_part(name)]
        root = self.folder / "parts"
        return sorted(p.name for p in root.iterdir() if (p / "keys.json").is_file()) if root.is_dir() else []

    def part_info(self, name: str) -> dict:
        return json.loads((self.folder / "parts" / name / "info.json").read_text())

    def part_rows(self, name: str) -> int:
        return len(np.load(self.folder / "parts" / name / "text.npy", mmap_mode="r"))

    def write_part(self, name: str, keys: list[str], image: np.ndarray, text: np.ndarray, info: Optional[dict] = None):
        """Store one part (all rows of one source shard) atomically."""
        if not len(keys) == len(image) == len(text):
            raise ValueError(f"part {name}: {len(keys)} keys, {len(image)} image rows, {len(text)} text rows")
        final = self.folder / "parts" / name
        tmp = self.folder / "parts" / f".{name}.{uuid.uuid4().hex}.tmp"
        tmp.mkdir(parents=True)
        np.save(tmp / "image.npy", np.asarray(image, dtype=DTYPE))
        np.save(tmp / "text.npy", np.asarray(text, dtype=DTYPE))
        (tmp / "info.json").write_text(json.dumps(info or {}))
        (tmp / "keys.json").write_text(json.dumps(keys))  # last: its presence marks a finished part
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)

    # ---- reading -------------------------------------------------------------------------
    def keys(self) -> list[str]:
        return [k for part in self.parts() for k in json.loads((self.folder / "parts" / part / "keys.json").read_text())]

    def open(self) -> tuple[torch.Tensor, torch.Tensor]:
        """``(image, text)`` float16 tensors backed by memory-mapped files (merging the parts first if needed)."""
        parts = self.parts()
        if not parts:
            raise ValueError(f"feature table {self.folder} has no finished parts")
        merged = self.folder / "merged" / hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]
        if not (merged / "parts.json").is_file():
            self._merge(parts, merged)
        return tuple(torch.from_numpy(np.load(merged / f"{side}.npy", mmap_mode="c")) for side in SIDES)

    def _merge(self, parts: list[str], merged: Path) -> None:
        merged.mkdir(parents=True, exist_ok=True)
        for side in SIDES:
            arrays = [np.load(self.folder / "parts" / p / f"{side}.npy", mmap_mode="r") for p in parts]
            rows, width = sum(len(a) for a in arrays), arrays[0].shape[1]
            tmp = merged / f".{side}.{uuid.uuid4().hex}.tmp.npy"
            out = np.lib.format.open_memmap(tmp, mode="w+", dtype=DTYPE, shape=(rows, width))
            start = 0
            for array in arrays:
                out[start:start + len(array)] = array
                start += len(array)
            out.flush()
            del out
            os.replace(tmp, merged / f"{side}.npy")
        (merged / "parts.json").write_text(json.dumps(parts))  # last: marks a finished merge


def append_rows(chunks: Iterable[np.ndarray], width: int) -> np.ndarray:
    """Stack float16 row chunks (an empty part still has its width)."""
    chunks = list(chunks)
    return np.concatenate(chunks).astype(DTYPE) if chunks else np.zeros((0, width), DTYPE)
