"""What ``mmretrieval collections`` lists: each collection of a store with its model, points and size."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Optional

from .ids import DEFAULT_COLLECTION


@dataclass(frozen=True)
class CollectionSummary:
    """One line of ``mmretrieval collections``: name, the model that made it, points and bytes on disk."""

    name: str
    model: Optional[str]
    points: int
    bytes: Optional[int]

    def to_dict(self) -> dict:
        return asdict(self)


def summarize_collections(open_store) -> list[CollectionSummary]:
    """A summary per collection of a store; ``open_store(name)`` opens a :class:`VectorStore` on it
    (the stores are opened one after the other: an embedded folder allows one open client)."""
    with open_store(DEFAULT_COLLECTION) as store:
        names = store.collection_names()
    summaries = []
    for name in names:
        with open_store(name) as store:
            info = store.info()
            summaries.append(CollectionSummary(name, info.model if info else None, store.count(), store.disk_bytes()))
    return summaries
