"""Train the vision adapter from cached features: AdamW, warm-up + cosine, dev recall every epoch.

``train(model, train_pairs, dev_pairs, TrainConfig(...), out_dir)`` writes into ``out_dir``:
``log.jsonl`` (one line per epoch), ``checkpoint.pt`` (the last epoch, for ``resume=True``) and
``best/`` (the best dev checkpoint as a saved model folder). It leaves ``model`` holding the best weights.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from tqdm.auto import tqdm

from ..adapter import VisionAdapter
from ..concept_prior import attach_prior
from ..encoding import batches
from .checkpoint import BEST, CHECKPOINT, NO_BEST, load_best, refuse_to_overwrite, resume_run, save_epoch
from .data import Pairs
from .features import PairFeatures, pair_features
from .losses import build_loss, build_raw_space_loss, centroid_loss
from .matryoshka import fit_joint_space
from .metrics import retrieval_recall
from .recipe import TrainConfig
from .schedule import build_optimizer, warmup_cosine

logger = logging.getLogger(__name__)


@dataclass
class TrainResult:
    best_epoch: int
    best_metrics: dict
    history: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # image path -> reason, over train and dev
    out_dir: Optional[Path] = None


def train(model, train_pairs: Pairs | PairFeatures, dev_pairs: Optional[Pairs | PairFeatures] = None,
          config: TrainConfig = TrainConfig(), out_dir="runs/train", resume: bool = False, cache_root=None,
          show_progress_bar: Optional[bool] = None) -> TrainResult:
    """Train ``model``'s adapter (in place) on cached features of ``train_pairs``; see the module docstring.

    Either side may be ready ``PairFeatures`` (e.g. ``shard_pair_features`` of webdataset shards, memory-mapped).
    """
    out_dir = Path(out_dir)
    refuse_to_overwrite(out_dir, resume)
    model.config = model.config.uncalibrated()  # new weights: the cut-offs calibrated for the old ones do not hold
    train_feats, dev_feats, skipped = _features(model, train_pairs, dev_pairs, config, cache_root, show_progress_bar)
    loss_fn, optimizer, scheduler = _fresh_start(model, train_feats, config)
    attach_prior(model, root=cache_root, show_progress_bar=show_progress_bar)  # (after the space is fitted)
    start_epoch, best, history = 0, dict(NO_BEST), []
    if resume and (out_dir / CHECKPOINT).exists():
        start_epoch, best, history = resume_run(out_dir, config, model, loss_fn, optimizer, scheduler)
    out_dir.mkdir(parents=True, exist_ok=True)

    tensors = _Tensors.of(train_feats)
    if config.centroid_weight:
        tensors.with_centroids(model)
    for epoch in range(start_epoch, config.epochs):
        started = time.perf_counter()
        loss = _train_epoch(model, tensors, loss_fn, optimizer, scheduler, config, epoch, show_progress_bar)
        record = {"epoch": epoch, "loss": loss, "lr": scheduler.get_last_lr()[0],
                  "seconds": round(time.perf_counter() - started, 2)}
        if dev_feats is not None:
            record["dev"] = evaluate_features(model, dev_feats)
        score = record["dev"][config.select_on] if dev_feats is not None else -record["loss"]
        if score > best["score"]:
            best = {"epoch": epoch, "metrics": record.get("dev", {}), "score": score}
            model.save(out_dir / BEST)
        history.append(record)
        save_epoch(out_dir, record, config, model, loss_fn, optimizer, scheduler, best, history)
        logger.info("epoch %d: %s", epoch, record)

    load_best(out_dir, model)
    model.eval()
    return TrainResult(best_epoch=best["epoch"], best_metrics=best["metrics"], history=history,
                       skipped=skipped, out_dir=out_dir)


def _features(model, train_pairs, dev_pairs, config, cache_root, show_progress_bar):
    """Cached features of the train (and dev) pairs, and the images skipped over both."""
    grid = model.adapter.needs_grid
    if config.flip_augment and grid:
        raise ValueError("flip_augment picks between pooled views; the attention adapter reads the grid")
    train_feats = train_pairs if isinstance(train_pairs, PairFeatures) else pair_features(
        model, train_pairs, grid=grid, root=cache_root, show_progress_bar=show_progress_bar, views=config.flip_augment)
    if config.flip_augment and train_feats.views is None:
        raise ValueError("flip_augment needs both views' features; these training features have one")
    dev_feats = dev_pairs if dev_pairs is None or isinstance(dev_pairs, PairFeatures) else pair_features(
        model, dev_pairs, grid=grid, root=cache_root, show_progress_bar=show_progress_bar)
    return train_feats, dev_feats, {**train_feats.skipped, **(dev_feats.skipped if dev_feats else {})}


def _fresh_start(model, train_feats: PairFeatures, config: TrainConfig):
    """A new adapter (seeded), the joint space fitted to the training captions, and loss, optimiser, schedule."""
    device = model.device
    torch.manual_seed(config.seed)
    model.adapter = VisionAdapter(model.config.adapter, model.trunk.output_dim, model.embed_dim).to(device)
    with torch.no_grad():
        fit_joint_space(model.space, train_feats.text, center=config.center_text, rotate=config.rotate_text)
    dims = model.config.matryoshka_dims if config.matryoshka else ()
    if model.raw_space:
        m = float(model.space.text_mean.norm())
        g = m if model.config.image_mean_cos is None else model.config.image_mean_cos
        spread = math.sqrt(max(1 - g * g, 0.0) * max(1 - m * m, 0.0))
        loss_fn = build_raw_space_loss(config.loss, model.embed_dim, model.space.prefix_space, spread,
                                       dims, config.matryoshka_weights).to(device)
    else:
        loss_fn = build_loss(config.loss, dims, config.matryoshka_weights).to(device)
    optimizer = build_optimizer(model.adapter, loss_fn, config.lr, config.weight_decay)
    steps_per_epoch = -(-len(train_feats.text) // config.batch_size)
    return loss_fn, optimizer, warmup_cosine(optimizer, config.epochs * steps_per_epoch, config.warmup_fraction)


@dataclass
class _Tensors:
    """The training features where they are (in RAM, or memory-mapped for a shard-scale table): each batch is
    gathered, moved to the model's device and mapped into the joint space on its own."""

    text: torch.Tensor
    pooled: torch.Tensor
    views: Optional[torch.Tensor]
    grid: Optional[torch.Tensor]
    image_index: torch.Tensor
    centroids: Optional[torch.Tensor] = None  # (num_images, D): each image's caption mean, for centroid_weight

    @classmethod
    def of(cls, feats: PairFeatures) -> "_Tensors":
        return cls(feats.text, feats.pooled, feats.views, feats.grid, feats.image_index)

    def with_centroids(self, model) -> "_Tensors":
        """Add each image's mean caption vector in the space centroid_weight compares in (on the model's
        device: one row per image, so it stays small however the features are stored)."""
        with torch.no_grad():
            joint = model.text_to_joint(self.text.float()).to(model.device)
            targets = F.normalize(_fitted(model)(joint), dim=-1)
            self.centroids = torch.zeros(len(self.pooled), targets.shape[1], device=targets.device).index_add_(
                0, self.image_index.to(targets.device), targets)
        return self


