"""Retrieval recall@K in both directions for images with several captions each."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F


def retrieval_recall(image: torch.Tensor, text: torch.Tensor, image_index: torch.Tensor,
                     ks: Sequence[int] = (1, 5, 10)) -> dict[str, float]:
    """R@K (percent) for text->image (each caption's own image) and image->text (any of its captions).

    ``image`` ``(I, D)``, ``text`` ``(T, D)``, ``image_index`` ``(T,)``: caption ``t`` describes image
    ``image_index[t]``. Vectors are normalised here. Also returns ``rsum``, the sum of all six.
    """
    image, text = F.normalize(image.float(), dim=-1), F.normalize(text.float(), dim=-1)
    image_index = torch.as_tensor(image_index, device=text.device)
    scores = text @ image.T  # (T, I)
    # text -> image: rank of the right image = number of images scoring higher
    right = scores.gather(1, image_index[:, None])
    t2i_rank = (scores > right).sum(1)
    # image -> text: best rank among the image's captions
    order = scores.T.argsort(dim=1, descending=True)  # (I, T)
    hits = image_index[order] == torch.arange(len(image), device=text.device)[:, None]
    i2t_rank = hits.float().argmax(1)
    metrics = {}
    for k in ks:
        metrics[f"t2i_R@{k}"] = 100.0 * (t2i_rank < k).float().mean().item()
    for k in ks:
        metrics[f"i2t_R@{k}"] = 100.0 * (i2t_rank < k).float().mean().item()
    metrics["rsum"] = sum(metrics.values())
    return metrics
