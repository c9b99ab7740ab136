"""Trunks' own classifier heads for the concept prior: timm (label names from its pretrained config) and Hugging
Face image classifiers (``id2label``), on tiny random models written on the fly; the heads read pooled features."""

import pytest
import torch
from safetensors.torch import save_file

from mmretrieval.config import TrunkConfig
from mmretrieval.identity import trunk_identity
from mmretrieval.images import load_image
from mmretrieval.vision.trunk import build_trunk


def _pixels(trunk, assets):
    return torch.stack([trunk.preprocess(load_image(assets / n)) for n in ("cat.jpg", "rocket.jpg")])


def test_timm_head_gives_the_models_logits_and_leaves_the_trunk_as_it_was(tmp_path, assets):
    import timm

    torch.manual_seed(0)
    net = timm.create_model("test_vit", num_classes=1000).eval()
    save_file(net.state_dict(), str(tmp_path / "model.safetensors"))
    config = TrunkConfig(kind="timm", name="test_vit", pretrained=str(tmp_path / "model.safetensors"))
    headed, plain = build_trunk(config, device="cpu", classifier=True), build_trunk(config, device="cpu")
    head = headed.classifier_head
    assert head.label_set == "imagenet-1k" and len(head.labels) == 1000 and head.labels[1] == "goldfish"
    pixels = _pixels(plain, assets)
    with torch.inference_mode():
        torch.testing.assert_close(head.logits(headed(pixels)), net(pixels), atol=1e-4, rtol=1e-4)
        torch.testing.assert_close(headed(pixels), plain(pixels))
    assert trunk_identity(headed) == trunk_identity(plain)  # the feature cache is shared
    assert plain.classifier_head is None
    with pytest.raises(ValueError, match="pooling 'pooler'"):
        build_trunk(TrunkConfig(kind="timm", name="test_vit", pooling="mean"), device="cpu", classifier=True)


def test_timm_head_without_known_label_names_is_refused():
    import timm

    from mmretrieval.vision.heads import timm_head

    with pytest.raises(ValueError, match="no label set"):
        timm_head(timm.create_model("test_vit", num_classes=7), "test_vit")


@pytest.fixture(scope="module")
def vit_classifier(tmp_path_factory):
    from transformers import ViTConfig, ViTForImageClassification, ViTImageProcessor

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       image_size=32, patch_size=8, num_labels=3, id2label={0: "cat", 1: "rocket", 2: "tench"},
                       label2id={"cat": 0, "rocket": 1, "tench": 2})
    folder = tmp_path_factory.mktemp("vit-classifier")
    ViTForImageClassification(config).eval().save_pretrained(folder)
    ViTImageProcessor(size={"height": 32, "width": 32}).save_pretrained(folder)
    return folder


def test_hf_classifier_head_reads_the_cls_token(vit_classifier, assets):
    from transformers import ViTForImageClassification

    trunk = build_trunk(TrunkConfig(kind="hf", name=str(vit_classifier), pooling="cls"), device="cpu",
                        classifier=True)
    head = trunk.classifier_head
    assert head.labels == ("cat", "rocket", "tench") and head.label_set == f"hf:{vit_classifier}"
    pixels = _pixels(trunk, assets)
    with torch.inference_mode():
        expected = ViTForImageClassification.from_pretrained(vit_classifier).eval()(pixel_values=pixels).logits
        torch.testing.assert_close(head.logits(trunk(pixels)), expected, atol=1e-4, rtol=1e-4)


def test_hf_head_on_other_features_is_refused_with_the_pooling_to_use(vit_classifier):
    with pytest.raises(ValueError, match="set trunk.pooling"):
        build_trunk(TrunkConfig(kind="hf", name=str(vit_classifier), pooling="mean"), device="cpu", classifier=True)


def test_open_clip_trunk_has_no_head():
    from mmretrieval.vision.trunk import classifier_head

    with pytest.raises(ValueError, match="no classifier head"):
        classifier_head(TrunkConfig(kind="open_clip", name="x"), None)
