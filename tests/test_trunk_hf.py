"""Hugging Face vision trunks on tiny random models saved to local folders (and to a fake offline Hub cache)."""

import pytest
import torch

from mmretrieval.config import TrunkConfig
from mmretrieval.images import load_image
from mmretrieval.identity import trunk_identity as trunk_key
from mmretrieval.vision.trunk import build_trunk

from hub_cache import fake_snapshot, use_hub_cache


def _save(folder, model, processor):
    torch.manual_seed(0)
    model.eval().save_pretrained(folder)
    processor.save_pretrained(folder)
    return folder


@pytest.fixture(scope="module")
def dinov2_folder(tmp_path_factory):
    from transformers import BitImageProcessor, Dinov2Config, Dinov2Model

    torch.manual_seed(0)
    config = Dinov2Config(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                          patch_size=8, image_size=32)
    processor = BitImageProcessor(size={"shortest_edge": 40}, crop_size={"height": 32, "width": 32},
                                  image_mean=[0.485, 0.456, 0.406], image_std=[0.229, 0.224, 0.225])
    return _save(tmp_path_factory.mktemp("tiny-dinov2"), Dinov2Model(config), processor)


@pytest.fixture(scope="module")
def siglip_folder(tmp_path_factory):
    from transformers import SiglipImageProcessor, SiglipVisionConfig, SiglipVisionModel

    torch.manual_seed(0)
    config = SiglipVisionConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                                patch_size=8, image_size=32)
    processor = SiglipImageProcessor(size={"height": 32, "width": 32})
    return _save(tmp_path_factory.mktemp("tiny-siglip"), SiglipVisionModel(config), processor)


def _hf(folder, **options):
    return build_trunk(TrunkConfig(kind="hf", name=str(folder), **options), device="cpu")


def _pixels(trunk, assets, names=("cat.jpg", "rocket.jpg")):
    return torch.stack([trunk.preprocess(load_image(assets / n)) for n in names])


def test_dinov2_pooler_cls_mean_and_grid_match_transformers(dinov2_folder, assets):
    from transformers import AutoImageProcessor, Dinov2Model

    trunk = _hf(dinov2_folder)
    reference = Dinov2Model.from_pretrained(dinov2_folder).eval()
    processor = AutoImageProcessor.from_pretrained(dinov2_folder)
    pixels = _pixels(trunk, assets)
    expected_pixels = processor(images=[load_image(assets / n) for n in ("cat.jpg", "rocket.jpg")],
                                return_tensors="pt")["pixel_values"]
    torch.testing.assert_close(pixels, expected_pixels)  # preprocessing is the model's own processor
    with torch.inference_mode():
        pooled, grid = trunk(pixels, return_grid=True)
        out = reference(pixel_values=pixels)
    assert trunk.pooling == "pooler" and trunk.num_prefix == 1 and trunk.output_dim == 32
    torch.testing.assert_close(pooled, out.pooler_output)
    assert grid.shape == (2, 16, 32)  # (32 / 8)^2 patches, CLS dropped
    torch.testing.assert_close(grid, out.last_hidden_state[:, 1:])
    both = _hf(dinov2_folder, pooling="cls+mean")
    with torch.inference_mode():
        cat = both(pixels)
    assert both.output_dim == 64 == cat.shape[1]
    torch.testing.assert_close(cat, torch.cat([out.last_hidden_state[:, 0], grid.mean(1)], dim=1))
    assert len({trunk_key(t) for t in (trunk, both, _hf(dinov2_folder))}) == 2  # pooling keys, reloads don't


def test_siglip_vision_tower_has_no_cls(siglip_folder, assets):
    trunk = _hf(siglip_folder)
    with torch.inference_mode():
        pooled, grid = trunk(_pixels(trunk, assets), return_grid=True)
    assert trunk.num_prefix == 0 and trunk.pooling == "pooler"  # SigLIP's attention-pooling head
    assert pooled.shape == (2, 32) and grid.shape == (2, 16, 32)
    with pytest.raises(ValueError, match="no CLS token; choose trunk pooling from pooler, mean"):
        _hf(siglip_folder, pooling="cls")


def test_clip_dual_encoder_keeps_only_its_vision_tower(tmp_path, assets):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"hidden_size": 32, "num_hidden_layers": 1, "num_attention_heads": 2, "intermediate_size": 64},
        vision_config={"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64,
                       "patch_size": 8, "image_size": 32},
        projection_dim=16)
    full = CLIPModel(config).eval()
    processor = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    _save(tmp_path, full, processor)
    trunk = _hf(tmp_path)
    assert not any(name.startswith("text") for name, _ in trunk.named_parameters())
    pixels = _pixels(trunk, assets)
    with torch.inference_mode():
        pooled = trunk(pixels)
        expected = full.vision_model(pixel_values=pixels).pooler_output
    torch.testing.assert_close(pooled, expected)


