"""A concept prior: the image trunk's own classifier, turned into a point in the text space (ConSE, Norouzi et al.
2014), mixed into every image vector so that photos of things the adapter's captions never named can be found.

The trunk's head gives class probabilities ``p`` (``vision.heads``: logits from the pooled features the model
computes anyway). The prior holds one vector per class name, made once by the model's own text tower (the mean
of the class name in CLIP's prompt templates, as zero-shot classification does), and an image vector becomes

    unit(v) + w * sum_{k in top_k} p_k t_k      (a raw-space model then re-places it: ``JointSpace.place_image``)

with ``w`` fixed or scaled by the top class's probability (``ConceptPriorConfig``). Text vectors are untouched.
The class vectors are saved beside the weights (``concept_prior.safetensors``: float16 vectors, the label set
and the class names as metadata); their hash and the settings join the model's fingerprint (``identity``),
so a collection indexed without the prior, or with another, says it needs re-indexing.
"""

from __future__ import annotations

import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import numpy as np
import torch

from .companions import read_companion

PRIOR_FILE = "concept_prior.safetensors"
PRIORS_FOLDER = "concepts"  # where built-in models' priors ship, under pretrained/
PROMPT_TASK = "retrieval.query"  # class prompts are embedded as the queries that will look for them


@dataclass(frozen=True)
class ConceptPrior:
    """``vectors`` (classes x D, unit rows in the model's joint space, float16), one per name in ``labels``."""

    vectors: np.ndarray
    labels: tuple
    label_set: str
    source: str = ""

    def __post_init__(self):
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2 or len(vectors) != len(self.labels) or not len(vectors):
            raise ValueError(f"a concept prior needs one vector per class name: {vectors.shape} vectors for "
                             f"{len(self.labels)} names")
        object.__setattr__(self, "vectors", np.ascontiguousarray(vectors, dtype=np.float16))
        object.__setattr__(self, "labels", tuple(self.labels))

    @functools.cached_property
    def id(self) -> str:
        """The class vectors and names (16 hex digits): with the settings, what the image vectors depend on."""
        digest = hashlib.sha256(self.vectors.tobytes())
        digest.update(json.dumps([self.label_set, *self.labels]).encode())
        return digest.hexdigest()[:16]

    @functools.cached_property
    def _tensor(self) -> torch.Tensor:
        return torch.from_numpy(self.vectors.astype(np.float32))

    def mix(self, joint: torch.Tensor, logits: torch.Tensor, settings) -> torch.Tensor:
        """``unit(joint) + w * c`` for image vectors ``joint`` and their classifier ``logits`` (see the module)."""
        if logits.shape[-1] != len(self.labels):
            raise ValueError(f"the trunk's classifier has {logits.shape[-1]} classes but the concept prior "
                             f"{len(self.labels)}: the prior was built for another trunk")
        probs = torch.softmax(logits.float(), dim=-1)
        top = probs.topk(min(settings.top_k, probs.shape[-1]), dim=-1)
        concept = torch.einsum("bk,bkd->bd", top.values, self._tensor.to(joint.device)[top.indices])
        weight = settings.weight * (top.values[:, :1] if settings.weighting == "max_prob" else 1.0)
        return torch.nn.functional.normalize(joint.float(), dim=-1) + weight * concept

    def save(self, target) -> Path:
        """Write to ``target``: a model folder (as ``concept_prior.safetensors``) or a ``.safetensors`` file."""
        from safetensors.numpy import save_file

        path = Path(target)
        path = path if path.suffix == ".safetensors" else path / PRIOR_FILE
        save_file({"vectors": self.vectors}, str(path), metadata={
            "label_set": self.label_set, "labels": json.dumps(self.labels), "source": self.source})
        return path


def load_prior(path) -> Optional[ConceptPrior]:
    """The prior in ``path`` (a prior file, or a model folder holding ``concept_prior.safetensors``); None if none."""
    found = read_companion(path, PRIOR_FILE)
    if found is None:
        return None
    vectors, meta = found
    try:
        return ConceptPrior(vectors, tuple(json.loads(meta.get("labels", "[]"))), meta.get("label_set", ""),
                            meta.get("source", ""))
    except ValueError as err:
        raise ValueError(f"concept prior {path} is damaged: {err}; rebuild it with `mmretrieval train "
                         "--concept-prior`") from None


