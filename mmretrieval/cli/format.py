"""How the commands print one hit: an image by path (and caption), a passage by path, offsets and text."""

from __future__ import annotations


def hit_line(kind: str, payload: dict, width: int = 100) -> str:
    """``/photos/cat.jpg  (a cat)`` or ``/docs/launch.md [120:412]  "The rocket lifts off …"``."""
    path = payload.get("path") or ""
    if kind == "text":
        return f"{path} [{payload.get('start')}:{payload.get('end')}]  \"{snippet(payload.get('text'), width)}\""
    return path + (f"  ({payload['caption']})" if payload.get("caption") else "")


def snippet(text, width: int = 100) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1] + "…"
