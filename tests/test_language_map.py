"""Query maps: fitted on parallel captions, applied to a query by its detected language, images and text untouched."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmretrieval import MMRetrievalModel, load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.evaluation.features import encode_texts
from mmretrieval.evaluation.metrics import retrieval
from mmretrieval.evaluation.tasks import text_queries
from mmretrieval.identity import model_fingerprint
from mmretrieval.indexing import Index
from mmretrieval.languages.maps import QueryMaps, detect_languages, fit_query_map, fit_query_maps
from mmretrieval.store import VectorStore

GERMAN = "eine Katze schläft auf dem Sofa neben dem Fenster"
ENGLISH = "a cup of coffee on a table in the kitchen"


def _parallel(n=300, dim=16, seed=0):
    """English vectors and 'German' ones: the same content seen through a fixed distortion plus noise."""
    generator = torch.Generator().manual_seed(seed)
    english = F.normalize(torch.randn(n, dim, generator=generator), dim=-1)
    distortion = torch.eye(dim) + 1.5 * torch.randn(dim, dim, generator=generator) / dim**0.5
    german = F.normalize(english @ distortion + 0.2 * torch.randn(n, dim, generator=generator), dim=-1)
    return english, german


def _top1(queries, targets):
    return ((queries @ targets.T).argmax(1) == torch.arange(len(queries))).float().mean().item()


def test_a_map_fitted_on_some_pairs_finds_the_translations_of_others():
    english, german = _parallel()
    matrix = fit_query_map(german[:200], english[:200], steps=300, lr=1e-2)
    before, after = _top1(german[200:], english[200:]), _top1(F.normalize(german[200:] @ matrix, dim=-1), english[200:])
    assert before < 0.5 and after > 0.9, (before, after)  # (measured: 0.44 -> 0.94)
    assert torch.equal(matrix, fit_query_map(german[:200], english[:200], steps=300, lr=1e-2))  # deterministic


def test_one_map_per_other_language_toward_the_group_reference():
    english, german = _parallel(n=20)
    maps = fit_query_maps(torch.cat([english, german, german]), ["en"] * 20 + ["de"] * 20 + ["fr"] * 20,
                          [*range(20)] * 3, steps=5)
    assert sorted(maps) == ["de", "fr"] and maps["de"].shape == (16, 16)
    with pytest.raises(ValueError, match="'en' captions"):
        fit_query_maps(german, ["de"] * 20, range(20))
    with pytest.raises(ValueError, match="nothing to map"):
        fit_query_maps(english, ["en"] * 20, range(20))
    with pytest.raises(ValueError, match="one of each"):
        fit_query_maps(english, ["en"] * 19, range(20))
    with pytest.raises(ValueError, match="two or more"):
        fit_query_maps(english[:2], ["en", "de"], [0, 0])


def test_queries_are_mapped_by_their_language_only_when_it_is_clear():
    assert detect_languages([GERMAN])[0][0] == "de" and detect_languages([ENGLISH])[0][0] == "en"
    dim = 8
    maps = QueryMaps({"de": torch.eye(dim).roll(1, dims=0)})
    vectors = F.normalize(torch.randn(3, dim, generator=torch.Generator().manual_seed(0)), dim=-1)
    mapped = maps.apply(vectors, [GERMAN, ENGLISH, "Hund"])  # ("Hund" alone is too short to tell)
    torch.testing.assert_close(mapped[0], vectors[0].roll(-1))
    assert torch.equal(mapped[1:], vectors[1:])
    assert maps.state_dict().keys() == {"query_maps.de"}


def test_a_kept_direction_keeps_the_query_s_cosine_with_it_and_the_ranking():
    """Images that all share one cosine with ``keep`` (a raw-space model's caption mean) rank the same."""
    generator = torch.Generator().manual_seed(0)
    keep = F.normalize(torch.randn(8, generator=generator), dim=-1)
    rest = F.normalize(torch.randn(50, 8, generator=generator) @ (torch.eye(8) - torch.outer(keep, keep)), dim=-1)
    images = 0.5 * keep + 0.75**0.5 * rest
    matrix = torch.eye(8) + 0.5 * torch.randn(8, 8, generator=generator)
    query = F.normalize(torch.randn(1, 8, generator=generator), dim=-1)
    plain = QueryMaps({"de": matrix}).apply(query, [GERMAN])
    kept = QueryMaps({"de": matrix}, keep=keep).apply(query, [GERMAN])
    assert float(kept[0] @ keep) == pytest.approx(float(query[0] @ keep), abs=1e-6)
    assert float(kept.norm()) == pytest.approx(1.0, abs=1e-6)
    assert torch.equal((images @ plain[0]).argsort(), (images @ kept[0]).argsort())


@pytest.fixture
def mapped_model(tiny_model, tiny_model_config):
    """The tiny model with a German query map that reverses a query's coordinates."""
    model = MMRetrievalModel(tiny_model_config, device="cpu")
    model.load_trainable_state_dict(tiny_model.trainable_state_dict())
    model.set_query_maps({"de": torch.eye(tiny_model.embed_dim).flip(0)})
    return model


def test_saved_maps_come_back_and_leave_the_model_s_vectors_and_fingerprint(mapped_model, tiny_model, tmp_path, assets):
    loaded = load_model(str(mapped_model.save(tmp_path / "m")), device="cpu")
    assert loaded.query_maps.maps.keys() == {"de"}
    assert model_fingerprint(loaded) == model_fingerprint(tiny_model)  # its collections accept it
    texts = [GERMAN, ENGLISH]
    np.testing.assert_array_equal(loaded.encode_text(texts), tiny_model.encode_text(texts))
    photos = sorted(assets.glob("*.jpg"))[:2]
    np.testing.assert_allclose(loaded.encode_image(photos), tiny_model.encode_image(photos), atol=1e-6)
    vectors = loaded.encode_text(texts)
    image_queries = loaded.image_queries(texts, vectors)
    np.testing.assert_allclose(image_queries[0], vectors[0][::-1], atol=1e-6)
    np.testing.assert_array_equal(image_queries[1], vectors[1])
    np.testing.assert_array_equal(tiny_model.image_queries(texts, vectors), vectors)  # no maps: as they are


def test_search_ranks_images_by_the_mapped_query_and_texts_by_the_text_model_s(mapped_model, assets, tmp_path):
    note = tmp_path / "note.txt"
    note.write_text("ein Hund im Garten")
    with Index(VectorStore(":memory:"), mapped_model) as index:
        index.add_images([assets], show_progress_bar=False)
        index.add_texts([note], show_progress_bar=False)
        hits = index.search(text=GERMAN, kinds=("image", "text"), limit=20, min_score=-1)
    assert {hit.kind for hit in hits} == {"image", "text"}
    query = mapped_model.encode_text(GERMAN, task="retrieval.query")
    images = {p.name: v for p, v in zip(sorted(assets.glob("*.jpg")),
                                        mapped_model.encode_image(sorted(assets.glob("*.jpg"))))}
    for hit in hits:
        if hit.kind == "image":
            want = float(images[hit.payload["path"].rsplit("/", 1)[-1]] @ query[::-1])
        else:
            want = float(mapped_model.encode_text("ein Hund im Garten", task="retrieval.passage") @ query)
        assert hit.explanation[0]["cosine"] == pytest.approx(want, abs=1e-4)  # (its own ranking's cosine; fused)


def test_the_server_and_rag_rank_images_as_search_does(mapped_model, assets, tmp_path):
    pytest.importorskip("fastapi", reason="the server needs the serve extra: pip install -e '.[serve]'")
    from fastapi.testclient import TestClient

    from mmretrieval.rag import retrieve
    from mmretrieval.server import ServerSettings, create_app

    note = tmp_path / "note.txt"
    note.write_text("ein Hund im Garten")
    with Index(VectorStore(":memory:"), mapped_model) as index:
        index.add_images([assets], show_progress_bar=False)
        index.add_texts([note], show_progress_bar=False)
        want = {hit.id: hit.score for hit in index.search(text=GERMAN, kinds=("image", "text"), limit=20, min_score=-1)}
        api = TestClient(create_app(index, ServerSettings()))
        served = api.get("/api/search", params={"q": GERMAN, "kinds": "image,text", "limit": 20, "min_score": -1}).json()
        bundle = retrieve(index, GERMAN, limit=10, max_images=10, min_score=-1)
    assert {h["id"]: pytest.approx(h["score"], abs=1e-5) for h in served["hits"]} == want
    assert {item.id: pytest.approx(item.score, abs=1e-5) for item in bundle.items} == {i.id: want[i.id] for i in bundle.items}
    assert len(bundle.items) == len(want)  # (every point: the same fused scores, one search behind all three)


def test_retrieval_scores_text_to_image_with_the_image_queries():
    image = np.eye(3, dtype=np.float32)
    text = np.eye(3, dtype=np.float32)
    swapped = text[[1, 0, 2]]
    found = retrieval.evaluate(image, text, [[0], [1], [2]], ks=(1,), query_emb=swapped)
    assert found["text_to_image_R@1"] == pytest.approx(100 / 3, abs=0.01)  # the queries' own ranking
    assert found["image_to_text_R@1"] == 100.0  # the texts' vectors


def test_cli_writes_a_model_that_carries_the_maps(tiny_model, tmp_path, capsys):
    model_dir = tiny_model.save(tmp_path / "model")
    tsv = tmp_path / "captions.tsv"
    rows = [("a.jpg", "en", "a dog on the grass"), ("a.jpg", "de", "ein Hund auf dem Gras"),
            ("b.jpg", "en", "two children at the beach"), ("b.jpg", "de", "zwei Kinder am Strand")]
    tsv.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows))
    out = tmp_path / "multilingual"
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(out), "--steps", "3", "--no-progress"]) == 0
    assert "query maps for de fitted on 4 captions" in capsys.readouterr().out
    model = load_model(str(out), device="cpu")
    assert model.query_maps.languages == ["de"] and model.config.name == "tiny"
    assert model.config.description.endswith("queries in de mapped for image search")
    assert model_fingerprint(model) == model_fingerprint(tiny_model)
    tsv.write_text("image\tlang\tcaption\n" + "".join("\t".join(r) + "\n" for r in rows if r[1] == "de"))
    assert cli(["language-map", str(model_dir), str(tsv), "--out", str(tmp_path / "x"), "--no-progress"]) == 2
    assert "'en' captions" in capsys.readouterr().err


def test_the_evaluator_ranks_images_by_the_image_queries_as_search_does(mapped_model, tiny_model):
    out = text_queries(mapped_model, [GERMAN, ENGLISH], "retrieval.query", encode_texts)
    np.testing.assert_allclose(out["query"][0], out["text"][0][::-1], atol=1e-6)
    np.testing.assert_array_equal(out["query"][1], out["text"][1])
    assert "query" not in text_queries(tiny_model, [GERMAN], "retrieval.query", encode_texts)
