"""The image trunk's CPU runtime (OpenVINO): same vectors as torch, same cache keys, clean fallback to torch."""

import dataclasses
import sys

import pytest
import torch

from mmretrieval import MMRetrievalModel
from mmretrieval.config import TrunkConfig
from mmretrieval.images import load_image
from mmretrieval.identity import model_fingerprint
from mmretrieval.registry import get_model_config
from mmretrieval.identity import trunk_identity
from mmretrieval.vision import runtime
from mmretrieval.vision.trunk import build_trunk

PHOTOS = ("astronaut.jpg", "camera.jpg", "cat.jpg", "coffee.jpg", "rocket.jpg")
needs_openvino = pytest.mark.skipif(not runtime.openvino_available(), reason="openvino is not installed")


def _pixels(trunk, assets):
    return torch.stack([trunk.preprocess(load_image(assets / name)) for name in PHOTOS])


@needs_openvino
@pytest.mark.parametrize("config", [TrunkConfig(), get_model_config("e5-small-lite0").trunk],
                         ids=["lite0-native", "default-trunk"])
def test_openvino_trunk_matches_torch_on_real_photos(assets, config):
    fast = build_trunk(config, device="cpu", runtime="openvino")
    plain = build_trunk(config, device="cpu", runtime="torch")
    assert (fast.runtime, plain.runtime) == ("openvino", "torch")
    pixels = _pixels(plain, assets)
    with torch.inference_mode():
        got, want = fast(pixels), plain(pixels)
    assert fast.compiled.active
    assert got.shape == want.shape == (len(PHOTOS), plain.output_dim)
    assert torch.nn.functional.cosine_similarity(got, want).min() >= 0.9999
    torch.testing.assert_close(got, want, atol=2e-4, rtol=1e-3)
    assert trunk_identity(fast) == trunk_identity(plain)  # one feature cache for both runtimes


@needs_openvino
def test_openvino_model_vectors_match_torch_on_a_tiny_config(tiny_model_config, assets):
    config = dataclasses.replace(tiny_model_config, trunk=dataclasses.replace(tiny_model_config.trunk, tta_flip=True))
    torch.manual_seed(0)
    fast = MMRetrievalModel(config, device="cpu", runtime="openvino")
    plain = MMRetrievalModel(config, device="cpu", runtime="torch")
    plain.load_trainable_state_dict(fast.trainable_state_dict())
    files = [assets / name for name in PHOTOS]
    got, want = fast.encode_image(files, batch_size=2), plain.encode_image(files, batch_size=2)
    assert (got * want).sum(1).min() >= 0.999
    assert model_fingerprint(fast) == model_fingerprint(plain)  # one collection for both runtimes
    with torch.inference_mode():  # the grid (attention adapters) always comes from torch
        pooled, grid = fast.trunk(_pixels(fast.trunk, assets)[:1], return_grid=True)
    assert grid.shape[1:] == (49, fast.trunk.output_dim)


@needs_openvino
def test_export_folder_follows_the_trunk():
    lite = build_trunk(TrunkConfig(), device="cpu", runtime="openvino")
    staged = build_trunk(TrunkConfig(extra_stages=1), device="cpu", runtime="openvino")
    assert lite.compiled.export_folder() != staged.compiled.export_folder()
    assert trunk_identity(lite) in lite.compiled.export_folder().name


def test_missing_openvino_falls_back_to_torch(monkeypatch, assets):
    monkeypatch.setitem(sys.modules, "openvino", None)  # `import openvino` now raises ImportError
    monkeypatch.delenv(runtime.ENV, raising=False)
    assert not runtime.openvino_available()
    trunk = build_trunk(TrunkConfig(), device="cpu")
    assert trunk.runtime == "torch" and trunk.compiled is None
    with torch.inference_mode():
        assert trunk(_pixels(trunk, assets)[:1]).shape == (1, 1280)
    with pytest.raises(ImportError, match="pip install openvino"):
        build_trunk(TrunkConfig(), device="cpu", runtime="openvino")


def test_a_failed_export_falls_back_under_auto_and_raises_when_forced(monkeypatch, assets, tmp_path):
    monkeypatch.setattr(runtime, "openvino_available", lambda: True)
    monkeypatch.setattr(runtime.OpenVINOTrunk, "_compile", lambda self: (_ for _ in ()).throw(RuntimeError("boom")))
    auto = build_trunk(TrunkConfig(), device="cpu", runtime="auto")
    plain = build_trunk(TrunkConfig(), device="cpu", runtime="torch")
    pixels = _pixels(plain, assets)[:2]
    with torch.inference_mode():
        torch.testing.assert_close(auto(pixels), plain(pixels))
    assert auto.compiled.active is False
    forced = build_trunk(TrunkConfig(), device="cpu", runtime="openvino")
    with pytest.raises(RuntimeError, match="boom"), torch.inference_mode():
        forced(pixels)


def test_runtime_comes_from_the_argument_then_the_environment(monkeypatch):
    monkeypatch.setenv(runtime.ENV, "torch")
    assert runtime.requested_runtime() == "torch"
    assert runtime.requested_runtime("openvino") == "openvino"
    assert build_trunk(TrunkConfig(), device="cpu").runtime == "torch"
    monkeypatch.setenv(runtime.ENV, "tensorrt")
    with pytest.raises(ValueError, match=r"MMRETRIEVAL_RUNTIME='tensorrt'.*auto, openvino, torch"):
        runtime.requested_runtime()
    with pytest.raises(ValueError, match="runs on the CPU"):
        runtime.attach_runtime(object(), "openvino", device="cuda")


def test_cli_runtime_flag_goes_to_the_command_not_the_environment(monkeypatch):
    import os

    from mmretrieval.cli import main, search

    monkeypatch.delenv(runtime.ENV, raising=False)
    seen = {}
    monkeypatch.setattr(search, "run", lambda args: seen.update(flag=args.runtime, env=os.environ.get(runtime.ENV)))
    assert main.main(["--runtime", "torch", "search", "a dog"]) == 0
    assert seen == {"flag": "torch", "env": None}  # (test_cli_store_args: it reaches load_model)
