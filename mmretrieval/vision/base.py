"""The base class of frozen image trunks: pixels in, pooled features (and optionally the feature grid) out."""

from __future__ import annotations

from typing import Optional

import torch
from torch import nn

from ..identity import weights_checksum


class ImageTrunk(nn.Module):
    """Base class: ``preprocess`` maps a PIL RGB image to a tensor; ``forward`` to features.

    Subclasses implement ``torch_forward``. ``forward`` runs it, or, for pooled features, the
    compiled CPU runtime attached by ``vision.runtime.attach_runtime`` (same vectors, faster).
    ``identity_name`` names the network (kept as it was first written, so cache keys stay put);
    ``cache_tag`` names any feature option the name, weights and preprocessing don't already
    identify; empty when there is none (see :mod:`mmretrieval.identity`: the runtime is no part of
    it). ``input_size`` is the square side the preprocessing crops to (None if unknown): JPEGs are
    decoded at a reduced scale down to it.
    """

    output_dim: int
    preprocess = None
    identity_name: str = ""
    cache_tag: str = ""
    input_size: Optional[int] = None
    compiled = None  # a callable pixels -> pooled features, or None for torch
    classifier_head = None  # the trunk's own classifier on its pooled features (``vision.heads``), when asked for
    runtime: str = "torch"

    def forward(self, pixels: torch.Tensor, return_grid: bool = False):
        if self.compiled is not None and not return_grid:
            return self.compiled(pixels)
        return self.torch_forward(pixels, return_grid)

    def torch_forward(self, pixels: torch.Tensor, return_grid: bool = False):
        raise NotImplementedError

    def identity_parts(self) -> tuple[str, ...]:
        """What decides this trunk's features, whatever runs it: network, weights, preprocessing, options.

        A runtime that runs this network elsewhere (exported to ONNX, say) returns its source's parts."""
        parts = (self.identity_name, weights_checksum(self), repr(self.preprocess))
        return parts + (self.cache_tag,) if self.cache_tag else parts  # untagged trunks keep their old key


def center_crop_transform(size: int, mean, std):
    from torchvision import transforms as T

    return T.Compose(
        [
            T.Resize(size, interpolation=T.InterpolationMode.BICUBIC),
            T.CenterCrop(size),
            T.ToTensor(),
            T.Normalize(mean, std),
        ]
    )
