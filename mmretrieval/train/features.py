"""Pairs -> cached tensors ready for training: image features, caption embeddings, and what was skipped."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Optional

import torch

from .cache import image_features, text_embeddings
from .data import Pairs

logger = logging.getLogger(__name__)

CAPTION_TASK = "retrieval.query"  # captions are embedded the way search queries will be


@dataclass
class PairFeatures:
    """Features of the pairs whose image loaded: ``text[i]`` describes ``pooled[image_index[i]]``.

    The tensors may be memory-mapped (a shard-scale feature table): training gathers rows per batch.
    """

    pairs: Optional[Pairs]  # None for a feature table, whose rows stand for themselves
    pooled: torch.Tensor  # (num_images, C)
    grid: Optional[torch.Tensor]  # (num_images, H*W, C) or None
    text: torch.Tensor  # (num_captions, D), normalised text-tower embeddings
    skipped: dict  # image path -> reason it was skipped
    views: Optional[torch.Tensor] = None  # (2, num_images, C): plain and mirrored pooled features, if asked
    rows: Optional[torch.Tensor] = None  # the image row of each caption, when there are no pairs

    @property
    def image_index(self) -> torch.Tensor:
        return self.rows if self.rows is not None else torch.tensor(self.pairs.image_index)


def pair_features(model, pairs: Pairs, grid: bool = False, root=None, show_progress_bar: Optional[bool] = None,
                  batch_size: int = 64, views: bool = False) -> PairFeatures:
    """Encode (or read from the cache) both sides of ``pairs``; unreadable images are dropped and reported.

    ``pooled`` is what the model computes (the two views' average with ``trunk.tta_flip``); ``views=True``
    also reads the plain and the mirrored image's features, for flip augmentation in training.
    """
    images = image_features(model, pairs.images, grid=grid, root=root, batch_size=batch_size,
                            show_progress_bar=show_progress_bar)
    skipped = {pairs.images[i]: reason for i, reason in images.failed.items()}
    for path, reason in skipped.items():
        logger.warning("skipping %s: %s", path, reason)
    kept = images.kept
    if not kept:
        raise ValueError(f"none of the {len(pairs.images)} images could be read (first: {next(iter(skipped.items()))})")
    pairs = pairs.subset_images(kept) if skipped else pairs
    pooled = images.pooled[kept]
    grid_rows = images.grid[kept] if images.grid is not None else None
    view_rows = None
    if views:
        view_rows = torch.stack([
            image_features(model, pairs.images, root=root, batch_size=batch_size, flip=flip,
                           show_progress_bar=show_progress_bar).pooled for flip in (False, True)])
    text = text_embeddings(model, pairs.captions, task=CAPTION_TASK, root=root, batch_size=batch_size,
                           show_progress_bar=show_progress_bar)
    return PairFeatures(pairs=pairs, pooled=pooled, grid=grid_rows, text=text, skipped=skipped, views=view_rows)
