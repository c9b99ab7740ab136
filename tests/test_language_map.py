"""The language map: fitted on parallel captions, folded into the image side, text vectors untouched."""

import numpy as np
import pytest
import torch

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.language_map import fit_language_map, with_language_map

TEXTS = ["a man riding a horse", "ein Hund rennt über eine Wiese"]


def _parallel(n=200, dim=16, seed=0):
    """English vectors and 'German' ones: the same content seen through a fixed distortion plus noise."""
    generator = torch.Generator().manual_seed(seed)
    english = torch.nn.functional.normalize(torch.randn(n, dim, generator=generator), dim=-1)
    distortion = torch.eye(dim) + 0.4 * torch.randn(dim, dim, generator=generator) / dim**0.5
    german = torch.nn.functional.normalize(english @ distortion + 0.05 * torch.randn(n, dim, generator=generator), dim=-1)
    return english, german


def test_identical_languages_give_the_identity():
    english, _ = _parallel()
    matrix = fit_language_map(torch.cat([english, english]), ["en"] * 200 + ["de"] * 200, [*range(200)] * 2)
    torch.testing.assert_close(matrix, torch.eye(16), atol=1e-5, rtol=0)


def test_the_map_brings_translations_toward_their_english_and_the_weight_keeps_english():
    english, german = _parallel()
    captions, languages, groups = torch.cat([english, german]), ["en"] * 200 + ["de"] * 200, [*range(200)] * 2
    errors = {}
    for weight in (0.1, 1.0):
        matrix = fit_language_map(captions, languages, groups, reference_weight=weight, ridge=0.1)
        errors[weight] = (german @ matrix - english).norm(), (english @ matrix - english).norm()
    untouched = (german - english).norm()
    assert errors[1.0][0] < 0.75 * untouched and errors[1.0][1] < 0.5 * untouched
    assert errors[0.1][0] < errors[1.0][0] and errors[0.1][1] > errors[1.0][1]  # less weight: German nearer


def test_bad_caption_sets_are_refused():
    english, german = _parallel(n=4)
    with pytest.raises(ValueError, match="'en' captions"):
        fit_language_map(german, ["de"] * 4, range(4))
    with pytest.raises(ValueError, match="nothing to map"):
        fit_language_map(english, ["en"] * 4, range(4))
    with pytest.raises(ValueError, match="one of each"):
        fit_language_map(english, ["en"] * 3, range(4))


def test_folded_map_moves_images_only(tiny_model, assets):
    matrix = torch.linalg.qr(torch.randn(32, 32, generator=torch.Generator().manual_seed(1)))[0] * 0.5 + torch.eye(32)
    config, state = with_language_map(tiny_model.config, tiny_model.trainable_state_dict(), matrix, ["en", "de"])
    mapped = MMRetrievalModel(config, device="cpu")
    mapped.load_trainable_state_dict(state)
    assert config.name == "tiny-multilingual" and "de/en" in config.description
    np.testing.assert_array_equal(mapped.encode_text(TEXTS), tiny_model.encode_text(TEXTS))
    photos = sorted(assets.glob("*.jpg"))[:2]
    before = tiny_model.encode_image(photos, normalize_embeddings=False, convert_to_tensor=True)
    after = mapped.encode_image(photos, normalize_embeddings=False, convert_to_tensor=True)
    torch.testing.assert_close(after, before @ matrix.T, atol=1e-4, rtol=1e-4)


def test_cli_writes_a_loadable_model(tiny_model, tmp_path, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    tsv = tmp_path / "captions.tsv"
    rows = [("a.jpg", "en", "a dog on the grass"), ("a.jpg", "de", "ein Hund auf dem Gras"),
            ("b.jpg", "en", "two children at the beach"), ("b.jpg", "de", "zwei Kinder am Strand")]
    tsv.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows))
    out = tmp_path / "multilingual"
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(out), "--no-progress"]) == 0
    assert "fitted on 4 captions in de, en" in capsys.readouterr().out
    model = load_model(str(out), device="cpu")
    np.testing.assert_array_equal(model.encode_text(TEXTS), tiny_model.encode_text(TEXTS))
    tsv.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows if r[1] == "de"))
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "'en' captions" in capsys.readouterr().err
