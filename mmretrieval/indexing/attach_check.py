"""Before writing into a collection another tool made: is this model's text model the one that made it?

Dimension and distance are not enough (all-MiniLM-L6-v2 and multilingual-e5-small are both 384-d
cosine), and the other tools record no model. So the check re-embeds a few of the collection's own
texts with this model's text tower (with and without the model's prompts, and for LlamaIndex nodes
also with the metadata lines LlamaIndex embeds in front) and compares with the vectors stored for
them: the same text model gives back the same vectors (cosine ~1), another one does not
(all-MiniLM-L6-v2 on LlamaIndex texts without their metadata lines already drops to 0.88).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..store.foreign import embedded_texts

SAMPLE = 8  # texts re-embedded
MIN_COSINE = 0.98  # median cosine to the stored vectors that counts as the same text model


def check_raw_space(model) -> None:
    """Refuse a model whose vectors are not in its text model's own space: the other tools query with
    the text model's raw vectors, which a centred model's images are not comparable with."""
    import torch

    if model.raw_space:
        return
    mean, rotation = model.space.text_mean.cpu(), model.space.rotation.cpu()
    identity = not mean.any() and torch.equal(rotation, torch.eye(rotation.shape[0], dtype=rotation.dtype))
    if not identity:
        raise ValueError(
            f"model {model.config.name!r} places vectors in its own centred space ((t - mean) @ R), not in "
            f"the text model's: the texts other tools embedded (and their queries) would not be comparable "
            "with its images. Attach with a raw-space model of the same text model (e.g. the shipped e5-small-lite0, "
            "or map a trained model with `mmretrieval convert MODEL --out FOLDER`)")


def check_text_model(store, model) -> int:
    """Re-embed up to ``SAMPLE`` of the other tools' texts and refuse if their stored vectors are not this
    model's text tower's; return how many were compared (0: the collection holds no such texts yet)."""
    name = store.vector
    sample = []  # (what may have been embedded for it, its stored unit vector)
    for record in store.backend.scroll(_foreign_filter(store), True, SAMPLE):
        texts = embedded_texts(record.payload or {})
        vector = record.vector.get(name) if isinstance(record.vector, dict) else record.vector
        if texts and vector is not None:
            vector = np.asarray(vector, dtype=np.float32)
            sample.append((texts, vector / max(float(np.linalg.norm(vector)), 1e-12)))
        if len(sample) == SAMPLE:
            break
    if not sample:
        warnings.warn(f"collection {store.collection!r} holds no texts from another tool yet, so whether its "
                      f"text model is {model.config.text.model!r} could not be checked", stacklevel=3)
        return 0
    owner = [i for i, (texts, _) in enumerate(sample) for _ in texts]
    strings = [text for texts, _ in sample for text in texts]
    stored = np.stack([sample[i][1] for i in owner])
    best = np.full(len(sample), -1.0)
    for prompt in _prompts(model.text_tower):  # the other tool may or may not have used the model's prefix
        mine = model.text_tower.encode(strings, prompt=prompt, normalize_embeddings=True, convert_to_numpy=True)
        np.maximum.at(best, owner, np.sum(mine * stored, axis=1))
    median = float(np.median(best))
    if median < MIN_COSINE:
        from ..store import ModelMismatchError

        raise ModelMismatchError(
            f"the texts in collection {store.collection!r} (vector {name!r}) were not embedded by this model's text "
            f"model {model.config.text.model!r}: re-embedding {len(sample)} of them gives a median cosine of "
            f"{median:.3f} to their stored vectors (the same text model gives ~1.0). Use an mmretrieval model "
            "built on the text model that made the collection (--model)")
    return len(sample)


def _foreign_filter(store):
    """Points that mmretrieval did not write."""
    from qdrant_client import models

    from ..store import build_filter

    return models.Filter(must_not=[build_filter(store.own())])


def _prompts(tower) -> list[str]:
    """The prefixes a text may have been embedded with: none, and the model's own per task."""
    return list(dict.fromkeys(["", *(p for p in tower.prompts.values() if p)]))
