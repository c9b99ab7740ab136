"""What every store command shares: read-only commands create nothing, and ``--runtime`` reaches the model."""

import os

import pytest

from mmretrieval.cli.main import main


def test_serve_refuses_a_misspelled_store_and_creates_nothing(tiny_model, tmp_path, capsys, monkeypatch):
    uvicorn = pytest.importorskip("uvicorn")
    pytest.importorskip("fastapi")
    served = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: served.append(app))
    model = str(tiny_model.save(tmp_path / "model"))
    assert main(["serve", "--store", str(tmp_path / "typo"), "--model", model]) == 2
    assert "does not exist: nothing is indexed" in capsys.readouterr().err
    assert not (tmp_path / "typo").exists() and not served


def test_runtime_reaches_the_model_and_leaves_the_environment_alone(tmp_path, assets, monkeypatch):
    import mmretrieval.registry as registry
    from mmretrieval.store import VectorStore

    asked = []

    def load_model(name_or_path=None, device=None, pretrained=True, runtime=None):
        asked.append((name_or_path, runtime))
        raise ValueError("stopped before loading a model")

    monkeypatch.setattr(registry, "load_model", load_model)
    before = os.environ.get("MMRETRIEVAL_RUNTIME")
    store = str(tmp_path / "q")
    assert main(["--runtime", "openvino", "index", str(assets / "cat.jpg"), "--store", store, "--model", "m",
                 "--no-progress"]) == 2
    with VectorStore(store) as made:  # a collection recording a built-in model: search loads that one
        made.ensure_collection(registry.DEFAULT_MODEL, 384, 64)
    assert main(["--runtime", "torch", "search", "a cat", "--store", store]) == 2
    assert asked == [("m", "openvino"), (registry.DEFAULT_MODEL, "torch")]
    assert os.environ.get("MMRETRIEVAL_RUNTIME") == before  # nothing leaks into the next main() call
