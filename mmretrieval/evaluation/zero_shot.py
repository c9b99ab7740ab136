"""Is a result zero-shot? What a run records when the model has seen the data set's classes (or may have).

A model with a concept prior (``mmretrieval.concept_prior``) classifies every image into its trunk's label set
(ImageNet-1k for EfficientNet-Lite): on a data set whose classes overlap that set (Imagenette, CIFAR-10, any
ImageNet-derived set) its numbers are not zero-shot. A data set says which label sets its classes overlap
(``"label_sets"`` in its config); a class name that is also one of the prior's labels counts too. CLIP-style
baselines trained on web data (an open_clip pretrained tag) are marked beside them: their training data may
overlap any evaluation set, and nobody can say by how much.
"""

from __future__ import annotations

from typing import Optional

from .datasets import ClassificationData

# label sets that contain others: a prior over ImageNet-21k/22k knows every ImageNet-1k class
CONTAINS = {"imagenet-21k": {"imagenet-1k"}, "imagenet-22k": {"imagenet-1k"}, "imagenet-21k-goog": {"imagenet-1k"},
            "imagenet-21k-miil": {"imagenet-1k"}, "imagenet-12k": {"imagenet-1k"}}
WEB_TRAINED = "web"  # the reason key of a CLIP-style baseline trained on web data


def prior_record(model) -> Optional[dict]:
    """What a run records of ``model``'s concept prior (None: it has none)."""
    settings = getattr(getattr(model, "config", None), "concept_prior", None)
    prior = getattr(model, "concept_prior", None)
    if settings is None or prior is None:
        return None
    return {"label_set": prior.label_set, "classes": len(prior.labels), "weight": settings.weight,
            "top_k": settings.top_k, "weighting": settings.weighting, "id": prior.id}


def not_zero_shot(model, spec, dataset_config: dict, data) -> Optional[dict]:
    """``{"reason", "why"}`` when a result on ``data`` is not zero-shot for ``model``; None when it is (as far as
    can be told). Only classification sets have classes to overlap."""
    if not isinstance(data, ClassificationData):
        return None
    prior = getattr(model, "concept_prior", None) if prior_record(model) else None
    if prior is not None:
        sets = set(dataset_config.get("label_sets", ()))
        known = {prior.label_set} | CONTAINS.get(prior.label_set, set())
        names = {n.lower() for n in prior.labels} & {n.lower() for n in data.classnames}
        if sets & known or names:
            shared = ", ".join(sorted(sets & known)) or f"{len(names)} class names"
            return {"reason": "concept_prior", "why": f"the model's concept prior classifies into "
                    f"{prior.label_set}, which overlaps this data set's classes ({shared})"}
    if web_trained(spec):
        return {"reason": WEB_TRAINED, "why": "trained on web image-text data that may overlap these classes"}
    return None


def web_trained(spec) -> bool:
    """An open_clip model with a named pretrained tag (``laion2b_s34b_b79k``, ``openai``, ...): web data. A local
    checkpoint (e.g. the CLIP trained here on Flickr8k) is not assumed to be."""
    if getattr(spec, "kind", None) != "open_clip" or not isinstance(spec.pretrained, str):
        return False
    tag = spec.pretrained
    return "/" not in tag and not tag.endswith((".pt", ".pth", ".bin", ".safetensors"))
