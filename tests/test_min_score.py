"""The relevance cut-off (``min_score``): Index.search, rag, the CLI and HTTP flags, the model's calibrated
default (stored in its config), and a user value overriding it."""

import dataclasses
import json
from types import SimpleNamespace

import pytest

from mmretrieval import MMRetrievalModel
from mmretrieval.cli.main import main
from mmretrieval.indexing import Index
from mmretrieval.rag import retrieve
from mmretrieval.registry import get_model_config, load_model

STRICT = 0.999  # no random-adapter cosine of a text with a photo reaches it


@pytest.fixture(scope="module")
def strict_model(tiny_model):
    """The tiny model with a calibrated cut-off no query clears (its weights are the tiny model's)."""
    model = MMRetrievalModel(dataclasses.replace(tiny_model.config, min_score=STRICT), device="cpu")
    model.load_trainable_state_dict(tiny_model.trainable_state_dict())
    return model


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("docs")
    (folder / "space.md").write_text("# Rockets\n\nA rocket burns fuel to reach orbit. " * 20)
    return folder


def test_an_explicit_cut_off_empties_an_unrelated_query(tiny_model, assets):
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(assets, show_progress_bar=False)
        unrelated = "def __getitem__(self, key): return self.items[key]"
        hits = index.search(text=unrelated, limit=5)
        assert len(hits) == 5  # the tiny model has no calibrated cut-off: the least-bad photos come back
        assert index.search(text=unrelated, min_score=max(hits[0].score, 0) + 1e-4) == []
        hits = index.search(text="a rocket", limit=5)
        assert hits[1].score > 0  # (a cut-off of 0 or less is none)
        kept = index.search(text="a rocket", min_score=(hits[0].score + hits[1].score) / 2)
        assert [h.id for h in kept] == [hits[0].id]
        with pytest.raises(ValueError, match="in -1..1"):
            index.search(text="x", min_score=2.0)


def test_the_models_default_applies_and_a_user_value_overrides_it(strict_model, assets, docs):
    with Index.open(path=":memory:", model=strict_model) as index:
        index.add_images(assets, show_progress_bar=False)
        index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
        assert index.search(text="a rocket") == []  # the model's cut-off
        assert len(index.search(text="a rocket", min_score=0, limit=5)) == 5  # 0: no cut-off
        assert len(index.search(text="a rocket", min_score=0.001 - 1, limit=5)) == 5
        assert len(index.search(image=assets / "cat.jpg", limit=5)) == 5  # the default is for text queries
        assert len(index.search(text="a rocket", kinds=("text",), limit=3)) == 3  # ... on photos only
        assert index.search(text="a rocket", kinds=("text",), min_score=STRICT) == []  # a value given: every list
        bundle = retrieve(index, "a rocket", limit=6, max_images=3)
        assert bundle.items and {i.kind for i in bundle.items} == {"text"}  # passages kept, photos cut
        assert {i.kind for i in retrieve(index, "a rocket", limit=6, max_images=3, min_score=0).items} == {"image", "text"}
        assert retrieve(index, "a rocket", min_score=STRICT).items == []


def test_cut_off_is_saved_with_the_model_and_cleared_for_new_weights(strict_model, tmp_path, monkeypatch):
    saved = strict_model.save(tmp_path / "model")
    assert json.loads((saved / "config.json").read_text())["min_score"] == STRICT
    assert load_model(str(saved)).config.min_score == STRICT
    assert strict_model.config.uncalibrated().min_score is None
    import mmretrieval.model

    built = []
    monkeypatch.setattr(mmretrieval.model, "MMRetrievalModel",
                        lambda config, **kw: built.append(config) or SimpleNamespace(config=config))
    load_model("e5-small-lite0", pretrained=False)  # an untrained adapter: nothing calibrated for it
    assert built[0].min_score is None and built[0].duplicate_threshold is None


