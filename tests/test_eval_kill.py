"""kill -9 in the middle of `mmretrieval eval`'s feature extraction, run again: it resumes, same results."""

import json
import os
import sys

import pytest
import torch

from killing import kill_9_when
from mmretrieval.cli.main import main
from mmretrieval.train import cache
from test_index import make_images

N_IMAGES = 40
# The subprocess is the real CLI; only the flush interval is cut so that a 40-image run writes every batch.
CHILD = ("import sys; from mmretrieval.train import cache; cache.FLUSH_SECONDS = 0; "
         "from mmretrieval.cli.main import main; sys.exit(main(sys.argv[1:]))")


def _cached_rows(cache_root) -> int:
    from safetensors import safe_open

    rows = 0
    for shard in (cache_root / "features" / "images").glob("*/*.safetensors"):
        try:
            with safe_open(str(shard), framework="pt") as f:
                rows += f.get_slice("digests").get_shape()[0]
        except Exception:  # being replaced right now: count it next time
            pass
    return rows


@pytest.fixture
def dataset(tmp_path):
    for label in ("a", "b"):
        make_images(tmp_path / "data" / label, N_IMAGES // 2, size=40, seed=ord(label))
    (tmp_path / "prompts.json").write_text(json.dumps({"templates": ["a photo of {}"]}))
    (tmp_path / "set.json").write_text(json.dumps({"format": "image_folder", "prompts": str(tmp_path / "prompts.json"),
                                                   "paths": {"root": "data"}}))
    return tmp_path / "set.json"


def test_kill_9_mid_extraction_then_rerun_resumes_with_equal_results(tiny_model, dataset, tmp_path, monkeypatch):
    model_dir = tiny_model.save(tmp_path / "model")
    args = ["eval", "--model", str(model_dir), "--dataset", str(dataset), "--data-root", str(tmp_path),
            "--dims", "16", "--batch-size", "2"]
    killed_cache = tmp_path / "killed-cache"
    at_kill = kill_9_when([sys.executable, "-c", CHILD, *args, "--out", str(tmp_path / "killed")],
                          lambda: _cached_rows(killed_cache), at_least=6,
                          env={**os.environ, "MMRETRIEVAL_CACHE": str(killed_cache)}, timeout=600)
    assert 0 < at_kill < N_IMAGES, f"the kill should land mid-extraction, {at_kill} of {N_IMAGES} were cached"

    computed = []
    original = cache._encode_images

    def counting(model, images, digests, todo, *rest):
        computed.append(len(todo))
        return original(model, images, digests, todo, *rest)

    monkeypatch.setattr(cache, "_encode_images", counting)
    monkeypatch.setenv("MMRETRIEVAL_CACHE", str(killed_cache))
    assert main([*args, "--out", str(tmp_path / "resumed")]) == 0
    assert sum(computed) == N_IMAGES - at_kill  # only what the killed run had not finished
    computed.clear()
    monkeypatch.setenv("MMRETRIEVAL_CACHE", str(tmp_path / "clean-cache"))
    assert main([*args, "--out", str(tmp_path / "clean")]) == 0
    assert sum(computed) == N_IMAGES

    name = "model__set__zeroshot_classification.json"
    resumed = json.loads((tmp_path / "resumed" / name).read_text())
    clean = json.loads((tmp_path / "clean" / name).read_text())
    assert resumed["dataset_info"]["images"] == N_IMAGES
    for dim, metrics in clean["metrics_by_dim"].items():
        assert resumed["metrics_by_dim"][dim] == pytest.approx(metrics)
    # and the features behind them: the killed run's rows, the resumed run's and a clean run's agree
    paths = sorted(str(p) for p in (tmp_path / "data").glob("*/*.jpg"))
    computed.clear()
    resumed_rows = cache.image_features(tiny_model, paths, root=killed_cache / "features").pooled
    clean_rows = cache.image_features(tiny_model, paths, root=tmp_path / "clean-cache" / "features").pooled
    assert not computed and torch.allclose(resumed_rows, clean_rows, atol=1e-5)
