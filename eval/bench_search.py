"""Search benchmarks on the embedded Qdrant store (this machine's CPU), for each engine
(``client``: qdrant-client local mode; ``edge``: qdrant-edge, Rust in-process).

(2) text-query latency, encode + search, p50/p95, with 1k and 10k image points; with a model that carries a
    query bank, also search alone ranked plain (cosine) and conditioned on the bank (docs/conditioning.md), and the
    ratio of their p50s in the same run (the points carry their hubness, as indexing stores it);
(3) 100k points: full-dim search vs 64-d Matryoshka prefetch + full rerank, latency, speed-up and
    recall@10 against exact numpy search; edge measured plain (exact brute force) and with HNSW.

Image vectors are synthetic (the store's speed does not depend on what the vectors show):
unit vectors whose variance decays over the dims like a PCA-rotated / Matryoshka-trained
embedding's, so a 64-d prefix carries most of the signal. Queries are real text encodes in (2)
and noisy copies of stored directions in (3).

    python eval/bench_search.py [--sizes 1000 10000] [--big 100000] [--queries 50] [--engines client edge]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings

import numpy as np

from mmretrieval.indexing import Index, small_dim_for
from mmretrieval.search import vector_query
from mmretrieval.store import IMAGE, SMALL, Point, VectorStore, point_id
from mmretrieval.store.backends import ENGINES

QUERIES = ["a dog running on the beach", "a child in a red shirt", "two people climbing a rock",
           "a man riding a bike", "a black cat on a sofa", "a crowd at a concert", "a boat on a lake"]


def synthetic(n: int, dim: int, rng) -> np.ndarray:
    x = rng.normal(size=(n, dim)) / np.sqrt(np.arange(1, dim + 1))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def fill(store: VectorStore, vectors: np.ndarray, small_dim: int, batch: int = 2000, model=None) -> None:
    """Image points of ``vectors``; with ``model``, each gets its hubness under the model's bank (as indexing does)."""
    from mmretrieval.indexing.hubness import stamp

    small = vectors[:, :small_dim] / np.linalg.norm(vectors[:, :small_dim], axis=1, keepdims=True)
    for start in range(0, len(vectors), batch):
        points = [Point(point_id(str(i)), {IMAGE: vectors[i], SMALL: small[i]},
                        {"kind": "image", "path": f"/photos/{i:06d}.jpg", "width": 500, "height": 375})
                  for i in range(start, min(start + batch, len(vectors)))]
        if model is not None:
            stamp(store, model, points)
        store.upsert(points)


def percentiles(times_s) -> str:
    ms = np.asarray(times_s) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms  p95 {np.percentile(ms, 95):7.1f} ms"


def query_latency(sizes, n_queries, engines, rng) -> None:
    from mmretrieval import list_pretrained, load_model

    name = "e5-small-lite0" if "e5-small-lite0" in list_pretrained() else "minilm-l6-lite0"
    model = load_model(name, pretrained=name in list_pretrained(), device="cpu")
    print(f"(2) text query = encode ({name}) + search, embedded store, {n_queries} queries")
    for engine, n in ((engine, n) for engine in engines for n in sizes):
        store = VectorStore(":memory:", engine=engine)
        index = Index(store, model)
        info = index.ensure_collection()
        fill(store, synthetic(n, info.dim, rng), info.small_dim, model=model)
        index.search(text="warm up")
        totals, encodes, searches = [], [], {True: [], False: []}
        for q in range(n_queries):
            text = f"{QUERIES[q % len(QUERIES)]} {q}"
            t0 = time.perf_counter()
            vector = model.encode_text(text, task="retrieval.query")
            t1 = time.perf_counter()
            index.search(query=vector_query(vector, text=text), limit=10)
            totals.append(time.perf_counter() - t0)
            encodes.append(t1 - t0)
            if model.bank is not None:  # search alone, both ways, interleaved (the same load for both)
                for condition in (q % 2 == 0, q % 2 == 1):
                    t2 = time.perf_counter()
                    index.search(query=vector_query(vector, text=text), limit=10, condition=condition)
                    searches[condition].append(time.perf_counter() - t2)
        print(f"  {engine:>6} {n:>7,} images: total {percentiles(totals)}   (encode alone {percentiles(encodes)})")
        if model.bank is not None:
            ratio = np.median(searches[True]) / np.median(searches[False])
            print(f"  {engine:>6} {n:>7,} images: search alone, cosine {percentiles(searches[False])}, conditioned "
                  f"{percentiles(searches[True])}: x{ratio:.2f} at p50")
        store.close()