def _train_epoch(model, t: _Tensors, loss_fn, optimizer, scheduler, config: TrainConfig, epoch: int,
                 show_progress_bar) -> float:
    """One pass over the captions in a seeded order (so a resumed run repeats it); the mean loss."""
    device = model.device
    torch.manual_seed(config.seed * 1000 + epoch)  # shuffling and dropout repeat exactly on resume
    order = torch.randperm(len(t.image_index)).tolist()
    pooled = t.pooled
    if t.views is not None:  # flip augmentation: each image trains on one of its two views, drawn per epoch
        mirrored = torch.rand(len(pooled), 1, device=t.views.device) < 0.5
        pooled = torch.where(mirrored, t.views[1], t.views[0])
    model.adapter.train()
    total = 0.0
    for idx in tqdm(list(batches(order, config.batch_size)), desc=f"epoch {epoch + 1}/{config.epochs}",
                    leave=False, disable=not show_progress_bar):
        ids = t.image_index[idx]
        # adapter_forward: the vectors evaluation and indexing make, the concept prior included where configured
        image = model.adapter_forward(pooled[ids].to(device), None if t.grid is None else t.grid[ids].to(device))
        targets = model.text_to_joint(t.text[idx].float()).to(device)
        ids = ids.to(device)  # gathered where the features are; the loss and centroids use it on the device
        loss = loss_fn(image, targets, ids)
        if t.centroids is not None:
            loss = loss + config.centroid_weight * centroid_loss(_fitted(model)(image), t.centroids[ids])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        scheduler.step()
        total += loss.item() * len(idx)
    model.adapter.eval()
    return total / len(order)


@torch.no_grad()
def evaluate_features(model, feats: PairFeatures, truncate_dim: Optional[int] = None) -> dict:
    """Dev/test recall from cached features (adapter in eval mode), optionally on a Matryoshka prefix."""
    device = model.device
    image = model.adapter_forward(feats.pooled.to(device), None if feats.grid is None else feats.grid.to(device))
    text = model.text_to_joint(feats.text.float())
    if truncate_dim is not None:
        image, text = model.matryoshka_prefix(image, truncate_dim), model.matryoshka_prefix(text, truncate_dim)
    return retrieval_recall(image.cpu(), text.cpu(), feats.image_index)


def _fitted(model):
    """The space centroid regression compares in: the joint space, or a raw-space model's prefix space."""
    return model.space.prefix_space if model.raw_space else (lambda joint: joint)
