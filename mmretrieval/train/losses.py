"""Contrastive losses as plain modules over features (never models), in the style of open_clip.

Every loss takes ``(image_features, text_features, ids=None)``: matching rows are pairs, inputs are
L2-normalised inside, and ``ids`` (one per row) marks rows showing the same image, so two captions of
one photo in a batch are not pushed apart as negatives.
"""

from __future__ import annotations

import math
from typing import Optional, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def _same_item(n: int, ids: Optional[torch.Tensor], device) -> torch.Tensor:
    """``(n, n)`` bool: True where rows ``i`` and ``j`` are a positive pair."""
    if ids is None:
        return torch.eye(n, dtype=torch.bool, device=device)
    ids = ids.to(device)
    return ids[:, None] == ids[None, :]


class InfoNCELoss(nn.Module):
    """Symmetric InfoNCE (CLIP) with a learnable temperature, ``logit_scale = log(1 / T)``.

    With ``ids``, the other captions of the same image are left out of each row's negatives.
    """

    def __init__(self, temperature: float = 0.07, learn_temperature: bool = True, max_scale: float = 100.0):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(1 / temperature)), requires_grad=learn_temperature)
        self.max_log_scale = math.log(max_scale)

    def forward(self, image: torch.Tensor, text: torch.Tensor, ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        image, text = F.normalize(image, dim=-1), F.normalize(text, dim=-1)
        scale = self.logit_scale.clamp(max=self.max_log_scale).exp()
        logits = scale * image @ text.T
        same = _same_item(len(image), ids, logits.device)
        off_diagonal_positive = same & ~torch.eye(len(image), dtype=torch.bool, device=logits.device)
        logits = logits.masked_fill(off_diagonal_positive, float("-inf"))
        target = torch.arange(len(image), device=logits.device)
        return (F.cross_entropy(logits, target) + F.cross_entropy(logits.T, target)) / 2


class SigLIPLoss(nn.Module):
    """SigLIP's pairwise sigmoid loss: ``-mean_i sum_j log sigmoid(z_ij * (t * x_i . y_j + b))``.

    ``z_ij`` is +1 for a pair (same ``ids``), -1 otherwise; ``t = exp(logit_scale)`` and ``b`` are
    learned, starting at the paper's ``t = 10, b = -10``.
    """

    def __init__(self, scale: float = 10.0, bias: float = -10.0):
        super().__init__()
        self.logit_scale = nn.Parameter(torch.tensor(math.log(scale)))
        self.logit_bias = nn.Parameter(torch.tensor(float(bias)))

    def forward(self, image: torch.Tensor, text: torch.Tensor, ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        image, text = F.normalize(image, dim=-1), F.normalize(text, dim=-1)
        logits = self.logit_scale.exp() * image @ text.T + self.logit_bias
        signs = _same_item(len(image), ids, logits.device).float() * 2 - 1
        return -F.logsigmoid(signs * logits).sum() / len(image)


class MatryoshkaLoss(nn.Module):
    """Sum of ``loss`` over nested prefixes: ``sum_d w_d * loss(x[:, :d], y[:, :d])``.

    Each prefix is re-normalised (by the inner loss), exactly as ``truncate_dim`` does at search time.
    """

    def __init__(self, loss: nn.Module, dims: Sequence[int], weights: Optional[Sequence[float]] = None):
        super().__init__()
        if not dims:
            raise ValueError("MatryoshkaLoss needs at least one prefix dimension")
        self.loss = loss
        self.dims = tuple(int(d) for d in dims)
        self.weights = tuple(weights) if weights is not None else (1.0,) * len(self.dims)
        if len(self.weights) != len(self.dims):
            raise ValueError(f"got {len(self.weights)} weights for {len(self.dims)} dims")

    def forward(self, image: torch.Tensor, text: torch.Tensor, ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        full = image.shape[-1]
        bad = [d for d in self.dims if not 0 < d <= full]
        if bad:
            raise ValueError(f"Matryoshka dims {bad} do not fit {full}-d features")
        return sum(w * self.loss(image[:, :d], text[:, :d], ids) for d, w in zip(self.dims, self.weights))


class RawSpaceLoss(nn.Module):
    """For raw-space models: ``full`` on the full-dim vectors as search ranks them (text model's own space),
    plus ``prefixes`` (a Matryoshka loss, or None) on the same vectors mapped by ``prefix_space`` (the
    model's ``JointSpace.prefix_space``, a fixed linear map), where the model cuts its Matryoshka prefixes."""

    def __init__(self, full: nn.Module, prefixes: Optional[nn.Module], prefix_space):
        super().__init__()
        self.full = full
        self.prefixes = prefixes
        self.prefix_space = prefix_space

    def forward(self, image: torch.Tensor, text: torch.Tensor, ids: Optional[torch.Tensor] = None) -> torch.Tensor:
        loss = self.full(image, text, ids)
        if self.prefixes is not None:
            loss = loss + self.prefixes(self.prefix_space(image), self.prefix_space(text), ids)
        return loss


def centroid_loss(image: torch.Tensor, centroid: torch.Tensor) -> torch.Tensor:
    """Mean ``1 - cos(image_i, centroid_i)``: regression of each image onto the mean of its captions, which the
    captions' wordings (and languages) share, beside a contrastive loss that rewards any separating detail."""
    return (1 - F.cosine_similarity(image, centroid, dim=-1)).mean()


LOSSES = {"infonce": InfoNCELoss, "siglip": SigLIPLoss}


def build_loss(name: str, matryoshka_dims: Sequence[int] = (), matryoshka_weights: Optional[Sequence[float]] = None,
               **kwargs) -> nn.Module:
    """``infonce`` or ``siglip``, wrapped in :class:`MatryoshkaLoss` when ``matryoshka_dims`` is given."""
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {', '.join(LOSSES)}")
    loss = LOSSES[name](**kwargs)
    return MatryoshkaLoss(loss, matryoshka_dims, matryoshka_weights) if matryoshka_dims else loss


def build_raw_space_loss(name: str, full_dim: int, prefix_space, spread: float, matryoshka_dims: Sequence[int] = (),
                         matryoshka_weights: Optional[Sequence[float]] = None, **kwargs) -> RawSpaceLoss:
    """:class:`RawSpaceLoss`: the full dim's weight (1 if it is not among ``matryoshka_dims``) goes to the
    raw-space term, the smaller dims' to the prefix-space Matryoshka term.

    Raw-space cosines between captions and placed images vary only in their parts orthogonal to the
    mean, ``spread`` (``sqrt(1 - g^2) * sqrt(1 - |m|^2)``) as wide as prefix-space ones, so InfoNCE's
    starting and largest logit scale are divided by it for the raw-space term (a centred model's sharpness)."""
    weights = tuple(matryoshka_weights) if matryoshka_weights is not None else (1.0,) * len(matryoshka_dims)
    if len(weights) != len(matryoshka_dims):
        raise ValueError(f"got {len(weights)} weights for {len(matryoshka_dims)} dims")
    by_dim = dict(zip((int(d) for d in matryoshka_dims), weights))
    full_weight = by_dim.pop(full_dim, 1.0)
    full_kwargs = dict(kwargs)
    if name == "infonce":
        spread = max(spread, 1e-3)
        full_kwargs.setdefault("temperature", 0.07 * spread)
        full_kwargs.setdefault("max_scale", 100.0 / spread)
    full = build_loss(name, (full_dim,), (full_weight,), **full_kwargs)
    prefixes = build_loss(name, tuple(by_dim), tuple(by_dim.values()), **kwargs) if by_dim else None
    return RawSpaceLoss(full, prefixes, prefix_space)
