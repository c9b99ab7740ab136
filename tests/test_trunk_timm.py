"""timm trunks on timm's own tiny test architectures: random, local checkpoint, and the offline Hub cache."""

import pytest
import torch
from safetensors.torch import save_file

from mmretrieval.config import TrunkConfig
from mmretrieval.images import load_image
from mmretrieval.identity import trunk_identity as trunk_key
from mmretrieval.vision.trunk import build_trunk

from hub_cache import fake_snapshot, use_hub_cache


def _timm(name, **options):
    return build_trunk(TrunkConfig(kind="timm", name=name, **options), device="cpu")


def _pixels(trunk, assets):
    return torch.stack([trunk.preprocess(load_image(assets / n)) for n in ("cat.jpg", "rocket.jpg")])


@pytest.fixture(scope="module")
def vit_checkpoint(tmp_path_factory):
    """A test_vit with its 1000-class head, saved as a timm checkpoint file (and as a Hub snapshot folder)."""
    import timm

    torch.manual_seed(0)
    net = timm.create_model("test_vit", num_classes=1000).eval()
    folder = tmp_path_factory.mktemp("timm-test-vit")
    save_file(net.state_dict(), str(folder / "model.safetensors"))
    return net, folder / "model.safetensors"


def test_vit_pooling_grid_and_local_checkpoint(vit_checkpoint, assets):
    net, checkpoint = vit_checkpoint
    trunk = _timm("test_vit", pretrained=str(checkpoint))
    assert trunk.preprocess.transforms[-1].mean.tolist() == [0.5, 0.5, 0.5]  # timm's own data config
    pixels = _pixels(trunk, assets)
    assert pixels.shape[-1] == 160
    with torch.inference_mode():
        pooled, grid = trunk(pixels, return_grid=True)
        expected = net.forward_head(net.forward_features(pixels), pre_logits=True)
    torch.testing.assert_close(pooled, expected)  # the checkpoint's weights, its classifier dropped
    assert trunk.num_prefix == 1 and grid.shape == (2, 100, trunk.output_dim)  # (160 / 16)^2 patches
    both = _timm("test_vit", pretrained=str(checkpoint), pooling="cls+mean")
    with torch.inference_mode():
        tokens = net.forward_features(pixels)
        torch.testing.assert_close(both(pixels), torch.cat([tokens[:, 0], tokens[:, 1:].mean(1)], dim=1))
    assert trunk_key(trunk) == trunk_key(_timm("test_vit", pretrained=str(checkpoint))) != trunk_key(both)


def test_image_size_and_conv_grid(assets):
    trunk = _timm("test_convnext", pooling="mean", image_size=64)
    with torch.inference_mode():
        pooled, grid = trunk(_pixels(trunk, assets), return_grid=True)
    assert grid.shape[:2] == (2, 4) and pooled.shape == (2, trunk.output_dim)  # 64 px / stride 32 -> 2x2
    torch.testing.assert_close(pooled, grid.mean(1))
    with pytest.raises(ValueError, match="no CLS token"):
        _timm("test_convnext", pooling="cls")


def test_pretrained_tag_from_the_offline_hub_cache(vit_checkpoint, tmp_path, monkeypatch, assets):
    net, checkpoint = vit_checkpoint
    fake_snapshot(tmp_path, "timm/test_vit.r160_in1k", checkpoint.parent)
    use_hub_cache(monkeypatch, tmp_path)
    trunk = _timm("test_vit", pretrained="r160_in1k")
    pixels = _pixels(trunk, assets)
    with torch.inference_mode():
        torch.testing.assert_close(trunk(pixels), net.forward_head(net.forward_features(pixels), pre_logits=True))
    with pytest.raises(ConnectionError, match="could not download timm weights 'test_vit2'"):
        _timm("test_vit2", pretrained="default")  # not cached, offline


def test_bad_names_say_what_to_do(tmp_path):
    with pytest.raises(ValueError, match="unknown timm model 'no_such_net'"):
        _timm("no_such_net")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        _timm("test_vit", pretrained=str(tmp_path / "missing.safetensors"))
    with pytest.raises(ValueError, match="timm has no weights 'test_vit.nonexistent'"):
        _timm("test_vit", pretrained="nonexistent")
