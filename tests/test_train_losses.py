"""Each loss against values computed by hand."""

import math

import pytest
import torch

from mmretrieval.train.losses import InfoNCELoss, MatryoshkaLoss, SigLIPLoss, build_loss

IMAGE = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
TEXT = torch.tensor([[1.0, 0.0], [0.6, 0.8]])  # cosines: [[1, .6], [0, .8]]


def _ce(logits, target):
    return -logits[target] + math.log(sum(math.exp(x) for x in logits))


def test_infonce_matches_hand_computation():
    loss = InfoNCELoss(temperature=0.5)(IMAGE, TEXT)  # scale 2
    rows = (_ce([2.0, 1.2], 0) + _ce([0.0, 1.6], 1)) / 2
    cols = (_ce([2.0, 0.0], 0) + _ce([1.2, 1.6], 1)) / 2
    assert loss.item() == pytest.approx((rows + cols) / 2, rel=1e-6)


def test_infonce_normalises_inputs_and_learns_temperature():
    loss_fn = InfoNCELoss(temperature=0.5)
    loss = loss_fn(IMAGE * 3, TEXT * 7)
    assert loss.item() == pytest.approx(InfoNCELoss(temperature=0.5)(IMAGE, TEXT).item(), rel=1e-6)
    loss.backward()
    assert loss_fn.logit_scale.grad is not None and loss_fn.logit_scale.grad != 0


def test_infonce_ignores_other_captions_of_the_same_image():
    image = torch.tensor([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])  # rows 0 and 1 are one photo
    text = torch.tensor([[1.0, 0.0], [0.6, 0.8], [0.0, 1.0]])
    loss = InfoNCELoss(temperature=1.0)(image, text, ids=torch.tensor([7, 7, 3]))
    inf = float("-inf")
    logits = [[1.0, inf, 0.0], [inf, 0.6, 0.0], [0.0, 0.8, 1.0]]  # same-photo off-diagonal masked
    rows = sum(_ce([x for x in row if x != inf], _pos(row, i)) for i, row in enumerate(logits)) / 3
    columns = [list(c) for c in zip(*logits)]
    cols = sum(_ce([x for x in col if x != inf], _pos(col, i)) for i, col in enumerate(columns)) / 3
    assert loss.item() == pytest.approx((rows + cols) / 2, rel=1e-6)


def _pos(values, i):
    """Index of entry ``i`` once the masked (-inf) entries are dropped."""
    return sum(1 for x in values[:i] if x != float("-inf"))


def test_siglip_matches_hand_computation():
    loss = SigLIPLoss(scale=10.0, bias=-10.0)(IMAGE, TEXT)
    logits = [[10 * 1 - 10, 10 * 0.6 - 10], [10 * 0 - 10, 10 * 0.8 - 10]]
    signs = [[1, -1], [-1, 1]]
    expected = -sum(math.log(1 / (1 + math.exp(-s * z)))
                    for lrow, srow in zip(logits, signs) for z, s in zip(lrow, srow)) / 2
    assert loss.item() == pytest.approx(expected, rel=1e-6)


def test_matryoshka_sums_over_renormalised_prefixes():
    image = torch.tensor([[1.0, 1.0, 0.0], [1.0, -1.0, 2.0]])
    text = torch.tensor([[2.0, 0.0, 1.0], [1.0, -1.0, 0.0]])
    inner = InfoNCELoss(temperature=1.0)
    loss = MatryoshkaLoss(inner, dims=(1, 3), weights=(0.5, 1.0))(image, text)
    # prefix 1: every vector normalises to +1 -> all logits 1 -> CE = log 2 both ways
    full = inner(image, text).item()
    assert loss.item() == pytest.approx(0.5 * math.log(2) + full, rel=1e-6)


def test_build_loss_checks_names_and_dims():
    assert isinstance(build_loss("siglip", (2,)), MatryoshkaLoss)
    with pytest.raises(ValueError, match="unknown loss"):
        build_loss("triplet")
    with pytest.raises(ValueError, match="do not fit"):
        build_loss("infonce", (4,))(IMAGE, TEXT)


def test_centroid_loss_is_zero_on_the_centroid_and_grows_away_from_it():
    from mmretrieval.train.losses import centroid_loss

    centroid = torch.randn(4, 8)
    assert centroid_loss(3 * centroid, centroid).abs() < 1e-6
    assert centroid_loss(-centroid, centroid) > 1.99
