"""Training with a concept prior: the loop's image vectors are the ones ``adapter_forward`` gives at inference
(prior mixed in from the same view's logits), and without a prior they are what they always were."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
from PIL import Image

from mmretrieval.concept_prior import ConceptPrior
from mmretrieval.config import ConceptPriorConfig
from mmretrieval.model import MMRetrievalModel
from mmretrieval.train.loop import TrainConfig, _Tensors, _train_epoch

IMAGES, CAPTIONS = 6, 12
RECIPE = TrainConfig(epochs=1, batch_size=4, seed=3)


def _model(tiny_model_config, space: str, prior: bool) -> MMRetrievalModel:
    settings = ConceptPriorConfig(weight=0.75, top_k=10) if prior else None
    config = dataclasses.replace(tiny_model_config, space=space, concept_prior=settings)
    torch.manual_seed(0)
    model = MMRetrievalModel(config, device="cpu", runtime="torch")
    with torch.no_grad():  # a fitted caption mean, so a raw-space model places images along it
        model.space.text_mean.copy_(torch.nn.functional.normalize(torch.randn(config.embed_dim), dim=0) * 0.8)
    if prior:
        labels = model.trunk.classifier_head.labels
        vectors = torch.nn.functional.normalize(torch.randn(len(labels), config.embed_dim), dim=-1)
        model.concept_prior = ConceptPrior(vectors.numpy(), labels, "imagenet-1k")
    return model


def _features(model, views: bool) -> _Tensors:
    generator = torch.Generator().manual_seed(1)
    shape = (IMAGES, model.trunk.output_dim)
    pooled = 3 * torch.rand(shape, generator=generator)  # (scaled so the head is confident on some photos)
    text = torch.nn.functional.normalize(torch.randn(CAPTIONS, model.embed_dim, generator=generator), dim=-1)
    mirrored = 3 * torch.rand(shape, generator=generator)
    return _Tensors(text, pooled, torch.stack([pooled, mirrored]) if views else None, None,
                    torch.arange(CAPTIONS) % IMAGES)


def _training_vectors(model, tensors: _Tensors) -> tuple[torch.Tensor, torch.Tensor]:
    """``(image ids, image vectors)`` the loss saw over one epoch (a learning rate of 0 keeps the adapter)."""
    seen = []

    def loss_fn(image, targets, ids):
        seen.append((ids, image.detach().clone()))
        return image.sum() * 0 + (image * targets).sum()

    optimizer = torch.optim.SGD(model.adapter.parameters(), lr=0.0)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    _train_epoch(model, tensors, loss_fn, optimizer, scheduler, RECIPE, 0, False)
    return torch.cat([ids for ids, _ in seen]), torch.cat([image for _, image in seen])


def _adapter_alone(model, pooled: torch.Tensor) -> torch.Tensor:
    """Training's image vectors before priors took part: the adapter's output placed in the joint space."""
    with torch.no_grad():
        return model.image_to_joint(model.adapter(pooled.float(), None))


@pytest.mark.parametrize("space", ["raw", "centred"])
def test_training_vectors_with_a_prior_are_the_inference_vectors(tiny_model_config, space):
    model = _model(tiny_model_config, space, prior=True)
    tensors = _features(model, views=False)
    ids, seen = _training_vectors(model, tensors)
    model.eval()
    with torch.no_grad():
        served = model.adapter_forward(tensors.pooled[ids])
    assert torch.allclose(seen, served, atol=1e-6)
    assert not torch.allclose(seen, _adapter_alone(model, tensors.pooled[ids]), atol=1e-3)  # the prior took part


def test_each_flip_view_trains_with_its_own_logits(tiny_model_config):
    model = _model(tiny_model_config, "raw", prior=True)
    tensors = _features(model, views=True)
    ids, seen = _training_vectors(model, tensors)
    with torch.no_grad():
        plain, mirrored = (model.adapter_forward(view[ids]) for view in tensors.views)
    is_plain = torch.isclose(seen, plain, atol=1e-6).all(dim=1)
    is_mirrored = torch.isclose(seen, mirrored, atol=1e-6).all(dim=1)
    assert bool((is_plain ^ is_mirrored).all())  # every row is one view's vector with that view's prior
    assert is_plain.any() and is_mirrored.any()


@pytest.mark.parametrize("space", ["raw", "centred"])
def test_without_a_prior_training_vectors_are_unchanged_bit_for_bit(tiny_model_config, space):
    model = _model(tiny_model_config, space, prior=False)
    tensors = _features(model, views=False)
    ids, seen = _training_vectors(model, tensors)
    assert torch.equal(seen, _adapter_alone(model, tensors.pooled[ids]))
    assert np.array_equal(ids.sort().values.numpy(), (torch.arange(CAPTIONS) % IMAGES).sort().values.numpy())


def test_convert_carries_the_prior_into_the_raw_space_at_the_trained_balance(tiny_model_config, tmp_path, capsys):
    from mmretrieval import load_model
    from mmretrieval.cli.main import main as cli

    model = _model(tiny_model_config, "centred", prior=True)
    model.save(tmp_path / "centred")
    assert cli(["convert", str(tmp_path / "centred"), "--out", str(tmp_path / "raw")]) == 0
    assert "(centred) ->" in capsys.readouterr().out
    raw = load_model(str(tmp_path / "raw"), device="cpu")
    vectors = torch.from_numpy(raw.concept_prior.vectors.astype(np.float32))
    assert torch.allclose(vectors, torch.nn.functional.normalize(vectors, dim=-1), atol=1e-3)  # text tower's own
    spread = float((vectors - raw.space.text_mean).norm(dim=1).mean())
    g = raw.config.image_mean_cos if raw.config.image_mean_cos is not None else float(raw.space.text_mean.norm())
    expected = 0.75 * (1 - g * g) ** 0.5 / spread
    assert raw.config.concept_prior.weight == pytest.approx(expected, abs=1e-3) and raw.config.concept_prior.top_k == 10
    photo = Image.fromarray(np.zeros((40, 40, 3), dtype=np.uint8))
    assert raw.encode_image(photo).shape == (tiny_model_config.embed_dim,)
