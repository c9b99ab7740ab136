"""Rankings of a query from a store: one list per named vector, each on its own cosine scale."""

from __future__ import annotations

from typing import Optional, Sequence

from ..store import IMAGE, OCR, TEXT
from .hits import Hit
from .query import Query

RANKINGS = (IMAGE, TEXT, OCR)  # the named vectors a query can rank: photos, texts, the text read in photos


def rankings(store, model, query: Query, names: Sequence[str], limit: int, filter=None,
             dim: Optional[int] = None, payload=True) -> dict[str, list[Hit]]:
    """``{name: top-limit hits by cosine}`` for each named vector in ``names`` (``payload``: True, or the only
    payload fields the hits carry).

    ``dim`` (the collection's small dim) prefetches candidates on the Matryoshka prefix and reranks them
    on the full vector (not for ``ocr``, which has no prefix); each distinct query vector's prefix is
    computed once."""
    prefixes: dict[int, object] = {}
    out = {}
    for name in names:
        if name not in RANKINGS:
            raise ValueError(f"unknown kind {name!r}; use 'image' and/or 'text'")
        vector = query.vector_for(name)
        coarse = dim if name != OCR else None
        if coarse is not None and id(vector) not in prefixes:
            prefixes[id(vector)] = matryoshka_prefix(model, vector, coarse)
        points = store.query(vector, using=name, limit=limit, filter=filter, prefetch_dim=coarse,
                             prefetch_vector=prefixes.get(id(vector)) if coarse is not None else None,
                             payload=payload)
        out[name] = [Hit.from_point(p) for p in points]
    return out


def matryoshka_prefix(model, vector, dim: int):
    """The model's ``dim``-d Matryoshka prefix of a query vector (a raw-space model's is not a plain cut), or None
    at full dim."""
    if dim == len(vector):
        return None
    import torch

    return model.matryoshka_prefix(torch.as_tensor(vector).reshape(1, -1), dim)[0].numpy()
