"""The frozen text tower behind an OpenAI-compatible embeddings endpoint: a peer of the local ``TextTower``."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Optional

import torch
from tqdm.auto import tqdm

from ..config import ApiTextConfig
from ..encoding import batches
from .endpoint import EmbeddingsEndpoint, EndpointError
from .encoder import TextEncoder
from .tasks import resolve_prompts

CACHE_SIZE = 4096  # strings whose vectors a tower remembers (per process): repeated queries make no request


class ApiTextTower(TextEncoder):
    """Frozen text encoder whose vectors come from an endpoint (``ApiTextConfig``); ``encode`` is ``TextEncoder``'s.

    Vectors are exactly what the endpoint returns (L2-normalised unless ``normalize_embeddings=False``).
    Each string sent (prefix + text) is remembered in a per-process LRU of ``CACHE_SIZE``; training
    caches caption vectors on disk besides (``train.cache``), keyed by :meth:`identity_parts`.
    """

    tokenizer = None  # the endpoint's tokenizer is not known here: text documents are split by characters

    def __init__(self, config: ApiTextConfig, dim: Optional[int] = None):
        if not (config.dimensions or dim):
            raise ValueError(f"the API text tower for {config.model!r} needs its vector size: set text.dimensions "
                             "(sent to the endpoint) or the model's embed_dim")
        self.config = config
        self.dim = config.dimensions or dim
        self.prompts = resolve_prompts(config.model, None, config.prompts)
        self.endpoint = EmbeddingsEndpoint(config)
        self._remembered: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._lock = threading.Lock()

    def identity_parts(self) -> dict:
        """What fixes this tower's vectors: the endpoint's model and size. Not the URL (the same model served
        elsewhere is the same space), not the key, timeouts or retries."""
        return {"kind": self.config.kind, "model": self.config.model, "dimensions": self.config.dimensions}

    def embed(self, strings: list[str], task: Optional[str], batch_size: int,
              show_progress_bar: Optional[bool]) -> torch.Tensor:
        """The endpoint's vectors of prefixed strings: ``batch_size`` per request, none for strings it already gave."""
        found = self._recall(strings)
        todo = [s for s in dict.fromkeys(strings) if s not in found]
        show = show_progress_bar if show_progress_bar is not None else len(todo) > 4 * batch_size
        for chunk in tqdm(list(batches(todo, batch_size)), desc="text (endpoint)", disable=not show):
            vectors = self._request(chunk)
            found.update(zip(chunk, vectors))
            self._remember(zip(chunk, vectors))
        return torch.stack([found[s] for s in strings]) if strings else torch.empty(0, self.dim)

    def _request(self, strings: list[str]) -> torch.Tensor:
        vectors = torch.tensor(self.endpoint.embed(strings), dtype=torch.float32)
        if vectors.shape[1] != self.dim:
            raise EndpointError(
                f"{self.endpoint.url} returned {vectors.shape[1]}-d vectors for model {self.config.model!r}, but this "
                f"model expects {self.dim}-d: set embed_dim to {vectors.shape[1]} in the model config, or "
                "text.dimensions where the endpoint's model takes it")
        return vectors

    def _recall(self, strings: list[str]) -> dict[str, torch.Tensor]:
        with self._lock:
            found = {s: self._remembered[s] for s in strings if s in self._remembered}
            for s in found:
                self._remembered.move_to_end(s)
        return found

    def _remember(self, pairs) -> None:
        with self._lock:
            for string, vector in pairs:
                self._remembered[string] = vector
                self._remembered.move_to_end(string)
            while len(self._remembered) > CACHE_SIZE:
                self._remembered.popitem(last=False)
