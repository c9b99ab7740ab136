"""Bounds on the server process's memory that no route sets: glibc's malloc arenas, worker threads.

Measured with ``eval/bench_server.py --photo-side 4000`` (README): without them, memory freed after a
burst of requests stays with the process. glibc gives each thread that allocates its own arena (up to 8
per core) and hands little of an arena's freed memory back to the system; the app's sync routes run on
anyio's pool of up to 40 threads, though the store and the image trunk serve one request at a time.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from contextlib import asynccontextmanager

M_ARENA_MAX = -8  # mallopt parameter (glibc malloc.h)


def limit_malloc_arenas(arenas: int = 2) -> bool:
    """Cap glibc's malloc arenas for threads made from now on (``MALLOC_ARENA_MAX``); False off glibc.
    Process-wide: ``mmretrieval serve`` calls it, ``create_app`` does not."""
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name)
        return bool(libc.gnu_get_libc_version and libc.mallopt(M_ARENA_MAX, arenas))
    except (OSError, AttributeError, TypeError):  # not glibc (musl, macOS): nothing to cap
        return False


def thread_limit(threads: int):
    """A FastAPI lifespan that runs the sync routes on at most ``threads`` worker threads (anyio's
    default pool is 40; the limit is this event loop's, not the process's)."""

    @asynccontextmanager
    async def lifespan(app):
        import anyio.to_thread

        anyio.to_thread.current_default_thread_limiter().total_tokens = threads
        yield

    return lifespan
