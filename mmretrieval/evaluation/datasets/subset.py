"""A quick smoke run: keep N images spread evenly over a dataset, with the captions/questions about them."""

from __future__ import annotations

import dataclasses

import numpy as np

from .types import ClassificationData, RetrievalData, VQAData


def limit_images(data, n: int):
    """The dataset cut to ``n`` evenly spaced images (every k-th; class-sorted sets keep every class).

    Captions keep the kept images among their positives and are dropped when none is left; VQA keeps
    the questions about kept images. ``info["limit"]`` records the cut.
    """
    if n < 1:
        raise ValueError(f"limit must be at least 1 image, got {n}")
    if n >= len(data.images):
        return data
    keep = np.linspace(0, len(data.images) - 1, n).round().astype(int).tolist()
    new_index = {old: new for new, old in enumerate(keep)}
    images = [data.images[i] for i in keep]
    info = {**data.info, "limit": n}
    if isinstance(data, ClassificationData):
        return dataclasses.replace(data, images=images, labels=[data.labels[i] for i in keep], info=info)
    if isinstance(data, RetrievalData):
        rows = [[new_index[i] for i in row if i in new_index] for row in data.text_images]
        kept = [t for t, row in enumerate(rows) if row]
        languages = None if data.languages is None else [data.languages[t] for t in kept]
        return dataclasses.replace(data, images=images, texts=[data.texts[t] for t in kept],
                                   text_images=[rows[t] for t in kept], languages=languages, info=info)
    if isinstance(data, VQAData):
        kept = [q for q, image in enumerate(data.question_images) if image in new_index]
        return dataclasses.replace(data, images=images, questions=[data.questions[q] for q in kept],
                                   question_images=[new_index[data.question_images[q]] for q in kept],
                                   answers=[data.answers[q] for q in kept], info=info)
    raise TypeError(f"cannot limit a {type(data).__name__}")
