"""Flip test-time augmentation: the two views of an image and how the model combines them.

``plain`` is the image as preprocessed, ``mirrored`` its left-right mirror image. A model with
``trunk.tta_flip`` uses the average of both views' pooled features; the feature cache stores each
view on its own (training can pick one per epoch) and averages them the same way.
"""

from __future__ import annotations

import torch

PLAIN, MIRRORED = "plain", "mirrored"
VIEWS = (PLAIN, MIRRORED)


def view_pixels(pixels: torch.Tensor, view: str) -> torch.Tensor:
    """A batch of preprocessed images ``(B, C, H, W)`` as ``view`` sees it."""
    if view not in VIEWS:
        raise ValueError(f"unknown view {view!r}; use {PLAIN!r} or {MIRRORED!r}")
    return pixels.flip(-1) if view == MIRRORED else pixels


def average_views(plain: torch.Tensor, mirrored: torch.Tensor) -> torch.Tensor:
    """The pooled features a flip-averaging model uses."""
    return (plain + mirrored) / 2
