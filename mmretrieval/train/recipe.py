"""The training recipe's options (no torch here: ``mmretrieval train --help`` shows their defaults)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional


@dataclass(frozen=True)
class TrainConfig:
    """The training recipe (the adapter's own shape and dropout live in the model config)."""

    epochs: int = 30
    batch_size: int = 512
    lr: float = 2e-3
    weight_decay: float = 0.05
    warmup_fraction: float = 0.05  # of all steps
    loss: str = "infonce"  # "infonce" | "siglip"
    matryoshka: bool = True  # sum the loss over the model config's matryoshka_dims
    matryoshka_weights: Optional[tuple] = None  # one per dim; None: all 1
    center_text: bool = True  # subtract the training captions' mean from text vectors
    rotate_text: bool = True  # PCA rotation so Matryoshka prefixes keep the most
    centroid_weight: float = 0.0  # beside the contrastive loss: pull each image to its captions' mean (fitted space)
    flip_augment: bool = False  # each epoch, each image trains on its plain or its mirrored view (both cached)
    select_on: str = "rsum"  # dev metric that picks the best epoch
    seed: int = 0
