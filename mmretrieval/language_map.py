"""A language map folded into the image side: queries in other languages rank images more like English ones.

A model trained on English captions scores ``<t, v>``. A translated query ``t_L`` differs from its English
``t_en`` by language noise, and the adapter's image vectors were never asked to ignore it. From parallel
captions (the same image described in several languages) fit ``A`` by ridge regression toward the identity,

    A = argmin  sum_L ||T_L A - T_en||^2  +  w * ||T_en A - T_en||^2  +  ridge * ||A - I||^2,

so that ``t_L A ~ t_en``, and give images ``A v``: then ``<t_L, A v> = <t_L A, v> ~ <t_en, v>``. The English
term (weight ``w``) keeps English queries' ranking. Text vectors are untouched (they stay the text
model's); ``A`` folds into the adapter's last linear layer (before a raw-space model places its images).
"""

from __future__ import annotations

import dataclasses
from typing import Hashable, Sequence

import torch

from .config import ModelConfig
from .raw_space import fold_into_output

REFERENCE = "en"


def fit_language_map(text: torch.Tensor, languages: Sequence[str], groups: Sequence[Hashable],
                     reference: str = REFERENCE, reference_weight: float = 3.0, ridge: float = 3.0) -> torch.Tensor:
    """``A`` (D x D) from joint-space caption vectors ``text`` (N x D), their ``languages`` and ``groups``
    (which captions describe the same image: e.g. its file name). Each caption's target is the mean of
    its group's ``reference`` captions; groups without one are left out."""
    if not len(text) == len(languages) == len(groups):
        raise ValueError(f"{len(text)} vectors, {len(languages)} languages and {len(groups)} groups: give one of each per caption")
    text = text.double()
    rows: dict[Hashable, list[int]] = {}
    for i, (lang, group) in enumerate(zip(languages, groups)):
        if lang == reference:
            rows.setdefault(group, []).append(i)
    if not rows:
        raise ValueError(f"no {reference!r} captions: the map needs each image's caption in {reference!r} as the target")
    targets = {group: text[found].mean(0) for group, found in rows.items()}
    others = [i for i, (lang, group) in enumerate(zip(languages, groups)) if lang != reference and group in targets]
    if not others:
        raise ValueError(f"no captions in another language than {reference!r} for the same images: nothing to map")
    x = text[others]
    y = torch.stack([targets[groups[i]] for i in others])
    anchors = text[[i for found in rows.values() for i in found]]
    eye = torch.eye(text.shape[1], dtype=text.dtype)
    prior = reference_weight * anchors.T @ anchors + ridge * eye  # pulls A toward the identity
    return torch.linalg.solve(x.T @ x + prior, x.T @ y + prior).float()


def with_language_map(config: ModelConfig, state: dict[str, torch.Tensor], matrix: torch.Tensor,
                      languages: Sequence[str], name: str | None = None) -> tuple[ModelConfig, dict[str, torch.Tensor]]:
    """``(config, trainable state)`` whose image vectors are ``A v`` (``A = matrix``, see the module docstring)."""
    description = config.description + f"; image side mapped for {'/'.join(sorted(set(languages)))} queries"
    config = dataclasses.replace(config, name=name or f"{config.name}-multilingual", description=description)
    return config.uncalibrated(), fold_into_output(config, state, matrix)  # (calibrated cut-offs: old weights')
