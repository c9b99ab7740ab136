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
