"""What every text tower shares: ``encode`` with sentence-transformers' argument names, over the tower's ``embed``."""

from __future__ import annotations

from typing import Optional

import torch

from ..encoding import as_list, finish
from .tasks import task_prefix


class TextEncoder:
    """Base of the text towers. A tower sets ``prompts`` (task -> prefix) and ``dim`` and defines
    ``embed(strings, task, batch_size, show_progress_bar) -> (N, dim)`` un-normalised vectors of
    strings that already carry their prefix."""

    prompts: dict

    def prompt_for(self, task: Optional[str]) -> str:
        return task_prefix(self.prompts, task)

    def embed(self, strings: list[str], task: Optional[str], batch_size: int,
              show_progress_bar: Optional[bool]) -> torch.Tensor:
        raise NotImplementedError

    def encode(
        self,
        sentences,
        task: Optional[str] = None,
        prompt: Optional[str] = None,
        batch_size: int = 32,
        show_progress_bar: Optional[bool] = None,
        normalize_embeddings: bool = True,
        truncate_dim: Optional[int] = None,
        convert_to_numpy: bool = True,
        convert_to_tensor: bool = False,
    ):
        """Embed text(s). ``task`` picks the model's own prefix (and adapter, where it has them); ``prompt``
        overrides the prefix."""
        texts, single = as_list(sentences)
        for text in texts:
            if not isinstance(text, str):
                raise TypeError(f"encode_text expects strings, got {type(text).__name__}")
        prefix = prompt if prompt is not None else self.prompt_for(task)
        out = self.embed([prefix + text for text in texts], task, batch_size, show_progress_bar)
        return finish(out, normalize_embeddings=normalize_embeddings, truncate_dim=truncate_dim,
                      convert_to_numpy=convert_to_numpy, convert_to_tensor=convert_to_tensor, single=single)