def model_prior(name_or_path: str) -> Optional[ConceptPrior]:
    """The prior of a built-in model name, a saved model folder or a Hub id; None where it has none."""
    from .companions import companion_path

    path = companion_path(name_or_path, PRIORS_FOLDER, PRIOR_FILE)
    return None if path is None else load_prior(path)


def build_prior(model, templates=None, root=None, batch_size: int = 64,
                show_progress_bar: Optional[bool] = None) -> ConceptPrior:
    """The class-name vectors of ``model``'s trunk head, by its text tower: each name in every template
    (default: the 7 ImageNet templates CLIP's prompt engineering chose, as open_clip ships them), embedded
    as a query (through the feature cache), averaged, put in the model's joint space and normalised."""
    from .train.cache import text_embeddings

    head = model.trunk.classifier_head
    if head is None:
        raise ValueError("this model's trunk was built without its classifier head; give the model config a "
                         "concept_prior (mmretrieval train --concept-prior)")
    templates = templates or default_templates()
    prompts = [template(name) for name in head.labels for template in templates]
    raw = text_embeddings(model, prompts, task=PROMPT_TASK, root=root, batch_size=batch_size,
                          show_progress_bar=show_progress_bar)
    means = torch.nn.functional.normalize(raw.float().reshape(len(head.labels), len(templates), -1).mean(1), dim=-1)
    joint = torch.nn.functional.normalize(model.text_to_joint(means).float(), dim=-1)
    return ConceptPrior(joint.numpy(), head.labels, head.label_set,
                        source=f"{len(head.labels)} {head.label_set} class names x {len(templates)} templates")


def default_templates():
    from open_clip.zero_shot_metadata import SIMPLE_IMAGENET_TEMPLATES

    return list(SIMPLE_IMAGENET_TEMPLATES)


def with_concepts(model, joint: torch.Tensor, pooled: torch.Tensor) -> torch.Tensor:
    """``model``'s image vectors ``joint`` with its concept prior mixed in, from the trunk's pooled features."""
    if model.concept_prior is None:
        raise ValueError(f"model {model.config.name!r}: its config mixes in a concept prior, but no class vectors "
                         f"were loaded ({PRIOR_FILE} is missing beside its weights); load the whole model folder "
                         "or retrain it with `mmretrieval train --concept-prior`")
    mixed = model.concept_prior.mix(joint, model.trunk.classifier_head.logits(pooled), model.config.concept_prior)
    return model.space.place_image(mixed, model.config.image_mean_cos) if model.raw_space else mixed


def attach_prior(model, root=None, show_progress_bar: Optional[bool] = None) -> None:
    """Give ``model`` the class vectors its config's prior needs (built by :func:`build_prior`), and record
    the head's label set in its config; nothing for a model without a prior."""
    import dataclasses

    settings = model.config.concept_prior
    if settings is None:
        return
    model.concept_prior = build_prior(model, root=root, show_progress_bar=show_progress_bar)
    labelled = dataclasses.replace(settings, label_set=model.concept_prior.label_set)
    model.config = dataclasses.replace(model.config, concept_prior=labelled)


def add_prior(model, settings, root=None, show_progress_bar: Optional[bool] = None) -> None:
    """Give an already built ``model`` a concept prior with ``settings`` (a ``ConceptPriorConfig``): its trunk's
    head, the class vectors, the config (e.g. to measure a prior on a model that ships without one)."""
    import dataclasses

    from .vision.trunk import classifier_head

    model.config = dataclasses.replace(model.config, concept_prior=settings)
    if model.trunk.classifier_head is None:
        model.trunk.classifier_head = classifier_head(model.config.trunk, model.trunk)
    attach_prior(model, root=root, show_progress_bar=show_progress_bar)
