"""timm models as frozen trunks: any ``timm.create_model`` name, pretrained from the Hub or a local checkpoint."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Optional

import torch

from .tokens import check_pooling, compute_dtype, dtype_tag, patch_grid, pool
from .base import ImageTrunk

logger = logging.getLogger(__name__)


class TimmTrunk(ImageTrunk):
    """A timm backbone without its classifier (``num_classes=0``), preprocessed by timm's own eval transform.

    ``pretrained``: a tag of ``name`` (``"lvd142m"`` for ``vit_small_patch14_dinov2``; ``"default"``: timm's
    default tag, or the one already in ``name``) downloaded through the Hub when online, a local checkpoint
    file (``.safetensors``/``.pth``, the classifier is dropped), or None for random weights (tests only).
    ``pooling``: ``pooler`` (timm's own head pooling: CLS, average or attention, per model; the default),
    ``cls``, ``mean`` or ``cls+mean``. ``classifier=True`` keeps the model's classifier as
    ``classifier_head`` (for a concept prior, ``vision.heads``) outside the network, which stays headless.
    """

    def __init__(self, name: str, pretrained: Optional[str] = None, pooling: Optional[str] = None,
                 image_size: Optional[int] = None, dtype: Optional[str] = None, device: Optional[str] = None,
                 classifier: bool = False):
        super().__init__()
        import timm

        if not (name.startswith("hf-hub:") or timm.is_model(name)):
            raise ValueError(f"unknown timm model {name!r}; see timm.list_models('*dinov2*') and the like")
        self.net = _create(name, pretrained, {} if classifier else {"num_classes": 0})
        if classifier:
            from .heads import timm_head

            self.classifier_head = timm_head(self.net, name)
            self.net.reset_classifier(0)  # (the network as num_classes=0 builds it: same features and identity)
        self.num_prefix = int(getattr(self.net, "num_prefix_tokens", 0))
        self.channels_last = getattr(self.net, "output_fmt", "NCHW") == "NHWC"
        self.pooling = pooling or "pooler"
        check_pooling(self.pooling, self.num_prefix > 0, has_pooler=True)
        if classifier and self.pooling != "pooler":
            raise ValueError(f"timm {name}: its classifier reads the pooler's features; a concept prior needs "
                             f"trunk pooling 'pooler', not {self.pooling!r}")
        width = self.net.num_features
        self.output_dim = 2 * width if self.pooling == "cls+mean" else width
        config = timm.data.resolve_model_data_config(self.net)
        if image_size:
            config["input_size"] = (3, image_size, image_size)
        self.preprocess = timm.data.create_transform(**config, is_training=False)
        self.input_size = config["input_size"][1] if config["input_size"][1] == config["input_size"][2] else None
        self.dtype = compute_dtype(dtype, device)
        self.net.to(self.dtype)
        self.cache_tag = ",".join(t for t in (f"pooling={self.pooling}", dtype_tag(self.dtype)) if t)

    def torch_forward(self, pixels: torch.Tensor, return_grid: bool = False):
        hidden = self.net.forward_features(pixels.to(self.dtype))
        pooled = self.net.forward_head(hidden, pre_logits=True) if self.pooling == "pooler" else None
        if self.channels_last and hidden.dim() == 4:
            hidden = hidden.permute(0, 3, 1, 2)
        pooled = pool(hidden, self.num_prefix, self.pooling, pooled).float()
        if return_grid:
            return pooled, patch_grid(hidden, self.num_prefix).float()
        return pooled


def _create(name: str, pretrained: Optional[str], head: dict):
    """The timm model; ``head`` is ``{"num_classes": 0}`` for a headless one, ``{}`` to keep its classifier."""
    import timm

    if pretrained is None:
        logger.warning("timm %s built with RANDOM weights: fine for tests, useless for retrieval", name)
        return timm.create_model(name, pretrained=False, **head)
    path = Path(pretrained).expanduser()
    if "/" in pretrained or path.suffix in (".pt", ".pth", ".bin", ".safetensors"):
        if not path.is_file():
            raise FileNotFoundError(f"timm checkpoint {pretrained!r} does not exist")
        return timm.create_model(name, pretrained=True, **head, pretrained_cfg_overlay={"file": str(path)})
    tagged = name if pretrained == "default" else f"{name}.{pretrained}"
    try:
        return timm.create_model(tagged, pretrained=True, **head)
    except RuntimeError as err:
        if "unknown pretrained tag" in str(err).lower() or "invalid pretrained tag" in str(err).lower():
            raise ValueError(f"timm has no weights {tagged!r}; see timm.list_pretrained('{name}*')") from err
        raise
    except OSError as err:  # huggingface_hub's errors (offline, not cached) are OSErrors
        raise ConnectionError(f"could not download timm weights {tagged!r} (no network?). Download them once "
                              "while online, or pass a local checkpoint file as pretrained.") from err
