"""Query maps: a query in another language is moved toward what the images learned before it ranks them.

The adapter learned images from English captions. A German query ``t_de`` differs from its English
translation ``t_en`` by language noise the images never learned to ignore. For each language ``L`` with
captions of photos fit ``W_L`` (D x D, starting at the identity) so that ``t_L W_L`` picks its target out
of the others (InfoNCE, with a pull toward the identity). The target is the mean of the same image's
English captions (parallel translations or captions written in their own words), or the image's own
vector (``languages.fit_captions``: comparable captions of photos need no English). A query
``languages.detect`` says is ``L`` (with probability at least ``MIN_CONFIDENCE``; Chinese by its script,
however short) ranks images by ``unit(t W_L)``; English, unmapped languages and queries too short to
tell (``"dog"``, ``"Hund"``) keep ``t``.

Nothing else moves: ``encode_text`` stays the text model's, text rankings use it as it is, and image
vectors are untouched, so a collection keeps working without re-encoding anything.
"""

from __future__ import annotations

from typing import Hashable, Optional, Sequence

import torch
import torch.nn.functional as F

from .recipe import MIN_CONFIDENCE, QueryMapRecipe
from .detect import detect_languages

REFERENCE = "en"
PREFIX = "query_maps."  # their keys in a model's weights file, beside ``adapter.`` and ``space.``
FIT = QueryMapRecipe()


def fit_query_map(source: torch.Tensor, target: torch.Tensor, ridge: float = FIT.ridge, steps: int = FIT.steps,
                  temperature: float = FIT.temperature, lr: float = FIT.lr, labels: Optional[torch.Tensor] = None,
                  batch_size: Optional[int] = None) -> torch.Tensor:
    """``W`` (D x D) such that ``unit(source[i] @ W)`` is nearer ``target[labels[i]]`` than any other target.

    ``labels`` default to ``arange``: row ``i``'s target is ``target[i]``. Several sources may share a target
    (five captions of one photo): give each target once and point ``labels`` at it, so that the others of
    its group are not counted as wrong answers. Adam from the identity, ``ridge * ||W - I||^2`` keeping it
    there; full batch, or with ``batch_size`` random batches of sources, each against its own batch's
    targets (for tens of thousands of captions). Deterministic."""
    labels = torch.arange(len(source)) if labels is None else torch.as_tensor(labels)
    if len(source) != len(labels) or len(source) < 2 or len(target) <= int(labels.max()):
        raise ValueError(f"need two or more sources, each with a target; got {len(source)} sources, "
                         f"{len(labels)} labels and {len(target)} targets")
    eye = torch.eye(source.shape[1])
    weight = eye.clone().requires_grad_(True)
    optimiser = torch.optim.Adam([weight], lr=lr)
    source, target = source.float(), F.normalize(target.float(), dim=-1)
    order = torch.Generator().manual_seed(0)
    with torch.enable_grad():
        for _ in range(steps):
            rows = slice(None) if batch_size is None or batch_size >= len(source) else \
                torch.randperm(len(source), generator=order)[:batch_size]
            columns, batch_labels = labels[rows].unique(return_inverse=True) if batch_size else (slice(None), labels)
            logits = F.normalize(source[rows] @ weight, dim=-1) @ target[columns].T / temperature
            loss = F.cross_entropy(logits, batch_labels) + ridge * (weight - eye).square().sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    return weight.detach()


def fit_query_maps(text: torch.Tensor, languages: Sequence[str], groups: Sequence[Hashable],
                   reference: str = REFERENCE, targets: Optional[dict] = None, **options) -> dict[str, torch.Tensor]:
    """One map per language in ``languages`` other than ``reference``, from query vectors ``text`` (N x D) and
    ``groups`` (which captions describe the same image: e.g. its file name). Each caption's target is the mean
    of its group's ``reference`` captions, or ``targets[group]`` when given (e.g. the image's own vector:
    comparable captions with their photos need no reference captions); groups without one are left out.
    A group's captions share its target. ``options``: :func:`fit_query_map`'s."""
    if not len(text) == len(languages) == len(groups):
        raise ValueError(f"{len(text)} vectors, {len(languages)} languages and {len(groups)} groups: give one of each per caption")
    if targets is None:
        rows: dict[Hashable, list[int]] = {}
        for i, (lang, group) in enumerate(zip(languages, groups)):
            if lang == reference:
                rows.setdefault(group, []).append(i)
        if not rows:
            raise ValueError(f"no {reference!r} captions: each image needs its caption in {reference!r} as the target")
        targets = {group: text[found].mean(0) for group, found in rows.items()}
    maps = {}
    for lang in sorted(set(languages) - {reference}):
        picked = [i for i, (code, group) in enumerate(zip(languages, groups)) if code == lang and group in targets]
        if len(picked) < 2:
            raise ValueError(f"{len(picked)} {lang!r} caption(s) of images that also have a target (a "
                             f"{reference!r} caption or a given vector): a map needs two or more")
        column: dict[Hashable, int] = {}
        labels = torch.tensor([column.setdefault(groups[i], len(column)) for i in picked])
        maps[lang] = fit_query_map(text[picked], torch.stack([targets[g] for g in column]), labels=labels, **options)
    if not maps:
        raise ValueError(f"no captions in another language than {reference!r} for the same images: nothing to map")
    return maps


class QueryMaps:
    """Per-language maps of text query vectors (see the module docstring); ``apply`` picks each query's.

    ``keep``: a unit direction whose cosine a mapped query keeps from its own vector. A raw-space model's
    caption mean is one: every image has the same cosine with it (``image_mean_cos``), so keeping it
    changes no ranking, and a mapped query's cosines stay on the text model's scale (the fit ignores
    what all targets share, and would leave them near 0.1 where an English query's are near 0.5)."""

    def __init__(self, maps: dict[str, torch.Tensor], keep: Optional[torch.Tensor] = None):
        self.maps = {lang: matrix.float() for lang, matrix in sorted(maps.items())}
        self.keep = None if keep is None else F.normalize(keep.float(), dim=-1)

    @property
    def languages(self) -> list[str]:
        return list(self.maps)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return {PREFIX + lang: matrix.contiguous() for lang, matrix in self.maps.items()}

    def apply(self, vectors: torch.Tensor, texts: Sequence[str]) -> torch.Tensor:
        """Unit image-query vectors: row ``i`` is ``unit(vectors[i] @ W_L)`` for ``texts[i]``'s language ``L``
        when there is a map for it (its cosine with ``keep`` set back to ``vectors[i]``'s), ``vectors[i]`` as
        it is otherwise."""
        if len(vectors) != len(texts):
            raise ValueError(f"{len(vectors)} vectors for {len(texts)} texts")
        out = vectors.clone()
        for i, (lang, probability) in enumerate(detect_languages(texts)):
            if lang in self.maps and probability >= MIN_CONFIDENCE:
                out[i] = self._map(vectors[i].float(), self.maps[lang].to(vectors.device)).to(out.dtype)
        return out

    def _map(self, vector: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
        mapped = F.normalize(vector @ matrix, dim=-1)
        if self.keep is None:
            return mapped
        keep = self.keep.to(vector.device)
        cos = F.normalize(vector, dim=-1) @ keep
        rest = F.normalize(mapped - (mapped @ keep) * keep, dim=-1)
        return rest * (1 - cos**2).clamp(min=0).sqrt() + cos * keep
