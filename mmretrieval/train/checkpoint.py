"""A training run's folder: ``checkpoint.pt`` (the last epoch, for resuming), ``log.jsonl`` and ``best/``."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import torch
from safetensors.torch import load_file

from ..model import WEIGHTS_FILE

logger = logging.getLogger(__name__)

CHECKPOINT = "checkpoint.pt"
LOG = "log.jsonl"
BEST = "best"

NO_BEST = {"epoch": -1, "metrics": {}, "score": float("-inf")}


def refuse_to_overwrite(out_dir: Path, resume: bool) -> None:
    if (out_dir / CHECKPOINT).exists() and not resume:
        raise FileExistsError(f"{out_dir} already holds a run; resume it (resume=True / --resume) or pick another folder")


def resume_run(out_dir: Path, config, model, loss_fn, optimizer, scheduler) -> tuple[int, dict, list]:
    """Load the last epoch's state into model, loss, optimizer and scheduler: ``(next epoch, best, history)``.

    The recipe must be the one the checkpoint was written with."""
    path = out_dir / CHECKPOINT
    state = torch.load(path, map_location=model.device, weights_only=False)
    if state["train_config"] != dataclasses.asdict(config):
        raise ValueError(f"{path} was written with another recipe: {state['train_config']}")
    model.load_trainable_state_dict(state["model"])
    loss_fn.load_state_dict(state["loss"])
    optimizer.load_state_dict(state["optimizer"])
    scheduler.load_state_dict(state["scheduler"])
    logger.info("resuming %s from epoch %d", out_dir, state["epoch"] + 1)
    return state["epoch"] + 1, state["best"], state["history"]


def save_epoch(out_dir: Path, record: dict, config, model, loss_fn, optimizer, scheduler, best: dict,
               history: list) -> None:
    """Append the epoch's log line and replace the checkpoint with this epoch's state."""
    with open(out_dir / LOG, "a") as log:
        log.write(json.dumps(record) + "\n")
    torch.save({"epoch": record["epoch"], "model": model.trainable_state_dict(), "loss": loss_fn.state_dict(),
                "optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "best": best,
                "history": history, "train_config": dataclasses.asdict(config)}, out_dir / CHECKPOINT)


def load_best(out_dir: Path, model) -> None:
    """Put the best epoch's weights (``best/``, a saved model folder) back into ``model``, if there is one."""
    if (out_dir / BEST).is_dir():
        model.load_trainable_state_dict(load_file(str(out_dir / BEST / WEIGHTS_FILE)))
