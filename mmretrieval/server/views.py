"""The JSON shapes the API answers with."""

from __future__ import annotations

import os
from typing import Optional

from ..store import payload as P
from ..search.ocr_words import matched_lines


def urls(point_id: str) -> dict:
    return {"image_url": f"/api/image/{point_id}", "thumb_url": f"/api/thumb/{point_id}"}


def hit_json(hit, query: Optional[str] = None) -> dict:
    """A hit for the page; with the text ``query``, an image read by OCR says which of its lines match it."""
    p = hit.payload
    out = {"id": hit.id, "kind": hit.kind, "score": round(float(hit.score), 6), "path": p.get(P.PATH),
           "name": os.path.basename(p.get(P.PATH) or ""), "caption": p.get(P.CAPTION)}
    if hit.kind == P.KIND_IMAGE:
        out.update(urls(hit.id))
        out.update(width=p.get(P.WIDTH), height=p.get(P.HEIGHT))
        if P.OCR_TEXT in p:
            out.update(ocr_text=p[P.OCR_TEXT], ocr_matches=matched_lines(query, p) if query else [])
        if hit.explanation is not None:
            out["explanation"] = hit.explanation
    else:
        out.update(text=p.get(P.TEXT), start=p.get(P.START), end=p.get(P.END))
    return out
