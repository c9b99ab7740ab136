"""The JSON shapes the API answers with."""

from __future__ import annotations

import os


def urls(point_id: str) -> dict:
    return {"image_url": f"/api/image/{point_id}", "thumb_url": f"/api/thumb/{point_id}"}


def hit_json(hit) -> dict:
    p = hit.payload
    out = {"id": hit.id, "kind": hit.kind, "score": round(float(hit.score), 6), "path": p.get("path"),
           "name": os.path.basename(p.get("path") or ""), "caption": p.get("caption")}
    if hit.kind == "image":
        out.update(urls(hit.id))
        out.update(width=p.get("width"), height=p.get("height"))
    else:
        out.update(text=p.get("text"), start=p.get("start"), end=p.get("end"))
    return out
