"""Zero-shot classification: each class is the mean of its prompt embeddings (CLIP's template ensemble)."""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .ranking import hit_rates, percent, positives_mask

KS = (1, 5)


def class_embeddings(prompt_emb: np.ndarray, n_classes: int) -> np.ndarray:
    """``prompt_emb`` holds ``n_classes * n_templates`` unit vectors, class-major; average and re-normalise."""
    prompt_emb = np.asarray(prompt_emb, dtype=np.float32)
    if len(prompt_emb) % n_classes:
        raise ValueError(f"{len(prompt_emb)} prompt vectors do not split evenly into {n_classes} classes")
    means = prompt_emb.reshape(n_classes, -1, prompt_emb.shape[-1]).mean(axis=1)
    return means / np.maximum(np.linalg.norm(means, axis=1, keepdims=True), 1e-12)


def evaluate(image_emb: np.ndarray, class_emb: np.ndarray, labels: Sequence[int], ks: Sequence[int] = KS) -> dict:
    """``top1``/``top5`` accuracy and ``mean_per_class_recall`` (top-1 recall averaged over classes), in %."""
    scores = np.asarray(image_emb, dtype=np.float32) @ np.asarray(class_emb, dtype=np.float32).T
    labels = np.asarray(labels)
    ks = [k for k in ks if k <= scores.shape[1]]  # top-5 of 3 classes is meaningless
    hits = hit_rates(scores, positives_mask([[int(y)] for y in labels], scores.shape[1]), sorted({1, *ks}))
    metrics = {f"top{k}": percent(hits[k]) for k in ks}
    per_class = [hits[1][labels == c].mean() for c in np.unique(labels)]
    metrics["mean_per_class_recall"] = round(100.0 * float(np.mean(per_class)), 4)
    return metrics
