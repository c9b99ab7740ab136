"""Chinese queries: detection (short, mixed script, py3langid's wuu), maps fitted on comparable captions with
their photos (shared targets, batches), the language-map recipe's dev numbers; English and text vectors untouched."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmretrieval import load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.identity import model_fingerprint
from mmretrieval.languages.maps import QueryMaps, fit_query_map, fit_query_maps
from mmretrieval.languages.detect import detect_languages, identifier, script_language

WU = "两个小男孩。"  # a Flickr8k-CN caption ("two little boys") py3langid alone calls wuu (Wu)


@pytest.mark.parametrize("text", ["狗", "猫", "海滩上的狗", "骑自行车的人", "一隻狗在海灘上", "dog 在海滩", "iPhone手机"])
def test_short_traditional_and_mixed_chinese_queries_are_chinese(text):
    assert detect_languages([text]) == [("zh", 1.0)]


@pytest.mark.parametrize("text, want", [
    ("自転車に乗る人", "ja"),  # kana
    ("강아지", "ko"),
    ("a photo of 寿司 on a plate", None),  # a few characters in an English query: py3langid decides
    ("a dog on the beach", None),
    ("", None),
])
def test_the_script_decides_only_where_it_says_enough(text, want):
    assert script_language(text) == want


def test_what_py3langid_calls_wuu_is_chinese():
    assert identifier().classify(WU)[0] == "wuu"  # the case the detector must cover
    assert detect_languages([WU])[0] == ("zh", 1.0)
    mixed = "a tea 店 in the city"  # fewer characters than other words: left to py3langid
    assert script_language(mixed) is None and detect_languages([mixed])[0][0] == "en"


def test_english_and_german_keep_py3langid_s_answer():
    texts = ["a cup of coffee on a table in the kitchen", "eine Katze schläft auf dem Sofa neben dem Fenster"]
    assert [lang for lang, _ in detect_languages(texts)] == ["en", "de"]
    assert detect_languages(texts) == [identifier().classify(t) for t in texts]


def test_a_two_character_query_is_mapped_and_an_english_one_is_not():
    maps = QueryMaps({"zh": torch.eye(4).roll(1, dims=0)})
    vectors = F.normalize(torch.randn(2, 4, generator=torch.Generator().manual_seed(0)), dim=-1)
    mapped = maps.apply(vectors, ["狗", "dog"])
    torch.testing.assert_close(mapped[0], vectors[0].roll(-1))
    assert torch.equal(mapped[1], vectors[1])


def _comparable(images=60, captions=5, dim=16, seed=0):
    """Photo vectors and five 'Chinese' captions each: a fixed distortion of the photo plus caption noise."""
    generator = torch.Generator().manual_seed(seed)
    photos = F.normalize(torch.randn(images, dim, generator=generator), dim=-1)
    distortion = torch.eye(dim) + 1.5 * torch.randn(dim, dim, generator=generator) / dim**0.5
    labels = torch.arange(images).repeat_interleave(captions)
    text = F.normalize(photos[labels] @ distortion + 0.3 * torch.randn(len(labels), dim, generator=generator), dim=-1)
    return photos, text, labels


def _top1(queries, photos, labels):
    return ((queries @ photos.T).argmax(1) == labels).float().mean().item()


def test_a_map_to_shared_photo_targets_in_batches_finds_held_out_photos():
    photos, text, labels = _comparable()
    fit = labels < 40
    matrix = fit_query_map(text[fit], photos[:40], labels=labels[fit], steps=300, lr=1e-2, batch_size=64)
    held = ~fit
    before = _top1(text[held], photos[40:], labels[held] - 40)
    after = _top1(F.normalize(text[held] @ matrix, dim=-1), photos[40:], labels[held] - 40)
    assert after > before + 0.2, (before, after)
    again = fit_query_map(text[fit], photos[:40], labels=labels[fit], steps=300, lr=1e-2, batch_size=64)
    assert torch.equal(matrix, again)  # seeded batches: deterministic
    with pytest.raises(ValueError, match="each with a target"):
        fit_query_map(text[:10], photos[:1], labels=labels[:10])


def test_maps_toward_given_targets_need_no_reference_captions():
    photos, text, labels = _comparable(images=10)
    groups = [f"{int(i)}.jpg" for i in labels]
    maps = fit_query_maps(text, ["zh"] * len(text), groups, targets={f"{i}.jpg": photos[i] for i in range(10)}, steps=3)
    assert list(maps) == ["zh"] and maps["zh"].shape == (16, 16)
    with pytest.raises(ValueError, match="'en' captions"):
        fit_query_maps(text, ["zh"] * len(text), groups, steps=3)


def test_the_recipe_fits_on_photos_prints_dev_numbers_and_leaves_english_and_vectors(tiny_model, tmp_path, assets,
                                                                                      capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    words = {"astronaut": ("宇航员", "an astronaut"), "camera": ("相机", "a camera"), "cat": ("猫", "a cat"),
             "coffee": ("咖啡", "coffee"), "rocket": ("火箭", "a rocket")}
    rows = [(f"{name}.jpg", lang, text) for name, (zh, en) in words.items()
            for lang, text in (("zh", zh), ("zh", f"一张{zh}的照片"), ("en", en))]
    tsv = tmp_path / "captions.tsv"
    tsv.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows))
    out = tmp_path / "zh"
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(out), "--images", str(assets), "--target",
                "images", "--dev-fraction", "0.4", "--steps", "5", "--batch-size", "4", "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "dev text->image R@5 over 2 held-out images" in printed and "zh:" in printed and "of en)" in printed
    assert "query maps for zh fitted on 9 captions" in printed  # 3 images x 3 captions; dev held out
    model = load_model(str(out), device="cpu")
    assert model.query_maps.languages == ["zh"]
    assert model_fingerprint(model) == model_fingerprint(tiny_model)
    texts = ["猫", "a cat on a sofa", "一杯咖啡"]
    vectors = model.encode_text(texts)
    np.testing.assert_array_equal(vectors, tiny_model.encode_text(texts))  # text vectors: the text model's
    queries = model.image_queries(texts, vectors)
    np.testing.assert_array_equal(queries[1], vectors[1])  # English ranks images by its own vector
    assert not np.allclose(queries[0], vectors[0])
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(tmp_path / "x"), "--target", "images",
                "--no-progress"]) == 2
    assert "needs the photos" in capsys.readouterr().err


def test_py3langid_s_chinese_family_is_reported_as_chinese(monkeypatch):
    """Text the script leaves to py3langid (romanised, few characters): its wuu / yue still reach the zh map."""
    import mmretrieval.languages.detect as query_language

    class Says:
        def __init__(self, code):
            self.classify = lambda text: (code, 0.9)

    for code in ("wuu", "yue"):
        monkeypatch.setattr(query_language, "identifier", lambda code=code: Says(code))
        assert query_language.detect_languages(["nong hao"]) == [("zh", 0.9)]


def test_the_default_maps_chinese_queries_and_leaves_english_ones():
    from mmretrieval import DEFAULT_MODEL

    model = load_model(DEFAULT_MODEL, device="cpu")
    assert model.query_maps.languages == ["cs", "de", "fr", "zh"]
    texts = ["狗", "海滩上的狗", "a dog on the beach", "dog"]
    vectors = model.encode_text(texts)
    np.testing.assert_array_equal(vectors, model.text_tower.encode(texts, task="retrieval.query"))  # e5's own
    queries = model.image_queries(texts, vectors)
    np.testing.assert_array_equal(queries[2:], vectors[2:])
    assert all(float(queries[i] @ vectors[i]) < 0.999 for i in (0, 1))
