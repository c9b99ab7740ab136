import numpy as np
import pytest

from mmretrieval import MMRetrievalModel, list_models, load_model
from mmretrieval.images import ImageLoadError


def test_save_load_round_trip_gives_identical_vectors(tiny_model, tmp_path, assets):
    images = [str(assets / "cat.jpg"), str(assets / "camera.jpg")]
    before_img = tiny_model.encode_image(images)
    before_txt = tiny_model.encode_text(["a cat on a sofa"])
    tiny_model.save(tmp_path / "saved")
    assert sorted(p.name for p in (tmp_path / "saved").iterdir()) == ["adapter.safetensors", "config.json"]
    loaded = load_model(str(tmp_path / "saved"), device="cpu")
    np.testing.assert_array_equal(loaded.encode_image(images), before_img)
    np.testing.assert_array_equal(loaded.encode_text(["a cat on a sofa"]), before_txt)


def test_identity_space_keeps_text_vectors_exact(tiny_model):
    texts = ["a man riding a horse", "ein Hund"]
    np.testing.assert_allclose(
        tiny_model.encode_text(texts, task=None), tiny_model.text_tower.encode(texts), atol=1e-6
    )


def test_encode_image_shapes_and_truncation(tiny_model, assets):
    one = tiny_model.encode_image(str(assets / "cat.jpg"))
    assert one.shape == (32,) and abs(np.linalg.norm(one) - 1) < 1e-5
    cut = tiny_model.encode_image([str(assets / "cat.jpg")] * 3, truncate_dim=16, batch_size=2)
    assert cut.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(cut, axis=1), 1.0, atol=1e-5)


def test_bad_image_in_a_batch_names_the_file(tiny_model, tmp_path, assets):
    bad = tmp_path / "broken.jpg"
    bad.write_bytes(b"\xff\xd8garbage")
    with pytest.raises(ImageLoadError, match="broken.jpg"):
        tiny_model.encode_image([str(assets / "cat.jpg"), str(bad)])


def test_named_configs_and_errors():
    assert {"e5-small-lite0", "minilm-l6-lite0"} <= set(list_models())
    with pytest.raises(ValueError, match="unknown model"):
        load_model("no-such-model")
    with pytest.raises(FileNotFoundError):
        load_model("/no/such/folder")


def test_embed_dim_mismatch_is_refused(tiny_model_config):
    import dataclasses

    with pytest.raises(ValueError, match="embed_dim"):
        MMRetrievalModel(dataclasses.replace(tiny_model_config, embed_dim=64), device="cpu")


def test_config_json_records_its_format_version_and_older_files_still_load(tiny_model_config, tmp_path):
    import json

    import pytest

    from mmretrieval.config import CONFIG_VERSION, ModelConfig

    tiny_model_config.save(tmp_path / "config.json")
    saved = json.loads((tmp_path / "config.json").read_text())
    assert saved["version"] == CONFIG_VERSION and ModelConfig.load(tmp_path / "config.json") == tiny_model_config
    del saved["version"]  # a file written before the format was recorded
    assert ModelConfig.from_dict(saved) == tiny_model_config
    with pytest.raises(ValueError, match="newer release"):
        ModelConfig.from_dict({**saved, "version": CONFIG_VERSION + 1})
