"""Embed the queries of concurrent requests together: one worker thread, shared batches."""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from typing import Callable, Sequence


class QueryBatcher:
    """``batcher(text) -> vector``: callers block while a single worker encodes queued texts in batches.

    Under load, the queries waiting while one batch encodes go together into the next, so 20 clients
    cost one forward pass rather than 20. Alone, a query is encoded at once (a batch of one). The
    worker is the only thread that touches the text model (its Rust tokenizer is not re-entrant).
    """

    def __init__(self, encode: Callable[[list[str]], Sequence], max_batch: int = 32):
        self._encode = encode
        self._max_batch = max_batch
        self._queue: queue.Queue = queue.Queue()
        self._thread = None
        self._start_lock = threading.Lock()

    def __call__(self, text: str):
        future: Future = Future()
        self._ensure_worker()
        self._queue.put((text, future))
        return future.result()

    def _ensure_worker(self) -> None:
        with self._start_lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._work, name="query-batcher", daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            jobs = [self._queue.get()]
            while len(jobs) < self._max_batch:
                try:
                    jobs.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            try:
                vectors = self._encode([text for text, _ in jobs])
            except Exception as err:  # every waiting request gets the error, the worker lives on
                for _, future in jobs:
                    future.set_exception(err)
                continue
            for (_, future), vector in zip(jobs, vectors):
                future.set_result(vector)
