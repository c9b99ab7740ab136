import json

import numpy as np
import open_clip
import pytest
import torch

from mmretrieval.baselines import OpenCLIPModel

TINY_CLIP = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 16},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="module")
def tiny_clip_checkpoint(tmp_path_factory):
    folder = tmp_path_factory.mktemp("clip")
    (folder / "mmr-test-tiny-clip.json").write_text(json.dumps(TINY_CLIP))
    open_clip.add_model_config(folder / "mmr-test-tiny-clip.json")
    torch.manual_seed(0)
    model = open_clip.create_model("mmr-test-tiny-clip")
    torch.save({"state_dict": model.state_dict()}, folder / "tiny.pt")
    return model, folder / "tiny.pt"


def test_loads_local_checkpoint(tiny_clip_checkpoint, assets):
    reference, path = tiny_clip_checkpoint
    model = OpenCLIPModel("mmr-test-tiny-clip", pretrained=str(path), device="cpu")
    tokens = open_clip.get_tokenizer("mmr-test-tiny-clip")(["a cat"])
    with torch.no_grad():
        expected = torch.nn.functional.normalize(reference.encode_text(tokens), dim=-1)[0]
    np.testing.assert_allclose(model.encode_text("a cat"), expected.numpy(), atol=1e-5)
    images = model.encode_image([str(assets / "cat.jpg"), str(assets / "rocket.jpg")])
    assert images.shape == (2, 32) and model.embed_dim == 32


def test_clear_errors_for_bad_names_and_paths(tmp_path):
    with pytest.raises(ValueError, match="unknown open_clip architecture"):
        OpenCLIPModel("ViT-Nope")
    with pytest.raises(ValueError, match="no pretrained tag"):
        OpenCLIPModel("ViT-B-32", pretrained="not-a-tag")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        OpenCLIPModel("ViT-B-32", pretrained=str(tmp_path / "missing.pt"))


def test_offline_pretrained_tag_says_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise RuntimeError("Failed to download weights for tag 'openai': no network")

    monkeypatch.setattr(open_clip, "create_model_and_transforms", offline)
    with pytest.raises(ConnectionError, match="pass a local checkpoint file"):
        OpenCLIPModel("ViT-B-32", pretrained="openai")
