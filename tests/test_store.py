"""VectorStore on both engines: schema, model-mismatch refusal, filters, coarse-to-fine prefetch,
persistence, the embedded lock, and parity between engines (same hits, same scores)."""

import numpy as np
import pytest

from mmretrieval.store import IMAGE, SMALL, TEXT, ModelMismatchError, Point, StoreLockedError, VectorStore, point_id
from mmretrieval.store.backends import ENGINES


def _available(engine: str) -> str:
    if engine == "edge":
        pytest.importorskip("qdrant_edge", reason="engine 'edge' needs qdrant-edge-py (the edge extra)")
    return engine


@pytest.fixture(params=ENGINES)
def engine(request):
    return _available(request.param)


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _points(vectors, small_dim, **payload):
    return [
        Point(point_id(str(i)), {IMAGE: v, SMALL: _unit(v[:small_dim])}, {"kind": "image", "n": i, **payload})
        for i, v in enumerate(vectors)
    ]


def test_schema_and_model_mismatch_refused(tmp_path, engine):
    store = VectorStore(path=tmp_path / "q", engine=engine)
    info = store.ensure_collection("model-a", 8, 4, fingerprint="abc")
    assert store.ensure_collection("model-a", 8, 4, fingerprint="abc") == info
    # the engine itself holds the schema: right sizes go in, a wrong size is refused below the facade
    store.backend.upsert([Point(point_id("ok"), {IMAGE: np.ones(8, np.float32), TEXT: np.ones(8, np.float32),
                                                 SMALL: np.ones(4, np.float32)}, {"kind": "image"})])
    for name, size in ((IMAGE, 4), (TEXT, 4), (SMALL, 8)):
        with pytest.raises(Exception):
            store.backend.upsert([Point(point_id("bad"), {name: np.ones(size, np.float32)}, {"kind": "image"})])
    for other in [("model-b", 8, 4, "abc"), ("model-a", 16, 4, "abc"), ("model-a", 8, 2, "abc"), ("model-a", 8, 4, "xyz")]:
        with pytest.raises(ModelMismatchError, match="not comparable"):
            store.ensure_collection(*other)
    with pytest.raises(ModelMismatchError, match="wants 8-d"):
        store.upsert([Point(point_id("x"), {IMAGE: np.ones(5)}, {"kind": "image"})])
    store.close()
    reopened = VectorStore(path=tmp_path / "q", engine=engine)  # the model record survives on disk
    with pytest.raises(ModelMismatchError, match="model-a"):
        reopened.ensure_collection("model-b", 8, 4)
    reopened.close()


def test_second_process_gets_a_clear_lock_error(tmp_path, engine):
    store = VectorStore(path=tmp_path / "q", engine=engine)
    with pytest.raises(StoreLockedError, match=r"open in another process.*\.lock"):
        VectorStore(path=tmp_path / "q", engine=engine)
    store.close()
    VectorStore(path=tmp_path / "q", engine=engine).close()  # released on close


def test_copy_between_engines_in_one_folder(tmp_path):
    """The engines keep separate files (and locks) in one store folder: copy a collection across in place."""
    client, queries, small = _mixed_store("client", str(tmp_path / "q"))
    with VectorStore(str(tmp_path / "q"), engine=_available("edge")) as edge:
        assert not edge.exists()
        assert client.copy_to(edge, batch_size=64) == client.count() == edge.count() == 340
        assert edge.info() == client.info()
        for kw in (dict(), dict(prefetch_dim=small, filter={"kind": "image"})):
            a, b = client.query(queries[0], **kw), edge.query(queries[0], **kw)
            assert [(str(h.id), h.payload) for h in a] == [(str(h.id), h.payload) for h in b]
        with pytest.raises(ModelMismatchError, match="'m'"):  # the model record came along
            edge.ensure_collection("other", 32, 8)
    client.close()


def test_filters_and_text_points_share_the_collection(engine):
    rng = np.random.default_rng(0)
    store = VectorStore(":memory:", engine=engine)
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


def test_matryoshka_prefetch_finds_the_same_top_hits_as_full_search(engine):
    rng = np.random.default_rng(1)
    dim, small = 64, 16
    # Matryoshka-like vectors: most of the signal sits in the leading dims
    base = _unit(rng.normal(size=(500, dim)) / np.sqrt(np.arange(1, dim + 1)))
    store = VectorStore(":memory:", engine=engine)
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


