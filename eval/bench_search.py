"""Search benchmarks on the embedded Qdrant store (this machine's CPU).

(2) text-query latency, encode + search, p50/p95, with 1k and 10k image points;
(3) 100k points: full-dim search vs 64-d Matryoshka prefetch + full rerank, latency and recall@10.

Image vectors are synthetic (the store's speed does not depend on what the vectors show):
unit vectors whose variance decays over the dims like a PCA-rotated / Matryoshka-trained
embedding's, so a 64-d prefix carries most of the signal. Queries are real text encodes in (2)
and noisy copies of stored directions in (3).

    python eval/bench_search.py [--sizes 1000 10000] [--big 100000] [--queries 50]
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from mmretrieval.indexing import Index, small_dim_for
from mmretrieval.store import IMAGE, SMALL, Point, VectorStore, point_id

QUERIES = ["a dog running on the beach", "a child in a red shirt", "two people climbing a rock",
           "a man riding a bike", "a black cat on a sofa", "a crowd at a concert", "a boat on a lake"]


def synthetic(n: int, dim: int, rng) -> np.ndarray:
    x = rng.normal(size=(n, dim)) / np.sqrt(np.arange(1, dim + 1))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def fill(store: VectorStore, vectors: np.ndarray, small_dim: int, batch: int = 2000) -> None:
    small = vectors[:, :small_dim] / np.linalg.norm(vectors[:, :small_dim], axis=1, keepdims=True)
    for start in range(0, len(vectors), batch):
        store.upsert([
            Point(point_id(str(i)), {IMAGE: vectors[i], SMALL: small[i]},
                  {"kind": "image", "path": f"/photos/{i:06d}.jpg", "width": 500, "height": 375})
            for i in range(start, min(start + batch, len(vectors)))
        ])


def percentiles(times_s) -> str:
    ms = np.asarray(times_s) * 1000
    return f"p50 {np.percentile(ms, 50):7.1f} ms  p95 {np.percentile(ms, 95):7.1f} ms"


def query_latency(sizes, n_queries, rng) -> None:
    from mmretrieval import list_pretrained, load_model

    name = "e5-small-lite0" if "e5-small-lite0" in list_pretrained() else "minilm-l6-lite0"
    model = load_model(name, pretrained=name in list_pretrained(), device="cpu")
    print(f"(2) text query = encode ({name}) + search, embedded store, {n_queries} queries")
    for n in sizes:
        store = VectorStore(":memory:")
        index = Index(store, model)
        info = index.ensure_collection()
        fill(store, synthetic(n, info.dim, rng), info.small_dim)
        index.search(text="warm up")
        totals, encodes = [], []
        for q in range(n_queries):
            text = f"{QUERIES[q % len(QUERIES)]} {q}"
            t0 = time.perf_counter()
            vector = model.encode_text(text, task="retrieval.query")
            t1 = time.perf_counter()
            index.search(vector=vector, limit=10)
            totals.append(time.perf_counter() - t0)
            encodes.append(t1 - t0)
        print(f"  {n:>7,} images: total {percentiles(totals)}   (encode alone {percentiles(encodes)})")
        store.close()


def prefetch_vs_full(n, n_queries, dim, rng) -> None:
    small_dim = small_dim_for(dim)
    store = VectorStore(":memory:")
    store.ensure_collection("synthetic", dim, small_dim)
    vectors = synthetic(n, dim, rng)
    t0 = time.perf_counter()
    fill(store, vectors, small_dim)
    print(f"(3) {n:,} points x {dim}-d (+{small_dim}-d), embedded store, filled in {time.perf_counter() - t0:.0f} s")
    picks = rng.choice(n, n_queries, replace=False)
    queries = vectors[picks] + 0.8 * synthetic(n_queries, dim, rng)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    store.query(queries[0], limit=10)
    store.query(queries[0], limit=10, prefetch_dim=small_dim)
    for prefetch_limit in (100, 400):
        full_t, pre_t, recalls = [], [], []
        for q in queries:
            t0 = time.perf_counter()
            exact = {p.id for p in store.query(q, limit=10)}
            t1 = time.perf_counter()
            coarse = {p.id for p in store.query(q, limit=10, prefetch_dim=small_dim, prefetch_limit=prefetch_limit)}
            t2 = time.perf_counter()
            full_t.append(t1 - t0)
            pre_t.append(t2 - t1)
            recalls.append(len(exact & coarse) / 10)
        speedup = np.median(full_t) / np.median(pre_t)
        print(f"  full {dim}-d:                  {percentiles(full_t)}")
        print(f"  {small_dim}-d prefetch {prefetch_limit:>3} + rerank: {percentiles(pre_t)}   "
              f"speed-up x{speedup:.2f} (p50)   recall@10 vs exact {np.mean(recalls):.3f}")
    # numpy on the same matrix, for scale: what brute force costs without the store around it
    t0 = time.perf_counter()
    for q in queries:
        np.argpartition(-(vectors @ q), 10)[:10]
    print(f"  (plain numpy brute force, same data: {1000 * (time.perf_counter() - t0) / len(queries):.1f} ms/query)")
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--big", type=int, default=100_000)
    parser.add_argument("--dim", type=int, default=384)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--skip-latency", action="store_true")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # local mode's "more than 20,000 points" warning: expected here
    rng = np.random.default_rng(0)
    if not args.skip_latency:
        query_latency(args.sizes, args.queries, rng)
    if args.big:
        prefetch_vs_full(args.big, args.queries, args.dim, rng)


if __name__ == "__main__":
    main()
