"""The JSON shapes the API answers with: a hit is ``search.hits.hit_json`` (as the CLI's ``--json``) plus links."""

from __future__ import annotations

import os
from typing import Optional

from ..search.hits import hit_json
from ..store import payload as P


def urls(point_id: str) -> dict:
    return {"image_url": f"/api/image/{point_id}", "thumb_url": f"/api/thumb/{point_id}"}


def hits_json(hits, query: Optional[str] = None) -> list[dict]:
    """Hits best first, each with its file ``name`` and, for an image, its full-size and thumbnail URLs."""
    out = []
    for rank, hit in enumerate(hits, 1):
        entry = {**hit_json(hit, rank, query), "name": os.path.basename(hit.payload.get(P.PATH) or "")}
        if hit.kind == P.KIND_IMAGE:
            entry.update(urls(hit.id))
        out.append(entry)
    return out
