"""Flip test-time augmentation (``trunk.tta_flip``) and flip augmentation in training (``flip_augment``)."""

import dataclasses

import pytest
import torch

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.config import ModelConfig
from mmretrieval.train.cache import image_features
from mmretrieval.train.data import load_pairs
from mmretrieval.train.loop import TrainConfig, train


@pytest.fixture(scope="module")
def flip_model(tiny_model_config):
    torch.manual_seed(0)
    config = dataclasses.replace(tiny_model_config, trunk=dataclasses.replace(tiny_model_config.trunk, tta_flip=True))
    return MMRetrievalModel(config, device="cpu")


def test_old_configs_keep_plain_features(tiny_model_config):
    data = tiny_model_config.to_dict()
    del data["trunk"]["tta_flip"]
    assert ModelConfig.from_dict(data).trunk.tta_flip is False


def test_tta_flip_averages_the_image_and_its_mirror(flip_model, caption_pairs_csv):
    pixels = flip_model.preprocess(caption_pairs_csv.parent / "red.jpg")[None]
    pooled, grid = flip_model.trunk_features(pixels)
    with torch.inference_mode():
        expected = (flip_model.trunk(pixels) + flip_model.trunk(pixels.flip(-1))) / 2
        assert grid is None and torch.allclose(pooled, expected, atol=1e-6)
        assert not torch.allclose(pooled, flip_model.trunk(pixels), atol=1e-4), "the mirror must change something"
        encoded = flip_model.encode_image(str(caption_pairs_csv.parent / "red.jpg"), convert_to_tensor=True,
                                          normalize_embeddings=False)
        assert torch.allclose(encoded, flip_model.adapter_forward(expected)[0], atol=1e-5)


def test_cache_gives_what_the_model_computes(flip_model, caption_pairs_csv, tmp_path):
    pairs = load_pairs(caption_pairs_csv)
    averaged = image_features(flip_model, pairs.images, batch_size=4, root=tmp_path)
    plain = image_features(flip_model, pairs.images, root=tmp_path, flip=False)
    mirrored = image_features(flip_model, pairs.images, root=tmp_path, flip=True)
    assert averaged.failed == plain.failed == mirrored.failed and averaged.failed
    assert torch.allclose(averaged.pooled, (plain.pooled + mirrored.pooled) / 2)
    good = averaged.kept[0]
    with torch.inference_mode():
        direct, _ = flip_model.trunk_features(flip_model.preprocess(pairs.images[good])[None])
    assert torch.allclose(averaged.pooled[good], direct[0], atol=1e-5)


def test_cache_decodes_each_image_once_for_both_views(flip_model, caption_pairs_csv, tmp_path, monkeypatch):
    pairs = load_pairs(caption_pairs_csv)
    decoded = []
    preprocess = flip_model.preprocess
    monkeypatch.setattr(flip_model, "preprocess", lambda item: (decoded.append(item), preprocess(item))[1])
    averaged = image_features(flip_model, pairs.images, batch_size=4, root=tmp_path)
    names = list(map(str, decoded))
    assert len(names) == len(set(names)), "each image is decoded once, for both views"
    assert {str(pairs.images[i]) for i in averaged.kept} <= set(names)
    decoded.clear()
    image_features(flip_model, pairs.images, root=tmp_path, flip=False)
    image_features(flip_model, pairs.images, root=tmp_path, flip=True)
    unreadable = {str(pairs.images[i]) for i in averaged.failed}  # tried again each time: the file may be fixed
    assert set(map(str, decoded)) == unreadable, "both views of every readable image were cached by the first pass"


def test_tta_flip_refuses_a_grid_adapter(tiny_model_config):
    config = dataclasses.replace(tiny_model_config, trunk=dataclasses.replace(tiny_model_config.trunk, tta_flip=True),
                                 adapter=dataclasses.replace(tiny_model_config.adapter, kind="attention"))
    with pytest.raises(ValueError, match="tta_flip"):
        MMRetrievalModel(config, device="cpu")


def test_flip_augment_trains_on_both_views(flip_model, caption_pairs_csv, tmp_path, monkeypatch):
    pairs = load_pairs(caption_pairs_csv)
    seen = []
    forward = flip_model.adapter.__class__.forward

    def spy(self, pooled, grid=None):
        if self.training:
            seen.append(pooled.detach().clone())
        return forward(self, pooled, grid)

    monkeypatch.setattr(flip_model.adapter.__class__, "forward", spy)
    recipe = TrainConfig(epochs=2, batch_size=64, lr=1e-2, flip_augment=True, seed=3)
    train(flip_model, pairs, pairs, recipe, out_dir=tmp_path / "run", cache_root=tmp_path / "cache")
    plain = image_features(flip_model, pairs.images, root=tmp_path / "cache", flip=False).pooled
    mirrored = image_features(flip_model, pairs.images, root=tmp_path / "cache", flip=True).pooled
    assert flip_model.config.adapter.input_dropout == 0  # so the adapter sees the cached rows as they are
    rows = torch.cat(seen)
    from_plain = torch.cdist(rows, plain, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values < 1e-4
    from_mirrored = torch.cdist(rows, mirrored, compute_mode="donot_use_mm_for_euclid_dist").min(dim=1).values < 1e-4
    assert (from_plain | from_mirrored).all() and from_plain.any() and from_mirrored.any()



def _train_command(model, caption_pairs_csv, tmp_path, *options):
    import argparse

    from mmretrieval.cli import train as train_cli

    config = tmp_path / "tiny-flip.json"
    model.config.save(config)
    parser = argparse.ArgumentParser()
    train_cli.register(parser.add_subparsers())
    args = parser.parse_args(["train", str(caption_pairs_csv), "--model", str(config), "--epochs", "1", *options,
                              "--out", str(tmp_path / "run"), "--cache", str(tmp_path / "cache")])
    assert args.func(args) == 0
    return load_model(str(tmp_path / "run" / "best"), device="cpu")


def test_train_command_takes_flip_augment_and_keeps_tta_in_the_saved_model(flip_model, caption_pairs_csv, tmp_path):
    trained = _train_command(flip_model, caption_pairs_csv, tmp_path, "--flip-augment")
    state = torch.load(tmp_path / "run" / "checkpoint.pt", weights_only=False)
    assert state["train_config"]["flip_augment"] is True
    assert trained.config.trunk.tta_flip is True


def test_train_command_can_train_a_flip_config_on_plain_features(flip_model, caption_pairs_csv, tmp_path):
    assert _train_command(flip_model, caption_pairs_csv, tmp_path, "--no-tta-flip").config.trunk.tta_flip is False


def test_an_index_of_plain_vectors_is_not_reused_for_flip_vectors(flip_model, tiny_model):
    from mmretrieval.indexing import model_fingerprint

    plain = MMRetrievalModel(tiny_model.config, device="cpu")
    plain.load_trainable_state_dict(flip_model.trainable_state_dict())
    assert model_fingerprint(plain) != model_fingerprint(flip_model)
