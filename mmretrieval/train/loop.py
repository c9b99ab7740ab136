"""Train the vision adapter from cached features: AdamW, warm-up + cosine, dev recall every epoch.

``train(model, train_pairs, dev_pairs, TrainConfig(...), out_dir)`` writes into ``out_dir``:
``log.jsonl`` (one line per epoch), ``checkpoint.pt`` (the last epoch, for ``resume=True``) and
``best/`` (the best dev checkpoint as a saved model folder). It leaves ``model`` holding the best weights.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import torch
from safetensors.torch import load_file
from tqdm.auto import tqdm

from ..adapter import VisionAdapter
from ..encoding import batches
from ..model import WEIGHTS_FILE
from .data import Pairs
from .features import PairFeatures, pair_features
from .losses import build_loss, build_raw_space_loss
from .matryoshka import fit_joint_space
from .metrics import retrieval_recall
from .recipe import TrainConfig

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"
BEST = "best"


@dataclass
class TrainResult:
    best_epoch: int
    best_metrics: dict
    history: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # image path -> reason, over train and dev
    out_dir: Optional[Path] = None


def train(model, train_pairs: Pairs, dev_pairs: Optional[Pairs] = None, config: TrainConfig = TrainConfig(),
          out_dir="runs/train", resume: bool = False, cache_root=None,
          show_progress_bar: Optional[bool] = None) -> TrainResult:
    """Train ``model``'s adapter (in place) on cached features of ``train_pairs``; see the module docstring."""
    out_dir = Path(out_dir)
    checkpoint_path = out_dir / CHECKPOINT
    if checkpoint_path.exists() and not resume:
        raise FileExistsError(f"{out_dir} already holds a run; resume it (resume=True / --resume) or pick another folder")
    grid = model.adapter.needs_grid
    if config.flip_augment and grid:
        raise ValueError("flip_augment picks between pooled views; the attention adapter reads the grid")
    train_feats = pair_features(model, train_pairs, grid=grid, root=cache_root, show_progress_bar=show_progress_bar,
                                views=config.flip_augment)
    dev_feats = (pair_features(model, dev_pairs, grid=grid, root=cache_root, show_progress_bar=show_progress_bar)
                 if dev_pairs is not None else None)
    skipped = {**train_feats.skipped, **(dev_feats.skipped if dev_feats else {})}

    device = model.device
    torch.manual_seed(config.seed)
    model.adapter = VisionAdapter(model.config.adapter, model.trunk.output_dim, model.embed_dim).to(device)
    with torch.no_grad():
        fit_joint_space(model.space, train_feats.text, center=config.center_text, rotate=config.rotate_text)
    dims = model.config.matryoshka_dims if config.matryoshka else ()
    if model.raw_space:
        loss_fn = build_raw_space_loss(config.loss, model.embed_dim, model.space.text_mean, model.space.rotation,
                                       dims, config.matryoshka_weights).to(device)
    else:
        loss_fn = build_loss(config.loss, dims, config.matryoshka_weights).to(device)
    optimizer = _optimizer(model.adapter, loss_fn, config)
    steps_per_epoch = math.ceil(len(train_feats.pairs) / config.batch_size)
    scheduler = _warmup_cosine(optimizer, config.epochs * steps_per_epoch, config.warmup_fraction)

    start_epoch, best, history = 0, {"epoch": -1, "metrics": {}, "score": -math.inf}, []
    if resume and checkpoint_path.exists():
        state = torch.load(checkpoint_path, map_location=device, weights_only=False)
        if state["train_config"] != dataclasses.asdict(config):
            raise ValueError(f"{checkpoint_path} was written with another recipe: {state['train_config']}")
        model.load_trainable_state_dict(state["model"])
        loss_fn.load_state_dict(state["loss"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        start_epoch, best, history = state["epoch"] + 1, state["best"], state["history"]
        logger.info("resuming %s from epoch %d", out_dir, start_epoch)
    out_dir.mkdir(parents=True, exist_ok=True)

    text_targets = model.text_to_joint(train_feats.text).to(device)
    pooled = train_feats.pooled.to(device)
    views = train_feats.views.to(device) if train_feats.views is not None else None
    grid_rows = train_feats.grid.to(device) if train_feats.grid is not None else None
    image_index = train_feats.image_index.to(device)
    for epoch in range(start_epoch, config.epochs):
        started = time.perf_counter()
        torch.manual_seed(config.seed * 1000 + epoch)  # shuffling and dropout repeat exactly on resume
        order = torch.randperm(len(image_index)).tolist()
        if views is not None:
            mirrored = torch.rand(len(pooled), 1, device=device) < 0.5
            pooled = torch.where(mirrored, views[1], views[0])
        model.adapter.train()
        total = 0.0
        for idx in tqdm(list(batches(order, config.batch_size)), desc=f"epoch {epoch + 1}/{config.epochs}",
                        leave=False, disable=not show_progress_bar):
            ids = image_index[idx]
            image = model.image_to_joint(model.adapter(pooled[ids], None if grid_rows is None else grid_rows[ids].float()))
            loss = loss_fn(image, text_targets[idx], ids)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item() * len(idx)
        model.adapter.eval()
        record = {"epoch": epoch, "loss": total / len(order), "lr": scheduler.get_last_lr()[0],
                  "seconds": round(time.perf_counter() - started, 2)}
        if dev_feats is not None:
            record["dev"] = evaluate_features(model, dev_feats)
        score = record["dev"][config.select_on] if dev_feats is not None else -record["loss"]
        if score > best["score"]:
            best = {"epoch": epoch, "metrics": record.get("dev", {}), "score": score}
            model.save(out_dir / BEST)
        history.append(record)
        with open(out_dir / LOG, "a") as log:
            log.write(json.dumps(record) + "\n")
        torch.save({"epoch": epoch, "model": model.trainable_state_dict(), "loss": loss_fn.state_dict(),
                    "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "best": best,
                    "history": history, "train_config": dataclasses.asdict(config)}, checkpoint_path)
        logger.info("epoch %d: %s", epoch, record)

    if (out_dir / BEST).is_dir():
        model.load_trainable_state_dict(load_file(str(out_dir / BEST / WEIGHTS_FILE)))
    model.eval()
    return TrainResult(best_epoch=best["epoch"], best_metrics=best["metrics"], history=history,
                       skipped=skipped, out_dir=out_dir)


@torch.no_grad()
def evaluate_features(model, feats: PairFeatures, truncate_dim: Optional[int] = None) -> dict:
    """Dev/test recall from cached features (adapter in eval mode), optionally on a Matryoshka prefix."""
    device = model.device
    image = model.adapter_forward(feats.pooled.to(device), None if feats.grid is None else feats.grid.to(device))
    text = model.text_to_joint(feats.text)
    if truncate_dim is not None:
        image, text = model.matryoshka_prefix(image, truncate_dim), model.matryoshka_prefix(text, truncate_dim)
    return retrieval_recall(image.cpu(), text.cpu(), feats.image_index)


def _optimizer(adapter, loss_fn, config: TrainConfig) -> torch.optim.Optimizer:
    decay = [p for p in adapter.parameters() if p.dim() >= 2]
    no_decay = [p for p in adapter.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": config.weight_decay},
              {"params": no_decay + [p for p in loss_fn.parameters() if p.requires_grad], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=config.lr)


def _warmup_cosine(optimizer, total_steps: int, warmup_fraction: float):
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
