"""Hugging Face vision models as frozen trunks: DINOv2, ViT, ConvNeXt, and the vision towers of CLIP / SigLIP."""

from __future__ import annotations

from typing import Optional

import torch
from PIL import Image

from .tokens import check_pooling, compute_dtype, dtype_tag, patch_grid, pool
from .base import ImageTrunk, center_crop_transform


class ProcessorTransform:
    """A PIL image -> ``(3, H, W)`` tensor through the model's own ``AutoImageProcessor``."""

    def __init__(self, processor):
        self.processor = processor

    def __call__(self, image: Image.Image) -> torch.Tensor:
        return self.processor(images=image, return_tensors="pt")["pixel_values"][0]

    def __repr__(self) -> str:  # the feature cache keys on it: the full processor config
        return f"{type(self.processor).__name__}({self.processor.to_json_string()})"


class HFVisionTrunk(ImageTrunk):
    """``AutoModel`` + ``AutoImageProcessor`` from a Hub id (online, or the offline HF cache) or a local folder.

    A dual encoder (CLIP, SigLIP) keeps only its ``vision_model``. ``pooling``: ``pooler`` (the model's
    own pooled output: DINOv2/CLIP layer-normed CLS, SigLIP's attention head, ConvNeXt's normed average;
    the default when the model has one), ``cls``, ``mean`` (patch tokens only, without CLS/registers) or
    ``cls+mean``. The grid is the patch tokens (or the flattened conv map). ``image_size`` replaces the
    processor's resize/crop by a shorter-side resize + centre crop with the processor's mean/std.
    """

    def __init__(self, name: str, pooling: Optional[str] = None, image_size: Optional[int] = None,
                 dtype: Optional[str] = None, device: Optional[str] = None):
        super().__init__()
        from transformers import AutoImageProcessor, AutoModel

        try:
            model, info = AutoModel.from_pretrained(name, output_loading_info=True)
            processor = AutoImageProcessor.from_pretrained(name)
        except OSError as err:
            raise OSError(f"could not load vision model {name!r}: {err}\n"
                          "Give a local folder (config.json, weights, preprocessor_config.json) "
                          "or a Hugging Face id while online (or cached, with HF_HUB_OFFLINE=1).") from err
        self.net = getattr(model, "vision_model", model)
        prefix = "vision_model." if self.net is not model else ""
        missing = [k for k in info["missing_keys"] if k.startswith(prefix)]
        if missing and all(k.startswith(prefix + "pooler.") for k in missing) and hasattr(self.net, "pooler"):
            self.net.pooler = None  # an untrained pooler head (e.g. ViT checkpoints without one) is random: drop it
        elif missing:
            raise ValueError(f"{name}: the checkpoint lacks {len(missing)} weights of the vision model "
                             f"(first: {missing[0]}); they would be random. Is it a vision model?")
        config = getattr(model.config, "vision_config", None) or model.config
        self.patch_size = getattr(config, "patch_size", None)
        self.dtype = compute_dtype(dtype, device)
        self.net.to(self.dtype)
        self.preprocess = (center_crop_transform(image_size, processor.image_mean, processor.image_std)
                           if image_size else ProcessorTransform(processor))
        self.num_prefix, has_pooler, self.output_dim = self._probe()
        self.pooling = pooling or ("pooler" if has_pooler else "mean")
        check_pooling(self.pooling, self.num_prefix > 0, has_pooler)
        self.output_dim *= 2 if self.pooling == "cls+mean" else 1
        self.cache_tag = ",".join(t for t in (f"pooling={self.pooling}", dtype_tag(self.dtype)) if t)

    @torch.inference_mode()
    def _probe(self) -> tuple[int, bool, int]:
        """Run one blank image: how many CLS/register tokens precede the patches, is there a pooler, the width."""
        pixels = self.preprocess(Image.new("RGB", (256, 256), (128, 128, 128)))[None]
        if pixels.shape[-1] == pixels.shape[-2]:
            self.input_size = int(pixels.shape[-1])  # the square side preprocessing gives (draft JPEG decoding)
        out = self.net(pixel_values=pixels.to(self.dtype))
        hidden = out.last_hidden_state
        width = hidden.shape[1] if hidden.dim() == 4 else hidden.shape[-1]
        return self._count_prefix(hidden, pixels), getattr(out, "pooler_output", None) is not None, width

    def _count_prefix(self, hidden: torch.Tensor, pixels: torch.Tensor) -> int:
        if hidden.dim() == 4 or not self.patch_size:
            return 0
        patch = self.patch_size if isinstance(self.patch_size, int) else self.patch_size[0]
        patches = (pixels.shape[-2] // patch) * (pixels.shape[-1] // patch)
        return max(0, hidden.shape[1] - patches)

    def torch_forward(self, pixels: torch.Tensor, return_grid: bool = False):
        out = self.net(pixel_values=pixels.to(self.dtype))
        hidden = out.last_hidden_state
        pooled = pool(hidden, self.num_prefix, self.pooling, getattr(out, "pooler_output", None)).float()
        if return_grid:
            return pooled, patch_grid(hidden, self.num_prefix).float()
        return pooled
