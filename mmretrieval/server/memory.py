"""glibc's malloc arenas, capped for the server process (``mmretrieval serve``).

glibc gives each thread that allocates an arena of its own (up to 8 per core) and hands little of an
arena's freed memory back to the system; the app's sync routes run on anyio's pool of up to 40 threads.
Capping the arenas at 2 took most of the growth of RSS under load away (``eval/bench_server.py``, README).
"""

from __future__ import annotations

import ctypes
import ctypes.util

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
