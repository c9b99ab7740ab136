"""The contract between :class:`mmretrieval.store.VectorStore` and the engines that run it.

The facade (``store.py``) and every engine (``client.py``, ``edge.py``) import this module and
nothing of each other: the point type, the errors and the :class:`Backend` protocol live here.

Conventions every engine keeps:

- one engine object serves one collection, at ``location`` (a folder, ``":memory:"`` or a URL);
- filters arrive as qdrant-client ``Filter`` objects (made by ``store.build_filter``) or None;
- results leave as qdrant-client ``Record`` (``retrieve``, ``scroll``) and ``ScoredPoint``
  (``query``) objects with string ids, whichever engine made them;
- vectors arrive as float32 numpy arrays, named ``image``, ``text``, ``ocr`` and ``small``;
- ``slow_past`` is the point count past which the engine's search gets slow (None: no such limit).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Optional, Protocol, runtime_checkable

if TYPE_CHECKING:  # the CLI imports this module to list the engines; numpy loads with an engine
    import numpy as np


class ModelMismatchError(ValueError):
    """The collection was made by another model (or other dims); its vectors are not comparable."""


class StoreLockedError(BlockingIOError):
    """An embedded store folder is already open in another process."""

    @classmethod
    def for_folder(cls, folder, lock) -> "StoreLockedError":
        return cls(f"the embedded Qdrant store {folder} is open in another process (it holds the lock {lock}); "
                   "wait for that process to finish, or run a Qdrant server and use --url for concurrent access")


@dataclass
class Point:
    """One point to write: ``vectors`` maps vector names (image/text/small) to arrays."""

    id: str
    vectors: dict[str, Any]
    payload: dict[str, Any]


# A coarse-to-fine request: (small vector name, small query vector, number of candidates).
Prefetch = "tuple[str, np.ndarray, int]"


@runtime_checkable
class Backend(Protocol):
    """What an engine offers the facade; see the module docstring for the conventions."""

    collection: str
    location: str
    slow_past: Optional[int]

    def exists(self) -> bool: ...

    def read_record(self, key: str) -> Optional[dict]:
        """The JSON record stored under ``key`` at creation (the model that made the collection)."""

    def update_record(self, key: str, record: dict) -> None:
        """Store (or replace) the JSON record under ``key`` beside the creation record."""

    def vector_names(self) -> list[str]:
        """The named vectors the collection was created with."""

    def create(self, sizes: dict[str, int], key: str, record: dict) -> None:
        """A new collection with one cosine vector per name of ``sizes``, recording ``{key: record}``."""

    def drop(self) -> None: ...

    def list_collections(self) -> list[str]:
        """Names of every collection at ``location``, sorted."""

    def disk_bytes(self) -> Optional[int]:
        """Bytes this collection takes on disk, or None where the engine cannot tell (a server, memory)."""

    def upsert(self, points: list[Point]) -> None: ...

    def delete(self, ids: list[str]) -> None: ...

    def set_payload(self, point_id: str, payload: dict) -> None:
        """Merge ``payload`` into one point's payload."""

    def retrieve(self, ids: list[str], with_vectors: bool = False) -> list: ...

    def scroll(self, flt, with_vectors: bool, batch_size: int) -> Iterator: ...

    def count(self, flt) -> int: ...

    def query(self, vector: np.ndarray, using: str, limit: int, flt, prefetch: Optional[Prefetch] = None,
              payload=True) -> list:
        """Top ``limit`` by cosine on ``using``; with ``prefetch``, rerank its candidates on ``using``.
        ``payload``: True (every field) or the names of the only fields to return."""

    def close(self) -> None: ...


def folder_bytes(folder) -> Optional[int]:
    """Disk space the files under ``folder`` take (None if it does not exist): the blocks allocated, not the
    apparent size, which a sparse file (edge's preallocated segments) overstates many times over."""
    if not os.path.isdir(folder):
        return None
    return sum(_allocated(os.path.join(root, name)) for root, _, names in os.walk(folder) for name in names)


def _allocated(path: str) -> int:
    stat = os.lstat(path)
    blocks = getattr(stat, "st_blocks", None)  # (POSIX: 512-byte units whatever the file system's block size)
    return stat.st_size if blocks is None else blocks * 512