def prefetch_vs_full(n, n_queries, dim, engines, rng) -> None:
    small_dim = small_dim_for(dim)
    vectors = synthetic(n, dim, rng)
    picks = rng.choice(n, n_queries, replace=False)
    queries = vectors[picks] + 0.8 * synthetic(n_queries, dim, rng)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    t0 = time.perf_counter()
    exact = [{point_id(str(i)) for i in np.argpartition(-(vectors @ q), 10)[:10]} for q in queries]
    numpy_ms = 1000 * (time.perf_counter() - t0) / n_queries
    print(f"(3) {n:,} points x {dim}-d (+{small_dim}-d), {n_queries} queries, recall@10 against exact numpy search "
          f"(numpy alone: {numpy_ms:.1f} ms/query); load average {load()}")
    for engine in engines:
        store = VectorStore(":memory:", engine=engine)
        store.ensure_collection("synthetic", dim, small_dim)
        t0 = time.perf_counter()
        fill(store, vectors, small_dim)
        print(f"  [{engine}] filled in {time.perf_counter() - t0:.0f} s")
        measure(store, queries, exact, small_dim, engine)
        if engine == "edge":
            t0 = time.perf_counter()
            store.backend.optimize()  # builds HNSW (m=16, ef_construct=100) on the vectors
            print(f"  [edge] optimized (HNSW index built) in {time.perf_counter() - t0:.0f} s, "
                  f"{store.backend.shard.info().indexed_vectors_count:,} vectors indexed")
            measure(store, queries, exact, small_dim, "edge+hnsw")
        store.close()
    print(f"  load average after: {load()}")


def measure(store: VectorStore, queries, exact, small_dim: int, label: str) -> None:
    """Full search and coarse-to-fine (two prefetch sizes): p50/p95, speed-up at p50, recall@10."""
    store.query(queries[0], limit=10)
    store.query(queries[0], limit=10, prefetch_dim=small_dim)
    full_t, full_r = timed(store, queries, exact)
    print(f"  [{label}] full {queries.shape[1]}-d:              {percentiles(full_t)}   recall@10 {full_r:.3f}")
    for prefetch_limit in (100, 400):
        pre_t, pre_r = timed(store, queries, exact, prefetch_dim=small_dim, prefetch_limit=prefetch_limit)
        print(f"  [{label}] {small_dim}-d prefetch {prefetch_limit:>3} + rerank: {percentiles(pre_t)}   "
              f"recall@10 {pre_r:.3f}   speed-up x{np.median(full_t) / np.median(pre_t):.2f} (p50)")


def timed(store: VectorStore, queries, exact, **kw):
    times, recalls = [], []
    for q, want in zip(queries, exact):
        t0 = time.perf_counter()
        hits = store.query(q, limit=10, **kw)
        times.append(time.perf_counter() - t0)
        recalls.append(len(want & {str(h.id) for h in hits}) / 10)
    return times, float(np.mean(recalls))


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--engines", nargs="+", default=["client", "edge"], choices=ENGINES)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # local mode's "more than 20,000 points" warning: expected here
    rng = np.random.default_rng(0)
    if not args.skip_latency:
        query_latency(args.sizes, args.queries, args.engines, rng)
    if args.big:
        prefetch_vs_full(args.big, args.queries, args.dim, args.engines, rng)


if __name__ == "__main__":
    main()
