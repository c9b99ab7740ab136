"""Fused ranking across modalities: scale-free, explainable, weighted."""

from dataclasses import dataclass

import pytest

from mmretrieval.search.fusion import fuse


@dataclass
class H:
    id: str
    score: float
    kind: str = "image"


# image cosines live around 0.3, passage cosines around 0.8: raw sorting would put every passage first
IMAGES = [H("i1", 0.34), H("i2", 0.22), H("i3", 0.21), H("i4", 0.20)]
TEXTS = [H("t1", 0.83, "text"), H("t2", 0.82, "text"), H("t3", 0.81, "text"), H("t4", 0.80, "text")]


def ids(fused):
    return [f.id for f in fused]


def test_rrf_interleaves_modalities_by_rank():
    fused = fuse({"image": IMAGES, "text": TEXTS}, method="rrf", k=60)
    assert ids(fused) == ["i1", "t1", "i2", "t2", "i3", "t3", "i4", "t4"]
    assert fused[0].score == pytest.approx(1 / 61)
    assert fused[0].explanation == [
        {"list": "image", "rank": 1, "cosine": 0.34, "normalised": pytest.approx(1 / 61, abs=1e-6),
         "weight": 1.0, "contribution": pytest.approx(1 / 61, abs=1e-6)}
    ]


def test_zscore_keeps_a_clear_winner_clear():
    fused = fuse({"image": IMAGES, "text": TEXTS}, method="zscore")
    # i1 stands far above the other images; the passages are all alike, so t1 is only mildly ahead
    assert ids(fused)[0] == "i1"
    assert fused[0].score > 1.5
    assert ids(fused)[1] == "t1"
    assert ids(fused)[-1] in {"i4", "t4"}


@pytest.mark.parametrize("method", ["rrf", "zscore"])
def test_fusion_ignores_each_modalitys_scale(method):
    shifted = [H(h.id, h.score * 0.1 - 0.5, h.kind) for h in TEXTS]
    assert ids(fuse({"image": IMAGES, "text": TEXTS}, method=method)) == ids(
        fuse({"image": IMAGES, "text": shifted}, method=method)
    )


def test_weights_shift_the_balance():
    fused = fuse({"image": IMAGES, "text": TEXTS}, weights={"image": 0.5})
    assert ids(fused)[:2] == ["t1", "t2"]


def test_same_id_in_several_lists_adds_up():
    a = [H("x", 0.9), H("y", 0.8)]
    b = [H("y", 0.5), H("z", 0.4)]
    fused = fuse({"a": a, "b": b})
    assert ids(fused)[0] == "y"
    assert [e["list"] for e in fused[0].explanation] == ["a", "b"]
    assert fused[0].score == pytest.approx(1 / 62 + 1 / 61)


def test_limit_empty_and_degenerate_lists():
    assert ids(fuse({"image": IMAGES, "text": TEXTS}, limit=3)) == ["i1", "t1", "i2"]
    assert fuse({"image": [], "text": []}) == []
    flat = fuse({"image": [H("a", 0.3), H("b", 0.3)]}, method="zscore")
    assert [f.score for f in flat] == [0.0, 0.0]


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown fusion method"):
        fuse({"image": IMAGES}, method="max")
    with pytest.raises(ValueError, match="unknown lists"):
        fuse({"image": IMAGES}, weights={"audio": 1.0})
    with pytest.raises(ValueError, match="k must be"):
        fuse({"image": IMAGES}, k=0)


def test_floor_keeps_a_lists_statistics_but_drops_weak_hits():
    ocr = [H("i3", 0.90), H("i1", 0.70), H("i2", 0.60)]
    fused = fuse({"image": IMAGES, "ocr": ocr}, method="zscore", floors={"ocr": 0.8})
    unfloored = fuse({"image": IMAGES, "ocr": ocr}, method="zscore")
    by_id = {f.id: f for f in fused}
    assert [e["list"] for e in by_id["i1"].explanation] == ["image"]  # below the floor: no OCR part
    i3 = {f.id: f for f in unfloored}["i3"]
    assert by_id["i3"].score == pytest.approx(i3.score)  # z still against all three OCR cosines
    with pytest.raises(ValueError, match="floors for unknown lists"):
        fuse({"image": IMAGES}, floors={"ocr": 0.5})
