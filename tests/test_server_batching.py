"""Queries from concurrent requests are encoded together, each caller gets its own vector back."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from mmretrieval.server.batching import QueryBatcher


def test_concurrent_queries_share_batches_and_get_their_own_results():
    batches = []
    release = threading.Event()

    def encode(texts):
        batches.append(list(texts))
        release.wait(5)  # hold the first batch so that the others queue up behind it
        return [f"vec:{t}" for t in texts]

    batcher = QueryBatcher(encode, max_batch=8)
    with ThreadPoolExecutor(10) as pool:
        futures = [pool.submit(batcher, f"q{i}") for i in range(10)]
        deadline = time.monotonic() + 60  # until the worker holds one batch and the others wait in its queue
        while not batches or sum(map(len, batches)) + batcher._queue.qsize() < 10:
            assert time.monotonic() < deadline, "the queries never queued up"
            time.sleep(0.001)
        release.set()
        results = [f.result(5) for f in futures]
    assert results == [f"vec:q{i}" for i in range(10)]
    assert sum(map(len, batches)) == 10 and max(map(len, batches)) > 1 and len(batches) < 10
    assert all(len(b) <= 8 for b in batches)


def test_errors_reach_every_waiting_caller_and_the_worker_survives():
    calls = []

    def encode(texts):
        calls.append(texts)
        if len(calls) == 1:
            raise RuntimeError("model exploded")
        return [t.upper() for t in texts]

    batcher = QueryBatcher(encode)
    with pytest.raises(RuntimeError, match="exploded"):
        batcher("a")
    assert batcher("b") == "B"


def test_batched_vectors_match_single_encodes(tiny_model):
    texts = ["a cat", "a rocket launching into the sky at dawn", "coffee"]
    batcher = QueryBatcher(lambda t: tiny_model.encode_text(t, task="retrieval.query"))
    with ThreadPoolExecutor(3) as pool:
        vectors = list(pool.map(batcher, texts))
    for text, vector in zip(texts, vectors):
        assert float(vector @ tiny_model.encode_text(text, task="retrieval.query")) == pytest.approx(1.0, abs=1e-5)
