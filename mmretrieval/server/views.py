"""The JSON shapes the API answers with."""

from __future__ import annotations

import os

from .. import payload as P


def urls(point_id: str) -> dict:
    return {"image_url": f"/api/image/{point_id}", "thumb_url": f"/api/thumb/{point_id}"}


def hit_json(hit) -> dict:
    p = hit.payload
    out = {"id": hit.id, "kind": hit.kind, "score": round(float(hit.score), 6), "path": p.get(P.PATH),
           "name": os.path.basename(p.get(P.PATH) or ""), "caption": p.get(P.CAPTION)}
    if hit.kind == P.KIND_IMAGE:
        out.update(urls(hit.id))
        out.update(width=p.get(P.WIDTH), height=p.get(P.HEIGHT))
    else:
        out.update(text=p.get(P.TEXT), start=p.get(P.START), end=p.get(P.END))
    return out
