"""The optimiser and learning-rate schedule of the recipe: AdamW (no decay on biases, norms and the
loss's temperature), linear warm-up then cosine decay, stepped once per batch."""

from __future__ import annotations

import math

import torch


def build_optimizer(adapter, loss_fn, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    decay = [p for p in adapter.parameters() if p.dim() >= 2]
    no_decay = [p for p in adapter.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay},
              {"params": no_decay + [p for p in loss_fn.parameters() if p.requires_grad], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr)


def warmup_cosine(optimizer, total_steps: int, warmup_fraction: float):
    warmup = max(1, int(total_steps * warmup_fraction))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, total_steps - warmup)
        return 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
