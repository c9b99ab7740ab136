"""Which text tower a model config asks for: a model loaded here, or an embeddings endpoint."""

from __future__ import annotations

from typing import Optional

from ..config import ApiTextConfig


def build_text_tower(config, device: Optional[str] = None, embed_dim: Optional[int] = None):
    """A ``TextTower`` for a ``TextTowerConfig``; an ``ApiTextTower`` of ``embed_dim``-d vectors for an ``ApiTextConfig``."""
    if isinstance(config, ApiTextConfig):
        from .api_tower import ApiTextTower

        return ApiTextTower(config, dim=embed_dim)
    from .tower import TextTower

    return TextTower(config, device=device)
