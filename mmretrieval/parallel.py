"""Run per-item work (decoding, hashing) on threads, ahead of a consumer, in order."""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable, Iterator


def bounded_map(fn: Callable, items: Iterable, workers: int, ahead: int) -> Iterator:
    """``map(fn, items)`` in order on ``workers`` threads, never more than ``ahead`` results in flight."""
    with ThreadPoolExecutor(max(1, workers)) as pool:
        source = iter(items)
        pending = deque(pool.submit(fn, item) for _, item in zip(range(max(1, ahead)), source))
        while pending:
            done = pending.popleft()
            for item in source:
                pending.append(pool.submit(fn, item))
                break
            yield done.result()
