"""A trunk's own classifier: the linear head that turns its pooled features into class logits, and the class names.

The concept prior (:mod:`mmretrieval.concept_prior`) reads it. Every head here reads the trunk's pooled features
(the first ``in_dims`` of them), so logits cost one small matrix product on features the model computes anyway:
no second trunk pass, and the feature cache already holds everything training needs. Where a head comes from:

- EfficientNet-Lite: the ImageNet-1k classifier in the same weights file (CLIP's cleaned ImageNet class names,
  as open_clip ships them);
- timm: the model's own classifier (``get_classifier()``), with the label names of its pretrained config
  (``timm.data.ImageNetInfo``: ImageNet-1k, ImageNet-21k/22k and the like);
- Hugging Face: ``AutoModelForImageClassification``'s ``classifier`` with ``config.id2label``; it must read the
  trunk's pooled features (checked on a probe image), so the trunk's ``pooling`` must be the one its head reads.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

IMAGENET_1K = "imagenet-1k"


@dataclass(frozen=True)
class ClassifierHead:
    """``logits = pooled[:, :in_dims] @ weight.T + bias`` over ``labels`` (class names) of ``label_set``."""

    weight: torch.Tensor  # (classes, in_dims)
    bias: torch.Tensor  # (classes,)
    labels: tuple
    label_set: str

    @property
    def in_dims(self) -> int:
        return self.weight.shape[1]

    def logits(self, pooled: torch.Tensor) -> torch.Tensor:
        weight = self.weight.to(pooled.device, torch.float32)
        return pooled[:, :self.in_dims].float() @ weight.T + self.bias.to(pooled.device, torch.float32)

    @classmethod
    def of_linear(cls, linear: nn.Module, labels, label_set: str) -> "ClassifierHead":
        if not isinstance(linear, nn.Linear):
            raise ValueError(f"the {label_set} classifier is a {type(linear).__name__}, not one linear layer; "
                             "a concept prior needs a linear head on the pooled features")
        labels = tuple(str(name) for name in labels)
        if len(labels) != linear.out_features:
            raise ValueError(f"the classifier has {linear.out_features} outputs but {len(labels)} class names")
        bias = linear.bias if linear.bias is not None else torch.zeros(linear.out_features)
        return cls(linear.weight.detach().float().cpu().clone(), bias.detach().float().cpu().clone(), labels, label_set)


def imagenet_1k_names() -> list[str]:
    """CLIP's cleaned ImageNet-1k class names (open_clip's copy), in class-index order."""
    from open_clip.zero_shot_metadata import IMAGENET_CLASSNAMES

    return list(IMAGENET_CLASSNAMES)


def lite_head(net) -> ClassifierHead:
    """The ImageNet-1k head of an EfficientNet-Lite network (``efficientnet_lite_pytorch``)."""
    return ClassifierHead.of_linear(net._fc, imagenet_1k_names(), IMAGENET_1K)


def timm_head(net, name: str) -> ClassifierHead:
    """The classifier of a timm model built with its head, named by its pretrained config's label set."""
    from timm.data import ImageNetInfo, infer_imagenet_subset

    linear = net.get_classifier()
    classes = getattr(linear, "out_features", 0)
    subset = infer_imagenet_subset(net)
    if subset == IMAGENET_1K:
        labels = imagenet_1k_names()
    elif subset is not None:
        info = ImageNetInfo(subset)
        labels = [info.index_to_description(i).split(",")[0].strip() for i in range(info.num_classes())]
    else:
        raise ValueError(f"timm {name}: its {classes} classes are no label set timm names (ImageNet-1k, -21k, "
                         "-22k, ...); a concept prior needs class names")
    return ClassifierHead.of_linear(linear, labels, subset)


def hf_head(name: str, trunk) -> ClassifierHead:
    """``AutoModelForImageClassification``'s linear ``classifier`` for ``name``, checked to read ``trunk``'s
    pooled features (a probe image through both must give the same logits)."""
    from PIL import Image
    from transformers import AutoModelForImageClassification

    try:
        model = AutoModelForImageClassification.from_pretrained(name).eval()
    except (OSError, ValueError) as err:
        raise ValueError(f"{name} has no image-classification head to build a concept prior from: {err}") from err
    labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
    head = ClassifierHead.of_linear(getattr(model, "classifier", None), labels, f"hf:{name}")
    pixels = trunk.preprocess(Image.new("RGB", (256, 256), (90, 140, 200)))[None]
    with torch.inference_mode():
        expected = model(pixel_values=pixels.to(next(model.parameters()).dtype)).logits.float()
        got = head.logits(trunk.torch_forward(pixels))
    if got.shape != expected.shape or not torch.allclose(got, expected, atol=1e-3, rtol=1e-3):
        raise ValueError(f"{name}'s classifier does not read the trunk's pooled features (pooling="
                         f"{trunk.pooling!r}); set trunk.pooling to the one its head reads (ViT: cls, DINOv2: "
                         "cls+mean, ConvNeXt: pooler)")
    return head
