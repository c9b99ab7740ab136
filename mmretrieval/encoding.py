"""Shared steps of every ``encode_*``: batching, Matryoshka truncation, output format."""

from __future__ import annotations

from typing import Iterator, Optional, Sequence

import numpy as np
import torch
import torch.nn.functional as F


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
