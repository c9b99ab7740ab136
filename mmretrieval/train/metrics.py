"""Training's dev recall: the evaluator's tie-fair R@K (``evaluation.metrics.retrieval``) under the short
names training logs use (``t2i_R@k``, ``i2t_R@k``) and their sum ``rsum``."""

from __future__ import annotations

from typing import Sequence

import torch
import torch.nn.functional as F

from ..evaluation.metrics import retrieval


def retrieval_recall(image: torch.Tensor, text: torch.Tensor, image_index: torch.Tensor,
                     ks: Sequence[int] = retrieval.KS) -> dict[str, float]:
    """R@K (percent) for text->image (each caption's own image) and image->text (any of its captions).

    ``image`` ``(I, D)``, ``text`` ``(T, D)``, ``image_index`` ``(T,)``: caption ``t`` describes image
    ``image_index[t]``. Vectors are normalised here. Also returns ``rsum``, the sum of all six.
    """
    image = F.normalize(image.detach().float().cpu(), dim=-1).numpy()
    text = F.normalize(text.detach().float().cpu(), dim=-1).numpy()
    found = retrieval.evaluate(image, text, [[int(i)] for i in torch.as_tensor(image_index).tolist()], ks=ks)
    metrics = {f"t2i_R@{k}": found[f"text_to_image_R@{k}"] for k in ks}
    metrics.update({f"i2t_R@{k}": found[f"image_to_text_R@{k}"] for k in ks})
    metrics["rsum"] = sum(metrics.values())
    return metrics
