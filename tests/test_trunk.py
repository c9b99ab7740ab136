import torch

from mmretrieval.images import load_image
from mmretrieval.vision.trunk import EfficientNetLiteTrunk


def test_efficientnet_lite0_names_real_photos(assets):
    from torchvision.models import ResNet50_Weights

    classes = ResNet50_Weights.IMAGENET1K_V1.meta["categories"]
    trunk = EfficientNetLiteTrunk("efficientnet-lite0").eval()
    pixels = torch.stack([trunk.preprocess(load_image(assets / n)) for n in ("cat.jpg", "coffee.jpg")])
    with torch.inference_mode():
        top3 = trunk.classify(pixels).topk(3).indices
        pooled, grid = trunk(pixels, return_grid=True)
    assert {"Egyptian cat", "tabby", "tiger cat"} & {classes[i] for i in top3[0]}
    assert classes[int(top3[1][0])] in ("espresso", "cup", "coffee mug")
    assert pooled.shape == (2, 1280) and grid.shape == (2, 49, 1280)
    torch.testing.assert_close(grid.mean(1), pooled)


def test_extra_stages_append_pooled_stage_outputs(assets):
    import pytest

    from mmretrieval.config import TrunkConfig
    from mmretrieval.identity import trunk_identity
    from mmretrieval.vision.trunk import build_trunk

    head_only = EfficientNetLiteTrunk("efficientnet-lite0").eval()
    trunk = EfficientNetLiteTrunk("efficientnet-lite0", extra_stages=2).eval()
    seen = []  # outputs of the last block of the last two stages (320 and 192 channels), by hook
    hooks = [trunk.net._blocks[i].register_forward_hook(lambda m, a, out: seen.append(out.mean(dim=(2, 3))))
             for i in (14, 15)]
    pixels = trunk.preprocess(load_image(assets / "cat.jpg"))[None]
    with torch.inference_mode():
        pooled = trunk(pixels)
        expected_head = head_only(pixels)
    for hook in hooks:
        hook.remove()
    assert trunk.output_dim == pooled.shape[1] == 1280 + 320 + 192
    torch.testing.assert_close(pooled[:, :1280], expected_head)
    with torch.inference_mode():  # the trunk's own block loop matches the library's
        torch.testing.assert_close(expected_head, head_only.net.extract_features(pixels).mean(dim=(2, 3)))
    torch.testing.assert_close(pooled[:, 1280:], torch.cat([seen[1], seen[0]], dim=1))
    assert trunk_identity(trunk) != trunk_identity(head_only)
    with pytest.raises(ValueError, match="has 7 stages"):
        EfficientNetLiteTrunk("efficientnet-lite0", extra_stages=8)
    with pytest.raises(ValueError, match="EfficientNet-Lite option"):
        build_trunk(TrunkConfig(kind="open_clip", name="RN50", extra_stages=1), device="cpu")
