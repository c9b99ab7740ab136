"""Embeddings for evaluation: our models go through the training feature cache, others encode directly.

For an ``MMRetrievalModel`` the frozen towers' outputs come from ``mmretrieval.train.cache`` (keyed by
tower, preprocessing and file content), so only the adapter runs on a rerun and every model sharing a
trunk or text tower (e.g. trained vs untrained adapter) shares the expensive part.
"""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..encoding import finish
from ..model import MMRetrievalModel


def encode_images(model, paths: list[str], batch_size: int = 64, show_progress_bar: Optional[bool] = None) -> np.ndarray:
    """Unit vectors ``(len(paths), dim)``; an unreadable image stops the run and is named."""
    if not isinstance(model, MMRetrievalModel):
        return model.encode_image(paths, batch_size=batch_size, show_progress_bar=show_progress_bar)
    from ..train.cache import image_features

    features = image_features(model, paths, grid=model.adapter.needs_grid, batch_size=batch_size,
                              show_progress_bar=show_progress_bar)
    if features.failed:
        bad = [f"{paths[i]} ({reason})" for i, reason in list(features.failed.items())[:5]]
        raise ValueError(f"{len(features.failed)} evaluation images could not be read, e.g. {'; '.join(bad)}")
    with torch.inference_mode():
        grid = None if features.grid is None else features.grid.to(model.device)
        joint = model.adapter_forward(features.pooled.to(model.device), grid).cpu()
    return finish(joint, normalize_embeddings=True, truncate_dim=None, convert_to_numpy=True)


def encode_texts(model, texts: list[str], task: str, batch_size: int = 64,
                 show_progress_bar: Optional[bool] = None) -> np.ndarray:
    """Unit vectors ``(len(texts), dim)`` in the model's joint space."""
    if not isinstance(model, MMRetrievalModel):
        return model.encode_text(texts, task=task, batch_size=batch_size, show_progress_bar=show_progress_bar)
    from ..train.cache import text_embeddings

    raw = text_embeddings(model, texts, task=task, batch_size=batch_size, show_progress_bar=show_progress_bar)
    return finish(model.text_to_joint(raw), normalize_embeddings=True, truncate_dim=None, convert_to_numpy=True)


def truncate(embeddings: np.ndarray, dim: int, model=None) -> np.ndarray:
    """Matryoshka: the ``dim``-d prefix, re-normalised (the first ``dim`` coordinates, unless ``model``
    is an ``MMRetrievalModel``, whose ``matryoshka_prefix`` knows its space). Any leading shape."""
    flat = torch.from_numpy(np.ascontiguousarray(embeddings)).reshape(-1, embeddings.shape[-1])
    if isinstance(model, MMRetrievalModel):
        cut = model.matryoshka_prefix(flat, dim)
    else:
        cut = finish(flat, normalize_embeddings=True, truncate_dim=dim, convert_to_tensor=True, convert_to_numpy=False)
    return cut.numpy().reshape(*embeddings.shape[:-1], dim)
