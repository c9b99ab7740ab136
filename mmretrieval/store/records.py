"""What a collection records about the model that made it, and the policy that keeps models apart:
vectors of one model are never mixed with (or searched by) another's."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence

from .backends.base import ModelMismatchError, Point
from .ids import FULL_VECTORS, IMAGE, OCR, SMALL, TEXT

META_KEY = "mmretrieval"  # the collection's record of the model that made it
OCR_KEY = "mmretrieval_ocr"  # set by the first --ocr run: {"engine": "rapidocr 3.10.0"}


@dataclass(frozen=True)
class CollectionInfo:
    """What made a collection: model name, fingerprint of its trained weights, and dims."""

    model: str
    dim: int
    small_dim: int
    fingerprint: Optional[str] = None


def checked_info(model_name: str, dim: int, small_dim: int, fingerprint: Optional[str] = None) -> CollectionInfo:
    """The record a model writes, with its dims checked."""
    wanted = CollectionInfo(model=model_name, dim=int(dim), small_dim=int(small_dim), fingerprint=fingerprint)
    if not 0 < wanted.small_dim <= wanted.dim:
        raise ValueError(f"small_dim must be in 1..{dim}, got {small_dim}")
    return wanted


def check_same_model(have: CollectionInfo, wanted: CollectionInfo, where: str, advice: str) -> None:
    """Refuse (:class:`ModelMismatchError`, naming both) unless ``wanted`` is the model recorded in ``have``;
    a fingerprint missing on either side is not compared."""
    same_fingerprint = None in (have.fingerprint, wanted.fingerprint) or have.fingerprint == wanted.fingerprint
    if (have.model, have.dim, have.small_dim) != (wanted.model, wanted.dim, wanted.small_dim) or not same_fingerprint:
        raise ModelMismatchError(
            f"{where} holds vectors of model {have.model!r} ({have.dim}-d, small {have.small_dim}-d, weights "
            f"{have.fingerprint or '?'}), but this model is {wanted.model!r} ({wanted.dim}-d, small "
            f"{wanted.small_dim}-d, weights {wanted.fingerprint or '?'}); their vectors are not comparable. {advice}"
        )


def check_dims(points: Sequence[Point], info: CollectionInfo) -> None:
    """Refuse points with an unknown vector name or a vector of other dims than the collection's."""
    for p in points:
        for name, vec in p.vectors.items():
            want = info.small_dim if name == SMALL else info.dim
            if name not in (*FULL_VECTORS, SMALL):
                raise ValueError(f"unknown vector name {name!r}; use {IMAGE!r}, {TEXT!r}, {OCR!r} or {SMALL!r}")
            if len(vec) != want:
                raise ModelMismatchError(f"vector {name!r} of point {p.id} is {len(vec)}-d; the collection wants {want}-d")