def _mixed_store(engine, path):
    """300 image points (some captioned) and 40 text points, with a numeric payload field."""
    rng = np.random.default_rng(3)
    dim, small = 32, 8
    decay = np.sqrt(np.arange(1, dim + 1))
    images, texts = _unit(rng.normal(size=(300, dim)) / decay), _unit(rng.normal(size=(40, dim)) / decay)
    points = _points(images, small)
    for p in points[::3]:  # captions: text vectors near the text points' (no exact ties)
        p.vectors[TEXT] = _unit(texts[p.payload["n"] % 40] + 0.2 * rng.normal(size=dim) / decay)
    points += [Point(point_id("t", str(i)), {TEXT: v, SMALL: _unit(v[:small])}, {"kind": "text", "n": 1000 + i})
               for i, v in enumerate(texts)]
    store = VectorStore(path, engine=engine)
    store.ensure_collection("m", dim, small, fingerprint="f")
    store.upsert(points)
    queries = _unit(images[:12] + 0.3 * rng.normal(size=(12, dim)) / decay)
    return store, queries, small


def test_engines_agree_on_hits_and_scores(tmp_path):
    stores = {engine: _mixed_store(_available(engine), str(tmp_path / engine)) for engine in ENGINES}
    client, queries, small = stores["client"]
    edge = stores["edge"][0]
    searches = [dict(using=IMAGE), dict(using=TEXT), dict(using=IMAGE, filter={"n": {"lt": 150}}),
                dict(using=IMAGE, prefetch_dim=small, prefetch_limit=30),
                dict(using=TEXT, prefetch_dim=small, prefetch_limit=30, filter={"kind": "image"})]
    for q in queries:
        for kw in searches:
            a, b = client.query(q, limit=10, **kw), edge.query(q, limit=10, **kw)
            assert [str(h.id) for h in a] == [str(h.id) for h in b], kw
            np.testing.assert_allclose([h.score for h in a], [h.score for h in b], atol=1e-5)
            assert [h.payload for h in a] == [h.payload for h in b]
    for flt in (None, {"kind": "text"}, {"n": [1, 2, 1001]}):
        assert client.count(flt) == edge.count(flt)
        assert ({str(r.id): r.payload for r in client.scroll(flt, batch_size=7)}
                == {str(r.id): r.payload for r in edge.scroll(flt, batch_size=7)})
    for store in (client, edge):
        store.close()


def test_writes_persist_across_reopen(tmp_path, engine):
    path = str(tmp_path / "q")
    store, queries, small = _mixed_store(engine, path)
    first, second = point_id("0"), point_id("1")
    store.set_payload(first, {"mtime": 2.5, "n": 7})
    store.delete([second])
    before = [(str(h.id), h.score) for h in store.query(queries[0], limit=5, prefetch_dim=small)]
    store.close()
    with VectorStore(path, engine=engine) as reopened:
        assert reopened.info().fingerprint == "f" and reopened.count() == 339
        assert reopened.retrieve([second]) == []
        record = reopened.retrieve([first], with_vectors=True)[0]
        assert str(record.id) == first and record.payload == {"kind": "image", "n": 7, "mtime": 2.5}
        assert set(record.vector) == {IMAGE, TEXT, SMALL} and len(record.vector[SMALL]) == small
        after = [(str(h.id), h.score) for h in reopened.query(queries[0], limit=5, prefetch_dim=small)]
        assert [i for i, _ in after] == [i for i, _ in before]
        np.testing.assert_allclose([s for _, s in after], [s for _, s in before], atol=1e-6)
        assert {str(r.id) for r in reopened.scroll({"n": 7})} == {first, point_id("7")}
        reopened.drop()
        assert not reopened.exists() and reopened.count() == 0


def test_engine_choice_is_checked(tmp_path):
    with pytest.raises(ValueError, match="unknown store engine 'rust'; use one of client, edge"):
        VectorStore(tmp_path / "q", engine="rust")
    with pytest.raises(ValueError, match="engine 'edge' is embedded"):
        VectorStore(url="http://localhost:6333", engine="edge")


def test_engines_and_facade_share_one_contract():
    """(That the engines import only the contract is checked on the import graph: test_import_cycles.py.)"""
    from mmretrieval.store.backends import base, open_backend

    assert Point is base.Point and ModelMismatchError is base.ModelMismatchError
    backend = open_backend("client", path=":memory:", collection="c")
    try:
        assert isinstance(backend, base.Backend)
        missing = [name for name in ("exists", "read_record", "create", "drop", "upsert", "delete", "set_payload",
                                     "retrieve", "scroll", "count", "query", "close") if not callable(getattr(backend, name))]
        assert not missing
    finally:
        backend.close()


def test_index_open_takes_the_engine(tmp_path, engine):
    from mmretrieval.indexing import Index

    with Index.open(path=tmp_path / "q", engine=engine) as index:
        assert index.store.engine == engine
