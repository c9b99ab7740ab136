"""Bank-conditioned photo ranking (query_bank, indexing.hubness, search.conditioning): nothing changes without a
bank; hubness stored at index time and backfilled from stored vectors; a bank change is recomputed, never
mixed; one ranking across Index.search, rag, the HTTP API and the evaluator; both embedded engines."""

import copy
import shutil

import numpy as np
import pytest

from mmretrieval.indexing import Index
from mmretrieval.indexing.hubness import RECORD_KEY, backfill, recorded_bank
from mmretrieval.query_bank import QueryBank, build_bank, load_bank
from mmretrieval.search.conditioning import conditioned_scores
from mmretrieval.store import IMAGE
from mmretrieval.store import payload as P

QUERY = "a photo of something"


def _engine(engine: str) -> str:
    if engine == "edge":
        pytest.importorskip("qdrant_edge", reason="engine 'edge' needs qdrant-edge-py (the edge extra)")
    return engine


def _with_bank(model, bank):
    banked = copy.copy(model)  # (shares the towers; the session's tiny_model keeps no bank)
    banked.bank = bank
    return banked


def _photos(index):
    return {r.payload[P.PATH].rsplit("/", 1)[-1]: r for r in index.store.scroll({P.KIND: P.KIND_IMAGE}, True)}


def _hub_bank(index, name: str, weight: float = 1.0) -> QueryBank:
    """A bank made of one stored photo's own vector: that photo is the hub (hubness 1), demoted by weight 1."""
    return QueryBank(np.asarray(_photos(index)[name].vector[IMAGE])[None, :], k=1, weight=weight, source="test")


@pytest.fixture(scope="module")
def photos(assets, tmp_path_factory):
    folder = tmp_path_factory.mktemp("photos")
    for path in assets.glob("*.jpg"):
        shutil.copy(path, folder / path.name)
    return folder


