"""Near-duplicate photos: image points whose image vectors have cosine >= a threshold, grouped.

Two photos are linked when their image vectors' cosine reaches the threshold; a group is a connected
component of those links (a resized copy of a re-encoded copy joins its original through either). An
embedded store's vectors are compared as a numpy matrix, a block of rows at a time; a server's are
compared by the server's own vector search, one query per photo (nothing O(n^2) runs in Python there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

import numpy as np

from ..store import payload as P
from ..store import IMAGE
from ..search.hits import Hit, hit_json

BLOCK_CELLS = 1 << 24  # similarities held at once by the matrix path (64 MB of float32)
FIRST_NEIGHBOURS = 16  # the search path asks this many neighbours per photo, more while they all qualify


@dataclass
class DuplicateGroup:
    """Photos that are copies of each other: ``items`` largest first (pixels, then bytes: usually the one
    to keep), each hit's ``score`` its best cosine to another member; ``similarity`` the weakest link."""

    items: list[Hit]
    similarity: float

    def to_dict(self, number: int) -> dict:
        """The one JSON shape of group ``number`` (CLI ``--json`` and HTTP alike); items as search hits."""
        return {"group": number, "similarity": round(self.similarity, 6), "size": len(self.items),
                "items": [hit_json(h, rank) for rank, h in enumerate(self.items, 1)]}


def find_duplicates(store, threshold: float, by_search: Optional[bool] = None) -> list[DuplicateGroup]:
    """Groups of near-duplicate images in ``store`` (a :class:`VectorStore`), biggest group first.

    ``by_search``: compare through the store's vector search (default for a server) instead of a matrix
    of all vectors in memory (default for an embedded store)."""
    if not -1.0 <= threshold <= 1.0:
        raise ValueError(f"the duplicate threshold is a cosine, in -1..1; got {threshold}")
    by_search = not store.is_local if by_search is None else by_search
    records = list(store.scroll(store.own(P.KIND_IMAGE), with_vectors=True))
    records = [r for r in records if (r.vector or {}).get(IMAGE) is not None]
    if by_search:
        links = _links_by_search(store, records, threshold)
    else:
        matrix = np.asarray([r.vector[IMAGE] for r in records], dtype=np.float32).reshape(len(records), -1)
        links = similar_pairs(matrix, threshold)
    return _groups(records, links)


def similar_pairs(vectors: np.ndarray, threshold: float) -> Iterator[tuple[int, int, float]]:
    """``(i, j, cosine)`` for every pair ``i < j`` of rows of unit ``vectors`` with cosine >= ``threshold``."""
    n = len(vectors)
    block = max(1, BLOCK_CELLS // max(n, 1))
    for start in range(0, n, block):
        scores = vectors[start:start + block] @ vectors.T
        rows, cols = np.nonzero(scores >= threshold)
        upper = start + rows < cols
        rows, cols = rows[upper], cols[upper]
        yield from zip((start + rows).tolist(), cols.tolist(), scores[rows, cols].tolist())


def _links_by_search(store, records, threshold: float) -> Iterator[tuple[int, int, float]]:
    """The same pairs through the store's search: each photo's neighbours at or above ``threshold``."""
    row = {str(r.id): i for i, r in enumerate(records)}
    for i, record in enumerate(records):
        limit = FIRST_NEIGHBOURS
        while True:
            hits = store.query(record.vector[IMAGE], using=IMAGE, limit=limit)
            if len(hits) < limit or hits[-1].score < threshold:
                break
            limit *= 4
        for hit in hits:
            j = row.get(str(hit.id))
            if j is not None and i < j and hit.score >= threshold:
                yield i, j, float(hit.score)


def components(links: Iterable[tuple[int, int, float]]) -> list[tuple[list[int], float]]:
    """Connected components of ``links`` (union-find) over the rows that have a link: ``(rows, the
    weakest link's cosine)`` each."""
    parent: dict[int, int] = {}

    def root(i: int) -> int:
        parent.setdefault(i, i)
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    edges = []
    for i, j, cosine in links:
        parent[root(i)] = root(j)
        edges.append((i, cosine))
    members: dict[int, list[int]] = {}
    for i in parent:
        members.setdefault(root(i), []).append(i)
    weakest: dict[int, float] = {}
    for i, cosine in edges:
        weakest[root(i)] = min(weakest.get(root(i), 1.0), cosine)
    return [(sorted(rows), weakest[top]) for top, rows in members.items()]


def _groups(records, links: Iterable[tuple[int, int, float]]) -> list[DuplicateGroup]:
    """The connected components of ``links`` as groups of hits, each hit scored by its best link."""
    best: dict[int, float] = {}

    def noted(links):
        for i, j, cosine in links:
            best[i], best[j] = max(best.get(i, -1.0), cosine), max(best.get(j, -1.0), cosine)
            yield i, j, cosine

    groups = []
    for rows, weakest in components(noted(links)):
        hits = [Hit(str(records[i].id), best[i], P.KIND_IMAGE, dict(records[i].payload or {})) for i in rows]
        hits.sort(key=lambda h: (-(h.payload.get(P.WIDTH) or 0) * (h.payload.get(P.HEIGHT) or 0),
                                 -(h.payload.get(P.SIZE) or 0), h.path or ""))
        groups.append(DuplicateGroup(hits, weakest))
    groups.sort(key=lambda g: (-len(g.items), -g.similarity, g.items[0].path or ""))
    return groups
