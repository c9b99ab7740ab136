"""The query bank ``mmretrieval train`` writes beside a trained model: its training captions, one per image."""

from __future__ import annotations

from typing import Optional

import numpy as np
import torch

from ..query_bank import K, MAX_TEXTS, QueryBank
from .features import CAPTION_TASK, PairFeatures


def training_bank(model, pairs, root=None, max_texts: int = MAX_TEXTS,
                  show_progress_bar: Optional[bool] = None) -> QueryBank:
    """A bank of the first caption of each training image (an even sample of ``max_texts`` past that), from the
    cached caption embeddings (``pairs``: :class:`Pairs` or shard :class:`PairFeatures`) put in ``model``'s space."""
    rows = pairs.image_index.numpy() if isinstance(pairs, PairFeatures) else np.asarray(pairs.image_index)
    first = np.unique(rows, return_index=True)[1]
    if len(first) > max_texts:
        first = first[np.linspace(0, len(first) - 1, max_texts).round().astype(int)]
    if isinstance(pairs, PairFeatures):  # (a shard table keeps no texts: its queries go unmapped, as English ones are)
        joint = model.text_to_joint(pairs.text[torch.as_tensor(first)].float())
    else:
        from .cache import text_embeddings

        texts = [pairs.captions[i] for i in first]
        raw = text_embeddings(model, texts, task=CAPTION_TASK, root=root, show_progress_bar=show_progress_bar)
        joint = torch.as_tensor(model.image_queries(texts, model.text_to_joint(raw.float())))
    joint = torch.nn.functional.normalize(joint.float(), dim=-1)
    return QueryBank(joint.numpy(), k=min(K, len(first)), source=f"first caption of {len(first):,} training images")
