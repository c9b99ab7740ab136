"""VectorStore: schema, model-mismatch refusal, filters, coarse-to-fine prefetch, the embedded lock."""

import numpy as np
import pytest

from mmretrieval.store import IMAGE, SMALL, TEXT, ModelMismatchError, Point, StoreLockedError, VectorStore, point_id


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _points(vectors, small_dim, **payload):
    return [
        Point(point_id(str(i)), {IMAGE: v, SMALL: _unit(v[:small_dim])}, {"kind": "image", "n": i, **payload})
        for i, v in enumerate(vectors)
    ]


def test_schema_and_model_mismatch_refused(tmp_path):
    store = VectorStore(path=tmp_path / "q")
    info = store.ensure_collection("model-a", 8, 4, fingerprint="abc")
    assert store.ensure_collection("model-a", 8, 4, fingerprint="abc") == info
    vectors = store.client.get_collection(store.collection).config.params.vectors
    assert {name: v.size for name, v in vectors.items()} == {IMAGE: 8, TEXT: 8, SMALL: 4}
    for other in [("model-b", 8, 4, "abc"), ("model-a", 16, 4, "abc"), ("model-a", 8, 2, "abc"), ("model-a", 8, 4, "xyz")]:
        with pytest.raises(ModelMismatchError, match="not comparable"):
            store.ensure_collection(*other)
    with pytest.raises(ModelMismatchError, match="wants 8-d"):
        store.upsert([Point(point_id("x"), {IMAGE: np.ones(5)}, {"kind": "image"})])
    store.close()
    reopened = VectorStore(path=tmp_path / "q")  # the model record survives on disk
    with pytest.raises(ModelMismatchError, match="model-a"):
        reopened.ensure_collection("model-b", 8, 4)
    reopened.close()


def test_second_process_gets_a_clear_lock_error(tmp_path):
    store = VectorStore(path=tmp_path / "q")
    with pytest.raises(StoreLockedError, match=r"open in another process.*\.lock"):
        VectorStore(path=tmp_path / "q")
    store.close()


def test_filters_and_text_points_share_the_collection():
    rng = np.random.default_rng(0)
    store = VectorStore(":memory:")
    store.ensure_collection("m", 8, 4)
    images = _unit(rng.normal(size=(6, 8)))
    points = _points(images, 4)
    for p in points:
        p.payload["width"] = 100 * p.payload["n"]
    text = _unit(rng.normal(size=8))
    points.append(Point(point_id("t"), {TEXT: text, SMALL: _unit(text[:4])}, {"kind": "text", "text": "hello"}))
    store.upsert(points)
    assert store.count() == 7 and store.count({"kind": "text"}) == 1
    hits = store.query(images[0], using=IMAGE, limit=10)
    assert len(hits) == 6 and hits[0].payload["n"] == 0  # the text point has no image vector
    assert {h.payload["n"] for h in store.query(images[0], limit=10, filter={"width": {"gte": 300}})} == {3, 4, 5}
    assert {h.payload["n"] for h in store.query(images[0], limit=10, filter={"n": [1, 2]})} == {1, 2}
    assert [h.payload["text"] for h in store.query(text, using=TEXT, limit=3)] == ["hello"]
    with pytest.raises(ValueError, match="unknown range keys"):
        store.query(images[0], filter={"width": {"above": 3}})


def test_matryoshka_prefetch_finds_the_same_top_hits_as_full_search():
    rng = np.random.default_rng(1)
    dim, small = 64, 16
    # Matryoshka-like vectors: most of the signal sits in the leading dims
    base = _unit(rng.normal(size=(500, dim)) / np.sqrt(np.arange(1, dim + 1)))
    store = VectorStore(":memory:")
    store.ensure_collection("m", dim, small)
    store.upsert(_points(base, small))
    queries = _unit(base[:20] + 0.05 * rng.normal(size=(20, dim)) / np.sqrt(np.arange(1, dim + 1)))
    for q in queries:
        full = [h.id for h in store.query(q, limit=5)]
        coarse = [h.id for h in store.query(q, limit=5, prefetch_dim=small, prefetch_limit=50)]
        assert coarse == full
    with pytest.raises(ValueError, match="stores a 16-d coarse vector"):
        store.query(queries[0], prefetch_dim=8)


def test_migration_to_another_backend_keeps_the_model_record():
    """docs/SCALING.md's route from the embedded store to a server: qdrant-client's migrate."""
    source = VectorStore(":memory:")
    source.ensure_collection("model-a", 8, 4, fingerprint="abc")
    source.upsert(_points(_unit(np.random.default_rng(2).normal(size=(3, 8))), 4))
    target = VectorStore(":memory:")
    source.client.migrate(target.client, collection_names=[source.collection])
    assert target.count() == 3
    assert target.ensure_collection("model-a", 8, 4, fingerprint="abc").model == "model-a"
    with pytest.raises(ModelMismatchError):
        target.ensure_collection("model-b", 8, 4)