def test_bank_hubness_ids_and_file_round_trip(tiny_model, tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.normal(size=(40, 32)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    bank = QueryBank(vectors, k=5, weight=0.5)
    images = vectors[:7] + 0.1
    sims = images @ bank.vectors.astype(np.float32).T
    assert np.allclose(bank.hubness(images), np.sort(sims, axis=1)[:, -5:].mean(1), atol=1e-6)
    assert QueryBank(vectors, k=5, weight=1.0).id == bank.id  # the weight scores; the stored hubness is the same
    assert QueryBank(vectors, k=6).id != bank.id and QueryBank(vectors[1:], k=5).id != bank.id
    bank.save(tmp_path)
    again = load_bank(tmp_path)
    assert again.id == bank.id and (again.k, again.weight) == (5, 0.5) and again.vectors.dtype == np.float16
    with pytest.raises(ValueError, match="k=50 must be in 1..40"):
        QueryBank(vectors, k=50)
    with pytest.raises(ValueError, match="another model"):
        bank.hubness(np.ones((1, 16)))
    built = build_bank(tiny_model, ["a dog", "a dog", " ", "a cat", "a car"], k=2, show_progress_bar=False)
    assert built.vectors.shape == (3, 32)  # blanks and repeats dropped
    with pytest.raises(ValueError, match="at least k=5 distinct texts"):
        build_bank(tiny_model, ["a dog", "a cat"], k=5)


def test_a_model_saved_with_a_bank_loads_with_it(tiny_model, tmp_path):
    from mmretrieval import load_model

    assert tiny_model.identity().to_dict().get("bank") is None
    bank = build_bank(tiny_model, [f"photo number {i}" for i in range(12)], k=3, show_progress_bar=False)
    _with_bank(tiny_model, bank).save(tmp_path / "banked")
    loaded = load_model(str(tmp_path / "banked"), device="cpu")
    assert loaded.bank.id == bank.id and loaded.identity().bank == bank.id
    assert loaded.identity().digest == tiny_model.identity().digest  # the bank makes no vector


def test_without_a_bank_search_is_plain_cosine(tiny_model, photos):
    with Index.open(path=":memory:", model=tiny_model) as index:
        index.add_images(photos, show_progress_bar=False)
        on, off = index.search(QUERY, limit=5, min_score=0), index.search(QUERY, limit=5, min_score=0, condition=False)
        assert [(h.id, h.score) for h in on] == [(h.id, h.score) for h in off]
        assert all(h.score_kind == "cosine" and h.explanation is None for h in on)
        assert all(P.HUBNESS not in r.payload for r in _photos(index).values())
        assert recorded_bank(index.store) is None


@pytest.mark.parametrize("engine", ["client", "edge"])
def test_hubness_stored_at_index_time_and_used_by_search(tiny_model, photos, tmp_path, engine):
    bank = build_bank(tiny_model, [f"a photo of thing {i}" for i in range(30)], k=4, weight=1.0,
                      show_progress_bar=False)
    model = _with_bank(tiny_model, bank)
    with Index.open(path=str(tmp_path / "store"), model=model, engine=_engine(engine)) as index:
        index.add_images(photos, show_progress_bar=False)
        stored = _photos(index)
        vectors = np.stack([r.vector[IMAGE] for r in stored.values()])
        assert [r.payload[P.HUBNESS_BANK] for r in stored.values()] == [bank.id] * len(stored)
        assert np.allclose([r.payload[P.HUBNESS] for r in stored.values()], bank.hubness(vectors), atol=1e-5)
        assert recorded_bank(index.store)["bank"] == bank.id
        hits = index.search(QUERY, limit=5, min_score=0)
        q = model.image_queries([QUERY], model.encode_text([QUERY]))[0]
        want = conditioned_scores(vectors @ q, bank.hubness(vectors), bank.weight)
        names = list(stored)
        assert [h.path.rsplit("/", 1)[-1] for h in hits] == [names[i] for i in np.argsort(-want, kind="stable")]
        assert all(h.score_kind == "conditioned" for h in hits)
        for hit in hits:
            (entry,) = hit.explanation
            assert entry["cosine"] == pytest.approx(hit.cosine, abs=1e-5)
            assert hit.score == pytest.approx(entry["cosine"] - entry["weight"] * entry["hubness"], abs=1e-5)
            assert entry["correction"] == pytest.approx(hit.score - hit.cosine, abs=1e-5)


def test_backfill_reads_no_image_and_a_bank_change_is_recomputed_not_mixed(tiny_model, photos, tmp_path, monkeypatch):
    folder = tmp_path / "photos"
    shutil.copytree(photos, folder)
    with Index.open(path=":memory:", model=tiny_model) as index:  # indexed before the model had a bank
        index.add_images(folder, show_progress_bar=False)
        first = _hub_bank(index, "cat.jpg")
        shutil.rmtree(folder)  # the photos are gone: the backfill can only use the stored vectors
        import mmretrieval.images as images

        monkeypatch.setattr(images, "load_image", lambda *a, **k: pytest.fail("backfill read an image"))
        assert backfill(index.store, first) == 5 and backfill(index.store, first) == 0
        assert {r.payload[P.HUBNESS_BANK] for r in _photos(index).values()} == {first.id}
        assert _photos(index)["cat.jpg"].payload[P.HUBNESS] == pytest.approx(1.0, abs=1e-3)

        second = _hub_bank(index, "rocket.jpg")  # another bank: search recomputes, it never reads `first`'s values
        hits = Index(index.store, _with_bank(tiny_model, second)).search(QUERY, limit=5, min_score=0)
        hub = {h.path.rsplit("/", 1)[-1]: h.explanation[0]["hubness"] for h in hits}
        assert hub["rocket.jpg"] == pytest.approx(1.0, abs=1e-3) and hub["cat.jpg"] < 0.999
        assert recorded_bank(index.store)["bank"] == first.id  # (searching writes nothing)
        monkeypatch.undo()
    with Index.open(path=":memory:", model=tiny_model) as index:  # writing with a new bank recomputes every photo
        index.add_images(photos / "cat.jpg", show_progress_bar=False)
        old = _hub_bank(index, "cat.jpg")
        backfill(index.store, old)
        new = _hub_bank(index, "cat.jpg", weight=0.5)
        new = QueryBank(np.vstack([new.vectors, -new.vectors]), k=1, weight=0.5)
        Index(index.store, _with_bank(tiny_model, new)).add_images(photos, show_progress_bar=False)
        assert {r.payload[P.HUBNESS_BANK] for r in _photos(index).values()} == {new.id}
        assert index.store.backend.read_record(RECORD_KEY)["bank"] == new.id


def test_one_conditioned_ranking_in_search_rag_http_and_the_evaluator(tiny_model, photos):
    from mmretrieval.evaluation.metrics import retrieval
    from mmretrieval.rag.retrieve import retrieve

    with Index.open(path=":memory:", model=tiny_model) as plain:
        plain.add_images(photos, show_progress_bar=False)
        raw_first = plain.search(QUERY, limit=1, min_score=0)[0].path.rsplit("/", 1)[-1]
        bank = _hub_bank(plain, raw_first)  # the photo plain cosine ranks first is the hub
        index = Index(plain.store, _with_bank(tiny_model, bank))
        searched = [h.path.rsplit("/", 1)[-1] for h in index.search(QUERY, limit=5, min_score=0)]
        assert searched[0] != raw_first  # the hub is demoted (so this test can tell the two rankings apart)
        bundle = retrieve(index, QUERY, limit=5, max_images=5, min_score=0)
        assert [item.path.rsplit("/", 1)[-1] for item in bundle.items if item.kind == "image"] == searched

        pytest.importorskip("fastapi", reason="the server needs the serve extra")
        from fastapi.testclient import TestClient

        from mmretrieval.server import ServerSettings, create_app

        api = TestClient(create_app(index, ServerSettings()))
        body = api.get("/api/search", params={"q": QUERY, "limit": 5, "min_score": 0}).json()
        assert [h["name"] for h in body["hits"]] == searched and body["hits"][0]["score_kind"] == "conditioned"
        off = api.get("/api/search", params={"q": QUERY, "limit": 5, "min_score": 0, "condition": "false"}).json()
        assert off["hits"][0]["name"] == raw_first

        stored = _photos(index)
        names = list(stored)
        image_emb = np.stack([r.vector[IMAGE] for r in stored.values()])
        text_emb = tiny_model.encode_text([QUERY] * len(names))
        for rank, name in enumerate(searched[:1], 1):  # the evaluator finds search's first photo at rank 1
            positives = [[names.index(name)]] * len(names)
            metrics = retrieval.evaluate(image_emb, text_emb, positives, directions=("text_to_image",), bank=bank)
            assert metrics["text_to_image_R@1"] == 100.0 and metrics["cosine/text_to_image_R@1"] == 0.0


@pytest.mark.parametrize("engine", ["client", "edge"])
def test_the_evaluator_ranks_the_candidate_pool_search_ranks(tmp_path, engine):
    """The evaluator's scores (``ranked_scores``) order photos as search does: the best ``depth(limit)`` by
    cosine re-scored, every other photo after them; re-scoring all photos ranks differently here."""
    from types import SimpleNamespace

    from mmretrieval.indexing.hubness import stamp
    from mmretrieval.search.conditioning import PAYLOAD, ranked_scores
    from mmretrieval.search.query import vector_query
    from mmretrieval.search.score import search
    from mmretrieval.store import Point, VectorStore, point_id

    rng = np.random.default_rng(0)
    unit = lambda a: (a / np.linalg.norm(a, axis=1, keepdims=True)).astype(np.float32)  # noqa: E731
    photos, queries = unit(rng.normal(size=(300, 16))), unit(rng.normal(size=(20, 16)))
    bank = QueryBank(unit(rng.normal(size=(40, 16))), k=3, weight=2.0, source="test")
    store = VectorStore(path=str(tmp_path / "store"), collection="pool", engine=_engine(engine))
    store.ensure_collection("pool", 16, 16)
    points = [Point(point_id("pool", str(i)), {IMAGE: v}, {P.KIND: P.KIND_IMAGE}) for i, v in enumerate(photos)]
    stamp(store, SimpleNamespace(bank=bank), points)
    store.upsert(points)
    rows = {p.id: i for i, p in enumerate(points)}
    hubness, cosines = bank.hubness(photos), queries @ photos.T
    ranked = ranked_scores(cosines, hubness, bank.weight, limit=10)
    model = SimpleNamespace(config=None, bank=bank)
    for q, vector in enumerate(queries):
        hits = search(store, model, vector_query(vector, text=QUERY), limit=10, min_score=0)
        assert [rows[h.id] for h in hits] == list(np.argsort(-ranked[q])[:10])
        assert all(h.payload[P.KIND] == P.KIND_IMAGE for h in hits)  # whole payloads read back for the hits
    pool = store.query(queries[0], limit=50, payload=PAYLOAD)  # the pool carries the hubness fields alone
    assert len(pool) == 50 and all(set(p.payload) == set(PAYLOAD) for p in pool)
    everything = np.argsort(-conditioned_scores(cosines, hubness, bank.weight), axis=1)[:, :10]
    assert (everything != np.argsort(-ranked, axis=1)[:, :10]).any()
    store.close()
