"""JPEG thumbnails of indexed photos, cached up to a number of bytes (not of entries)."""

from __future__ import annotations

import io
import threading
from collections import OrderedDict

from ..images import load_image

CACHE_BYTES = 32 * 2**20  # ~2,000 thumbnails of 256 px (~15 KB each), ~600 of 512 px


class ThumbnailCache:
    """``cache(path, mtime, size) -> JPEG bytes``, least recently used first out once over ``max_bytes``.

    A thumbnail decodes its photo at a reduced JPEG scale (``load_image(min_size=)``): a 12 MP photo is
    decoded at 1/4 or 1/8 of its side, not into a 36 MB buffer per request.
    """

    def __init__(self, max_bytes: int = CACHE_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, path: str, mtime: float, size: int) -> bytes:
        key = (path, mtime, size)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        data = thumbnail(path, size)  # (outside the lock: two requests for one new thumbnail both make it)
        with self._lock:
            if key not in self._items:
                self._items[key] = data
                self.bytes += len(data)
            while self.bytes > self.max_bytes and self._items:
                self.bytes -= len(self._items.popitem(last=False)[1])
        return data


def thumbnail(path: str, size: int) -> bytes:
    """A JPEG of ``path`` fitted into ``size`` x ``size``."""
    image = load_image(path, min_size=size)
    image.thumbnail((size, size))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=82)
    return out.getvalue()
