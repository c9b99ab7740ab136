"""Map a trained centred model into the text model's own space (``config.space = "raw"``), without retraining.

A centred model scores ``cos((t - m) @ R, v)``. Un-rotating its image vector, ``w = v @ R.T``, the score
for a fixed query is ``<t, w> - <m, w>`` up to a positive factor; ``JointSpace.place_image`` keeps the part
of ``w`` orthogonal to ``m`` and gives every image the captions' mean component ``|m|`` along ``m``. Text
vectors then stay the text model's own, and text->image ranking matches the centred model's up to how
far a query's ``<t, m_hat>`` is from ``|m|``. The rotation folds into the adapter's last linear layer;
the caption mean and rotation stay stored, for Matryoshka prefixes.
"""

from __future__ import annotations

import dataclasses

import torch

from .config import ModelConfig
from .languages.maps import PREFIX as QUERY_MAPS

_LAST_LINEAR = {"linear": "adapter.net", "attention": "adapter.net", "mlp": "adapter.net.2"}


def raw_space_weights(config: ModelConfig, state: dict[str, torch.Tensor],
                      name: str | None = None) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """``(config, trainable state)`` of a centred model -> the same for its raw-space version."""
    if config.space != "centred":
        raise ValueError(f"model {config.name!r} is already in the {config.space!r} space")
    if not state["space.text_mean"].any():
        raise ValueError(f"model {config.name!r} was trained without a caption mean (--no-center): its joint "
                         "space is the text model's up to a rotation already; there is no mean to place images by")
    # (query maps, if any, were fitted in the centred space: refit them on the new model with language-map)
    state = {k: v for k, v in state.items() if not k.startswith(QUERY_MAPS)}
    out = fold_into_output(config, state, state["space.rotation"])  # rows: raw coordinates
    raw_name = name or f"{config.name}-raw"
    description = config.description + "; images mapped into the text model's own space"
    mapped = dataclasses.replace(config, name=raw_name, space="raw", description=description)
    return mapped.uncalibrated(), out  # (cosines change with the space: the calibrated cut-offs do not carry over)


def fold_into_output(config: ModelConfig, state: dict[str, torch.Tensor], matrix: torch.Tensor) -> dict[str, torch.Tensor]:
    """``state`` with ``matrix`` applied to the adapter's output (``z -> matrix @ z``), folded into its last
    linear layer, so the saved model needs no extra step."""
    layer = _LAST_LINEAR[config.adapter.kind]
    matrix = matrix.double()
    out = dict(state)
    out[f"{layer}.weight"] = (matrix @ state[f"{layer}.weight"].double()).float()
    out[f"{layer}.bias"] = (matrix @ state[f"{layer}.bias"].double()).float()
    return out


def carry_prior(folder) -> str:
    """Give a model folder that ``mmretrieval convert`` mapped into the raw space the class vectors of its
    prior (the text tower's own vectors there) and the raw weight that keeps the balance its adapter trained
    with in the centred space. There the prior's class vectors are ``unit(t_k - m)``, of length 1 orthogonal
    to the caption mean ``m``; in the raw space ``t_k``, whose orthogonal part is ``|t_k - m|`` long, and the
    image's ``sqrt(1 - g^2)``: so the weight is multiplied by ``sqrt(1 - g^2) / mean_k |t_k - m|`` (2.08 for
    the default; its ``|t_k - m|`` vary by 4%). Returns a line saying what it did."""
    import numpy as np

    from .concept_prior import attach_prior
    from .model import MMRetrievalModel

    model = MMRetrievalModel.load(folder, device="cpu")
    centred = model.config.concept_prior
    attach_prior(model)
    mean = model.space.text_mean.float()
    g = float(mean.norm()) if model.config.image_mean_cos is None else model.config.image_mean_cos
    spread = float((torch.from_numpy(model.concept_prior.vectors.astype(np.float32)) - mean).norm(dim=1).mean())
    weight = round(centred.weight * max(1 - g * g, 0.0) ** 0.5 / spread, 3)
    if weight > 4.0:
        raise ValueError(f"the concept prior's weight {centred.weight} becomes {weight} in the raw space, above "
                         "the largest a config allows (4); train with a smaller --concept-prior")
    settings = dataclasses.replace(model.config.concept_prior, weight=weight)
    model.config = dataclasses.replace(model.config, concept_prior=settings)
    model.save(folder)
    return (f"concept prior: {model.concept_prior.source}; weight {centred.weight} (centred) -> {weight} (raw), "
            "the balance the adapter trained with")
