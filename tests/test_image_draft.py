"""Reduced-scale JPEG decoding (``load_image(min_size=...)``): smaller decode, same orientation, modes and vectors."""

import numpy as np
import pytest
import torch
from PIL import Image

from mmretrieval.images import DRAFT_MARGIN, load_image, load_image_and_size
from mmretrieval.vision.trunk import EfficientNetLiteTrunk

SIDE = 224


def _big(assets, tmp_path, name="cat.jpg", size=(2400, 1600), mode="RGB", orientation=None):
    img = Image.open(assets / name).convert("RGB").resize(size, Image.BICUBIC).convert(mode)
    exif = Image.Exif()
    if orientation:
        exif[0x0112] = orientation
    path = tmp_path / f"big-{mode}-{orientation}.jpg"
    img.save(path, quality=92, exif=exif)
    return path


def _close(drafted: Image.Image, full: Image.Image) -> float:
    """Mean absolute pixel difference after bringing the full decode to the drafted size."""
    small = full.resize(drafted.size, Image.BICUBIC)
    return float(np.abs(np.asarray(drafted, dtype=np.float32) - np.asarray(small, dtype=np.float32)).mean())


@pytest.mark.parametrize("orientation", [None, 3, 6, 8])
def test_draft_keeps_exif_orientation(assets, tmp_path, orientation):
    path = _big(assets, tmp_path, orientation=orientation)
    full = load_image(path)
    drafted, size = load_image_and_size(path, min_size=SIDE)
    assert size == full.size  # the payload reports the photo's real, upright size
    assert min(drafted.size) >= DRAFT_MARGIN * SIDE and drafted.size[0] < full.size[0]
    assert (drafted.size[0] > drafted.size[1]) == (full.size[0] > full.size[1])
    assert _close(drafted, full) < 4  # same picture the same way up (a wrong rotation is ~50)


@pytest.mark.parametrize("mode", ["L", "CMYK"])
def test_draft_keeps_mode_conversions(assets, tmp_path, mode):
    path = _big(assets, tmp_path, mode=mode)
    full = load_image(path)
    drafted = load_image(path, min_size=SIDE)
    assert drafted.mode == full.mode == "RGB"
    assert drafted.size[0] < full.size[0]
    assert _close(drafted, full) < 4


def test_small_photos_and_other_formats_decode_as_before(assets, tmp_path):
    small = assets / "cat.jpg"  # under 2x the trunk's side on one edge: nothing to gain
    assert np.array_equal(np.asarray(load_image(small, min_size=1000)), np.asarray(load_image(small)))
    png = tmp_path / "big.png"
    Image.open(assets / "cat.jpg").convert("RGB").resize((2400, 1600)).save(png)
    assert load_image(png, min_size=SIDE).size == (2400, 1600)


def test_drafted_photos_give_the_same_trunk_features(assets, tmp_path):
    trunk = EfficientNetLiteTrunk("efficientnet-lite0").eval()
    paths = [_big(assets, tmp_path / n, n, size=(4000, 3000)) for n in ("cat.jpg", "rocket.jpg", "camera.jpg")
             if (tmp_path / n).mkdir() is None]
    with torch.inference_mode():
        full = trunk(torch.stack([trunk.preprocess(load_image(p)) for p in paths]))
        drafted = trunk(torch.stack([trunk.preprocess(load_image(p, min_size=trunk.input_size)) for p in paths]))
    assert torch.nn.functional.cosine_similarity(full, drafted).min() >= 0.995