def test_shipped_models_carry_no_cut_off():
    """Their Flickr8k-calibrated cut-offs (eval/results/min_score.json) hide the right photo for most of the
    README's queries on assets/, so neither ships one: search keeps its nearest photos unless told."""
    for name in ("e5-small-lite0", "minilm-l6-lite0"):
        assert get_model_config(name).min_score is None, name


def test_cli_flags_pass_through(strict_model, assets, docs, tmp_path, capsys):
    model_dir = strict_model.save(tmp_path / "model")
    store = ["--store", str(tmp_path / "q"), "--model", str(model_dir)]
    assert main(["index", str(assets), str(docs), "--no-progress", *store]) == 0
    capsys.readouterr()
    assert main(["search", "a rocket", "--json", *store]) == 0
    assert capsys.readouterr().out == ""
    assert main(["search", "a rocket", *store]) == 0
    assert "no hits above the relevance cut-off (--min-score 0" in capsys.readouterr().out
    assert main(["search", "a rocket", "--json", "--min-score", "0", "--limit", "4", *store]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4
    assert main(["rag", "a rocket", "--json", *store]) == 0
    assert {i["kind"] for i in json.loads(capsys.readouterr().out)["items"]} == {"text"}
    assert main(["rag", "a rocket", "--json", "--min-score", "0", *store]) == 0
    assert "image" in {i["kind"] for i in json.loads(capsys.readouterr().out)["items"]}
    assert main(["rag", "a rocket", "--json", "--min-score", str(STRICT), *store]) == 0
    assert json.loads(capsys.readouterr().out)["items"] == []


def test_http_min_score(strict_model, assets, docs):
    pytest.importorskip("fastapi", reason="the server needs the serve extra")
    from fastapi.testclient import TestClient

    from mmretrieval.server import ServerSettings, create_app

    with Index.open(path=":memory:", model=strict_model) as index:
        index.add_images(assets, show_progress_bar=False)
        index.add_texts(docs, size=40, overlap=8, show_progress_bar=False)
        api = TestClient(create_app(index, ServerSettings()))
        assert api.get("/api/health").json()["min_score"] == STRICT
        default = api.get("/api/search", params={"q": "a rocket"}).json()
        assert default["hits"] == [] and default["min_score"] == STRICT
        off = api.get("/api/search", params={"q": "a rocket", "min_score": 0, "limit": 3}).json()
        assert len(off["hits"]) == 3 and off["min_score"] == 0
        assert api.get("/api/search", params={"q": "a rocket", "min_score": 5}).status_code == 422
        with (assets / "cat.jpg").open("rb") as photo:  # search by image: the text cut-off does not apply
            assert len(api.post("/api/search/image", files={"file": ("cat.jpg", photo)}).json()["hits"]) == 5
        rag = api.post("/api/rag", json={"question": "a rocket", "generate": False}).json()
        assert {i["kind"] for i in rag["items"]} == {"text"}
        rag = api.post("/api/rag", json={"question": "a rocket", "generate": False, "min_score": 0}).json()
        assert "image" in {i["kind"] for i in rag["items"]}


def test_training_drops_the_calibrated_values(tiny_model_config, caption_pairs_csv, tmp_path):
    from mmretrieval.train.data import load_pairs
    from mmretrieval.train.loop import TrainConfig, train

    config = dataclasses.replace(tiny_model_config, min_score=0.5, duplicate_threshold=0.9)
    model = MMRetrievalModel(config, device="cpu")
    pairs = load_pairs(caption_pairs_csv)
    train(model, pairs, pairs, TrainConfig(epochs=1, batch_size=4, seed=1), out_dir=tmp_path / "run",
          cache_root=tmp_path / "cache", show_progress_bar=False)
    trained = load_model(str(tmp_path / "run" / "best")).config
    assert (trained.min_score, trained.duplicate_threshold) == (None, None)  # new weights: not calibrated
