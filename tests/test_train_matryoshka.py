"""The fitted joint space: an orthogonal, variance-ordered rotation that keeps full-dim cosines."""

import torch
import torch.nn.functional as F

from mmretrieval.adapter import JointSpace
from mmretrieval.train.matryoshka import fit_joint_space, fit_rotation, fit_text_mean


def _captions(n=400, dim=16):
    torch.manual_seed(0)
    scales = torch.linspace(0.1, 3.0, dim)  # anisotropic, largest variance last
    return F.normalize(torch.randn(n, dim) * scales + 2.0, dim=-1)


def test_rotation_is_orthogonal_and_orders_variance():
    text = _captions()
    mean = fit_text_mean(text)
    rotation = fit_rotation(text, mean)
    assert torch.allclose(rotation.T @ rotation, torch.eye(16), atol=1e-5)
    variance = ((text - mean) @ rotation).var(0)
    assert torch.all(variance[:-1] >= variance[1:] - 1e-6)
    assert torch.equal(rotation, fit_rotation(text, mean))  # reproducible, signs fixed


def test_rotation_keeps_full_dim_cosines_exactly_as_the_text_model_gives_them():
    text = _captions()
    space = JointSpace(16)
    fit_joint_space(space, text, center=False)
    queries = F.normalize(torch.randn(20, 16), dim=-1)
    rotated = space(queries)
    assert torch.allclose(F.normalize(rotated, dim=-1) @ F.normalize(rotated, dim=-1).T, queries @ queries.T, atol=1e-5)
    assert not torch.allclose(rotated, queries)


def test_centering_keeps_dot_products_of_centred_vectors():
    text = _captions()
    space = JointSpace(16)
    fit_joint_space(space, text, center=True)
    centred = text - text.mean(0)
    assert torch.allclose(space(text) @ space(text).T, centred @ centred.T, atol=1e-4)


def test_prefixes_keep_more_than_raw_coordinates():
    text = _captions()
    space = JointSpace(16)
    fit_joint_space(space, text, center=True)
    energy = lambda x, d: (x[:, :d] ** 2).sum() / (x**2).sum()  # noqa: E731
    assert energy(space(text), 4) > energy(text - text.mean(0), 4)


def test_fitted_space_round_trips_through_the_model(tiny_model_config, tmp_path):
    from mmretrieval import MMRetrievalModel

    model = MMRetrievalModel(tiny_model_config, device="cpu")
    texts = ["a dog on the grass", "two cats asleep", "a red car", "a city at night", "a bowl of soup"]
    raw = model.text_tower.encode(texts, convert_to_tensor=True)
    fit_joint_space(model.space, raw, center=False)
    joint = model.encode_text(texts, convert_to_tensor=True)
    assert torch.allclose(joint @ joint.T, raw @ raw.T, atol=1e-5)
    reloaded = MMRetrievalModel.load(model.save(tmp_path / "m"), device="cpu")
    assert torch.allclose(reloaded.encode_text(texts, convert_to_tensor=True), joint, atol=1e-6)
