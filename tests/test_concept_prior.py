"""The concept prior: the trunk's classifier mixed into image vectors (offline: tiny text model, packaged Lite0)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from mmretrieval.concept_prior import PRIOR_FILE, ConceptPrior, build_prior, load_prior
from mmretrieval.config import ConceptPriorConfig, ModelConfig
from mmretrieval.model import MMRetrievalModel

TEMPLATES = [lambda c: f"a photo of a {c}."]  # one template keeps the 1,000 prompts quick on the tiny text model


def _images():
    rng = np.random.default_rng(0)
    return [Image.fromarray(rng.integers(0, 255, (64, 80, 3), dtype=np.uint8)) for _ in range(3)]


@pytest.fixture(scope="module")
def plain(tiny_model_config):
    torch.manual_seed(0)
    return MMRetrievalModel(dataclasses.replace(tiny_model_config, space="raw"), device="cpu", runtime="torch")


@pytest.fixture(scope="module")
def with_prior(plain, tmp_path_factory):
    config = dataclasses.replace(plain.config, concept_prior=ConceptPriorConfig(weight=0.5, top_k=5))
    model = MMRetrievalModel(config, device="cpu", runtime="torch")
    model.load_weights_state_dict(plain.weights_state_dict())
    model.concept_prior = build_prior(model, templates=TEMPLATES, root=tmp_path_factory.mktemp("cache"))
    return model


def test_lite_head_gives_the_networks_own_logits(with_prior):
    pixels = torch.stack([with_prior.preprocess(image) for image in _images()])
    head = with_prior.trunk.classifier_head
    assert head.label_set == "imagenet-1k" and len(head.labels) == 1000 and head.labels[0] == "tench"
    with torch.inference_mode():
        expected = with_prior.trunk.net(pixels)
        got = head.logits(with_prior.trunk(pixels))
    assert torch.allclose(got, expected, atol=1e-4)


def test_prior_is_saved_and_reloaded_exactly(with_prior, tmp_path):
    with_prior.save(tmp_path)
    loaded = MMRetrievalModel.load(tmp_path, device="cpu", runtime="torch")
    prior = load_prior(tmp_path / PRIOR_FILE)
    assert np.array_equal(prior.vectors, with_prior.concept_prior.vectors)
    assert prior.labels == with_prior.concept_prior.labels and prior.label_set == "imagenet-1k"
    assert loaded.config.concept_prior == with_prior.config.concept_prior
    images = _images()
    assert np.array_equal(loaded.encode_image(images), with_prior.encode_image(images))
    assert loaded.identity().digest == with_prior.identity().digest


def test_prior_changes_image_vectors_and_identity_but_not_text(plain, with_prior):
    images, texts = _images(), ["a dog on a beach", "ein Hund"]
    assert np.array_equal(plain.encode_text(texts), with_prior.encode_text(texts))
    assert not np.allclose(plain.encode_image(images), with_prior.encode_image(images), atol=1e-3)
    assert plain.identity().adapter != with_prior.identity().adapter
    assert plain.identity().trunk == with_prior.identity().trunk  # the feature cache is shared
    other = dataclasses.replace(with_prior.config, concept_prior=ConceptPriorConfig(weight=0.25, top_k=5))
    assert with_prior.identity().adapter != _same_weights(with_prior, other).identity().adapter


def test_weight_zero_gives_todays_vectors_bit_for_bit(plain, with_prior):
    zero = _same_weights(with_prior, dataclasses.replace(with_prior.config, concept_prior=None))
    assert np.array_equal(zero.encode_image(_images()), plain.encode_image(_images()))
    assert "concept_prior" not in zero.config.to_dict()


def test_missing_class_vectors_are_refused_clearly(with_prior, tmp_path):
    with_prior.save(tmp_path)
    (tmp_path / PRIOR_FILE).unlink()
    model = MMRetrievalModel.load(tmp_path, device="cpu", runtime="torch")
    with pytest.raises(ValueError, match="concept_prior.safetensors is missing"):
        model.encode_image(_images())


def test_a_prior_for_another_head_is_refused(with_prior):
    model = _same_weights(with_prior, with_prior.config)
    model.concept_prior = ConceptPrior(np.eye(3, with_prior.embed_dim), ("a", "b", "c"), "toy")
    with pytest.raises(ValueError, match="built for another trunk"):
        model.encode_image(_images())


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="weighting"):
        ConceptPriorConfig(weighting="sometimes")
    with pytest.raises(ValueError, match="top_k"):
        ConceptPriorConfig(top_k=0)
    config = ModelConfig.from_dict({"name": "x", "text": {"model": "m"}, "concept_prior": {"weight": 0.3}})
    assert config.concept_prior == ConceptPriorConfig(weight=0.3)


def _same_weights(model, config):
    out = MMRetrievalModel(config, device="cpu", runtime="torch")
    out.load_weights_state_dict(model.weights_state_dict())
    out.concept_prior = model.concept_prior if config.concept_prior else None
    return out


def test_a_collection_indexed_without_the_prior_says_it_needs_re_indexing(plain, with_prior, tmp_path):
    from mmretrieval.indexing.target import info_of
    from mmretrieval.store import ModelMismatchError, VectorStore

    store = VectorStore(path=tmp_path / "q")
    store.ensure_collection(*_fields(info_of(plain)))
    assert plain.config.name == with_prior.config.name  # same name and dims: only the fingerprint tells them apart
    with pytest.raises(ModelMismatchError, match="re-index"):
        store.ensure_collection(*_fields(info_of(with_prior)))
    store.close()


def _fields(info):
    return info.model, info.dim, info.small_dim, info.fingerprint
