"""Shared steps of every ``encode_*``: batching, Matryoshka truncation, output format."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from .images import ImageLoadError
from .parallel import bounded_map


def as_list(inputs) -> tuple[list, bool]:
    """Return ``(items, was_single)``: one string/path/image becomes a list of one."""
    if isinstance(inputs, (list, tuple)):
        return list(inputs), False
    if isinstance(inputs, np.ndarray) or (isinstance(inputs, torch.Tensor) and inputs.dim() > 3):
        return list(inputs), False
    return [inputs], True


def batches(order: Sequence[int], batch_size: int) -> Iterator[list[int]]:
    """Consecutive chunks of ``order`` of at most ``batch_size``."""
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    for start in range(0, len(order), batch_size):
        yield list(order[start : start + batch_size])


def pixel_batches(load, items: Sequence, batch_size: int, workers: int) -> Iterator[tuple[list[int], Optional[torch.Tensor], dict]]:
    """``(indices, pixels, errors)`` per ``batch_size`` consecutive ``items``: the one way images reach a trunk.

    ``load(item)`` (read + preprocess) runs on ``workers`` threads, at most two batches ahead
    (:func:`~mmretrieval.parallel.bounded_map`). An item whose ``load`` raises :class:`ImageLoadError`
    is left out of its batch and given in ``errors`` (index -> the error); ``pixels`` is None when no
    item of the batch loaded.
    """
    loaded = bounded_map(_attempt(load), items, workers=workers, ahead=2 * batch_size)
    for chunk in batches(range(len(items)), batch_size):
        results = [next(loaded) for _ in chunk]
        errors = {i: r for i, r in zip(chunk, results) if isinstance(r, ImageLoadError)}
        good = [i for i in chunk if i not in errors]
        pixels = torch.stack([r for r in results if not isinstance(r, ImageLoadError)]) if good else None
        yield good, pixels, errors


def _attempt(load):
    def attempt(item):
        try:
            return load(item)
        except ImageLoadError as err:
            return err

    return attempt


def finish(
    embeddings: torch.Tensor,
    *,
    normalize_embeddings: bool,
    truncate_dim: Optional[int],
    convert_to_numpy: bool,
    convert_to_tensor: bool = False,
    single: bool = False,
):
    """Truncate to ``truncate_dim`` (Matryoshka), re-normalise, convert like sentence-transformers."""
    embeddings = embeddings.float()
    if truncate_dim is not None:
        full = embeddings.shape[-1]
        if not 0 < truncate_dim <= full:
            raise ValueError(f"truncate_dim must be in 1..{full}, got {truncate_dim}")
        embeddings = embeddings[..., :truncate_dim]
    if normalize_embeddings:
        embeddings = F.normalize(embeddings, dim=-1)
    if single:
        embeddings = embeddings[0]
    if convert_to_tensor:
        return embeddings
    if convert_to_numpy:
        return embeddings.cpu().numpy()
    return list(embeddings.cpu())


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"
