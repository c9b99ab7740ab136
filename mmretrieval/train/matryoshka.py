"""Fit the joint space's text side: an optional caption mean and an orthogonal, PCA-ordered rotation.

The text tower is frozen, so its vectors cannot be trained to be Matryoshka-friendly. Instead the
joint space is put in the basis of the captions' principal axes (largest variance first), so the
first 32/64/... coordinates carry the most. The rotation is orthogonal: full-dim dot products and
cosines are exactly those of the vectors it rotates. Subtracting the caption mean first (an
option, on by default) removes the direction all captions share (e5's captions sit at mean cosine
0.78); it is fitted on training captions and stored with the model, so queries get it too.
"""

from __future__ import annotations

import torch


CHUNK = 65536  # rows at a time: a memory-mapped table of millions of captions is never copied whole


def fit_text_mean(text: torch.Tensor) -> torch.Tensor:
    """Mean of (normalised) caption embeddings ``(N, D)``."""
    total = sum(text[i:i + CHUNK].double().sum(0) for i in range(0, len(text), CHUNK))
    return (total / len(text)).float()


def fit_rotation(text: torch.Tensor, mean: torch.Tensor | None = None) -> torch.Tensor:
    """Orthogonal ``(D, D)`` matrix whose columns are the principal axes of ``text - mean``, by variance.

    Signs are fixed (largest entry of each axis positive) so a fit is reproducible.
    """
    covariance = torch.zeros(text.shape[1], text.shape[1], dtype=torch.float64)
    for i in range(0, len(text), CHUNK):
        x = text[i:i + CHUNK].double()
        if mean is not None:
            x = x - mean.double()
        covariance += x.T @ x
    covariance /= max(len(text) - 1, 1)
    variances, axes = torch.linalg.eigh(covariance)  # ascending, orthonormal columns
    axes = axes[:, variances.argsort(descending=True)]
    signs = torch.sign(axes.gather(0, axes.abs().argmax(0, keepdim=True)))
    return (axes * signs).float()


def fit_joint_space(space, text: torch.Tensor, center: bool = True, rotate: bool = True) -> None:
    """Set a ``JointSpace``'s ``text_mean`` and ``rotation`` from training caption embeddings."""
    dim = text.shape[1]
    mean = fit_text_mean(text) if center else torch.zeros(dim)
    rotation = fit_rotation(text, mean) if rotate else torch.eye(dim)
    space.text_mean.copy_(mean.to(space.text_mean.device))
    space.rotation.copy_(rotation.to(space.rotation.device))
