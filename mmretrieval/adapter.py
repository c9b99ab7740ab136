"""The trainable vision adapter: trunk features -> the text tower's space."""

from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

from .config import AdapterConfig


class VisionAdapter(nn.Module):
    """Linear, MLP, or attention pooling over the trunk's feature grid.

    ``forward(pooled, grid)`` takes pooled features ``(B, C)`` and, for attention pooling,
    the grid ``(B, N, C)``; it returns un-normalised vectors ``(B, out_dim)``.
    """

    def __init__(self, config: AdapterConfig, in_dim: int, out_dim: int):
        super().__init__()
        self.config = config
        self.input_dropout = nn.Dropout(config.input_dropout)
        if config.kind == "linear":
            self.net = nn.Linear(in_dim, out_dim)
        elif config.kind == "mlp":
            self.net = nn.Sequential(
                nn.Linear(in_dim, config.hidden_dim), nn.GELU(), nn.Linear(config.hidden_dim, out_dim)
            )
        elif config.kind == "attention":
            self.query = nn.Parameter(torch.randn(1, 1, in_dim) * in_dim**-0.5)
            self.attn = nn.MultiheadAttention(in_dim, config.num_heads, batch_first=True)
            self.net = nn.Linear(in_dim, out_dim)
        else:
            raise ValueError(f"unknown adapter kind {config.kind!r}; choose linear, mlp or attention")

    @property
    def needs_grid(self) -> bool:
        return self.config.kind == "attention"

    def forward(self, pooled: torch.Tensor, grid: Optional[torch.Tensor] = None) -> torch.Tensor:
        if self.needs_grid:
            if grid is None:
                raise ValueError("attention pooling needs the trunk's feature grid")
            grid = self.input_dropout(grid)
            pooled, _ = self.attn(self.query.expand(grid.shape[0], -1, -1), grid, grid, need_weights=False)
            pooled = pooled[:, 0]
        else:
            pooled = self.input_dropout(pooled)
        return self.net(pooled)


class JointSpace(nn.Module):
    """Where text vectors land in the joint space: ``(t - text_mean) @ rotation``.

    With the defaults (zero mean, identity rotation) text vectors are exactly the text model's.
    A rotation alone keeps every full-dim cosine; it only reorders information so that
    Matryoshka prefixes keep the most. A raw-space model keeps full-dim vectors in the text
    model's own coordinates and uses this map only for its Matryoshka prefixes.
    """

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("text_mean", torch.zeros(dim))
        self.register_buffer("rotation", torch.eye(dim))

    def forward(self, text: torch.Tensor) -> torch.Tensor:
        return (text - self.text_mean.to(text.dtype)) @ self.rotation.to(text.dtype)

    def place_image(self, z: torch.Tensor, g: Optional[float] = None) -> torch.Tensor:
        """Unit image vectors in the text model's own space: ``sqrt(1 - g^2) * unit(z_perp) + g * m_hat``.

        ``m`` is the caption mean, ``z_perp`` the part of ``z`` orthogonal to it, and ``g`` (default
        ``|m|``, the captions' mean ``<t, m_hat>``) every image's component along ``m_hat``: for a fixed
        query it only shifts all scores, so text->image ranking comes from ``z_perp`` alone; ``g`` sets
        where image-text cosines sit (``|m|``: on the scale of text-text cosines) and how an image ranks
        captions that lie nearer to or farther from the mean.
        """
        direction = self.mean_direction().to(z.dtype)
        g = torch.as_tensor(self.text_mean.norm() if g is None else g, dtype=z.dtype, device=z.device)
        g = g * (self.text_mean.norm() > 0)  # no fitted mean (an untrained model): no direction to place by
        perp = z - (z @ direction)[..., None] * direction
        return (1 - g**2).clamp(min=0).sqrt() * F.normalize(perp, dim=-1) + g * direction

    def mean_direction(self) -> torch.Tensor:
        return self.text_mean / self.text_mean.norm().clamp(min=1e-12)

    def prefix_space(self, x: torch.Tensor) -> torch.Tensor:
        """A raw-space model's Matryoshka space: ``x`` without its ``m_hat`` component, rotated.

        Images then lose the constant ``g * m_hat`` they all share, and texts their ``<t, m_hat>``, which
        differs from centring (``t - m``) only by the small spread of ``<t, m_hat>`` around ``|m|``.
        """
        direction = self.mean_direction().to(x.dtype)
        return (x - (x @ direction)[..., None] * direction) @ self.rotation.to(x.dtype)
