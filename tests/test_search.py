"""The one search path (mmretrieval.search): coarse-to-fine prefetch, fusion of rankings, the query rule."""

from types import SimpleNamespace

import numpy as np
import pytest
import torch

from mmretrieval.search import check_query, search, vector_query
from mmretrieval.store import IMAGE, SMALL, TEXT, Point, VectorStore, point_id
from mmretrieval.store import payload as P

DIM, SMALL_DIM, N = 32, 8, 400


def _unit(x):
    return x / np.linalg.norm(x, axis=-1, keepdims=True)


def _prefix(x, dim):
    x = torch.as_tensor(x)[:, :dim]
    return x / x.norm(dim=-1, keepdim=True)


MODEL = SimpleNamespace(config=SimpleNamespace(min_score=None, ocr_floor=None), matryoshka_prefix=_prefix)


def _store(vectors, smalls, kind=P.KIND_IMAGE, name=IMAGE, store=None):
    store = store or VectorStore(":memory:")
    if not store.exists():
        store.ensure_collection("test", DIM, SMALL_DIM)
    store.upsert([Point(point_id(kind, str(i)), {name: v, SMALL: s}, {P.KIND: kind, P.PATH: f"/{kind}/{i}"})
                  for i, (v, s) in enumerate(zip(vectors, smalls))])
    return store


def test_coarse_to_fine_prefetch_is_applied_past_its_candidate_pool():
    rng = np.random.default_rng(0)
    energy = np.exp(-np.arange(DIM) / 4.0).astype(np.float32)  # Matryoshka-like: the prefix holds most of it
    vectors = _unit(rng.normal(size=(N, DIM)).astype(np.float32) * energy)
    queries = _unit(vectors[:20] + 0.1 * rng.normal(size=(20, DIM)).astype(np.float32) * energy)
    good = _store(vectors, _prefix(vectors, SMALL_DIM).numpy())  # the prefixes the model would store
    scrambled = _store(vectors, _unit(rng.normal(size=(N, SMALL_DIM)).astype(np.float32)))  # unrelated small vectors
    same_good = same_scrambled = 0
    for q in queries:
        full = [h.id for h in search(good, MODEL, vector_query(q), limit=5)]
        same_good += [h.id for h in search(good, MODEL, vector_query(q), limit=5, dim=SMALL_DIM)] == full
        same_scrambled += [h.id for h in search(scrambled, MODEL, vector_query(q), limit=5, dim=SMALL_DIM)] == full
    # the prefetch keeps 100 of 400 candidates: good prefixes keep the full top 5 almost always, unrelated
    # ones lose it (so the coarse vector really decides which candidates are reranked)
    assert same_good >= 16 and same_scrambled <= 4, (same_good, same_scrambled)


def test_image_and_text_rankings_are_fused_not_compared_by_raw_cosine():
    rng = np.random.default_rng(1)
    q = _unit(rng.normal(size=DIM).astype(np.float32))
    noise = _unit(rng.normal(size=(60, DIM)).astype(np.float32))
    images = _unit(0.3 * q + noise)  # photos meet the query at low cosines, one far above the rest
    images[0] = _unit(0.9 * q + 0.1 * noise[0])
    texts = _unit(2.0 * q + noise)  # passages at high cosines, all alike
    store = _store(images, _prefix(images, SMALL_DIM).numpy())
    _store(texts, _prefix(texts, SMALL_DIM).numpy(), kind=P.KIND_TEXT, name=TEXT, store=store)
    hits = search(store, MODEL, vector_query(q), limit=5, kinds=(IMAGE, TEXT))
    assert hits[0].path == "/image/0"  # raw cosine would put every passage first
    assert all(h.explanation and h.score_kind == "fused" for h in hits)
    assert [e["list"] for e in hits[0].explanation] == [IMAGE]
    single = search(store, MODEL, vector_query(q), limit=5, kinds=(TEXT,))
    assert all(h.explanation is None and h.score_kind == "cosine" and h.kind == "text" for h in single)


@pytest.mark.parametrize("bad", ["", "   ", "\x00", "\x00\x00 \x07", "\t\n"])
def test_blank_or_control_only_queries_are_refused(bad):
    with pytest.raises(ValueError, match="empty"):
        check_query(bad)


def test_control_characters_are_stripped_like_whitespace():
    assert check_query("\x00a dog\x1f on a beach\x7f ") == "a dog  on a beach"
    assert check_query("tab\tand\nnewline") == "tab\tand\nnewline"  # (text whitespace stays)