def test_vit_without_a_trained_pooler_drops_it(tmp_path, assets):
    from transformers import ViTConfig, ViTImageProcessor, ViTModel

    torch.manual_seed(0)
    config = ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64,
                       patch_size=8, image_size=32)
    _save(tmp_path, ViTModel(config, add_pooling_layer=False), ViTImageProcessor(size={"height": 32, "width": 32}))
    trunk = _hf(tmp_path)
    assert trunk.net.pooler is None and trunk.pooling == "mean"
    assert trunk_key(trunk) == trunk_key(_hf(tmp_path))  # no random head in the weights checksum
    with pytest.raises(ValueError, match="no pooler output"):
        _hf(tmp_path, pooling="pooler")


def test_convnext_feature_map_is_the_grid(tmp_path, assets):
    from transformers import ConvNextConfig, ConvNextImageProcessor, ConvNextModel

    torch.manual_seed(0)
    config = ConvNextConfig(num_channels=3, hidden_sizes=[8, 16], depths=[1, 1], num_stages=2, image_size=32)
    _save(tmp_path, ConvNextModel(config), ConvNextImageProcessor(size={"shortest_edge": 32}, crop_pct=1.0))
    trunk = _hf(tmp_path, pooling="mean")
    with torch.inference_mode():
        pooled, grid = trunk(_pixels(trunk, assets), return_grid=True)
    assert trunk.output_dim == 16 and grid.shape == (2, 16, 16)  # 32 px / stride 4 / 2 -> 4x4
    torch.testing.assert_close(pooled, grid.mean(1))


def test_hub_id_from_the_offline_cache_and_bad_names(dinov2_folder, tmp_path, monkeypatch, assets):
    fake_snapshot(tmp_path, "someone/tiny-dinov2", dinov2_folder)
    use_hub_cache(monkeypatch, tmp_path)
    by_id = _hf("someone/tiny-dinov2")
    by_folder = _hf(dinov2_folder)
    pixels = _pixels(by_folder, assets)
    with torch.inference_mode():
        torch.testing.assert_close(by_id(pixels), by_folder(pixels))
    with pytest.raises(OSError, match="could not load vision model 'someone/not-cached'"):
        _hf("someone/not-cached")
    with pytest.raises(ValueError, match="trunk.pretrained is for open_clip and timm"):
        build_trunk(TrunkConfig(kind="hf", name=str(dinov2_folder), pretrained="x"), device="cpu")
    with pytest.raises(ValueError, match="options of the hf and timm trunks"):
        build_trunk(TrunkConfig(pooling="cls"), device="cpu")


def test_bfloat16_features_are_tagged_and_close(dinov2_folder, assets):
    full = _hf(dinov2_folder)
    half = _hf(dinov2_folder, dtype="bfloat16")
    pixels = _pixels(full, assets)
    with torch.inference_mode():
        a, b = full(pixels), half(pixels)
    assert b.dtype == torch.float32 and half.cache_tag == "pooling=pooler,dtype=bfloat16"
    assert torch.nn.functional.cosine_similarity(a, b).min() > 0.99
    assert trunk_key(full) != trunk_key(half)
    with pytest.raises(ValueError, match="trunk dtype must be"):
        _hf(dinov2_folder, dtype="int8")


def test_joint_model_trains_on_an_hf_trunk_grid(dinov2_folder, tiny_text_model, caption_pairs_csv, tmp_path):
    from mmretrieval import AdapterConfig, ModelConfig, MMRetrievalModel, TextTowerConfig
    from mmretrieval.train.data import load_pairs
    from mmretrieval.train.loop import TrainConfig, train

    config = ModelConfig(name="tiny-dinov2", text=TextTowerConfig(model=str(tiny_text_model), max_length=64),
                         trunk=TrunkConfig(kind="hf", name=str(dinov2_folder)),
                         adapter=AdapterConfig(kind="attention", num_heads=2), embed_dim=32)
    model = MMRetrievalModel(config, device="cpu")
    pairs = load_pairs(caption_pairs_csv)
    result = train(model, pairs, pairs, TrainConfig(epochs=2, batch_size=8), out_dir=tmp_path / "run",
                   cache_root=tmp_path / "cache")
    assert result.skipped and len(result.history) == 2
    reloaded = MMRetrievalModel.load(tmp_path / "run" / "best", device="cpu")
    image = pairs.images[0]
    torch.testing.assert_close(torch.as_tensor(reloaded.encode_image(image)), torch.as_tensor(model.encode_image(image)))
