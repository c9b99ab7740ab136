"""Which words OCR read in an image match a query: what search shows beside a hit found by its text."""

from __future__ import annotations

import re

from ..store import payload as P

# short function words that match everywhere and tell nothing
_STOP = frozenset("the and for with from that this are was were which what who whom whose where when how does "
                  "say says said any all has have had not but its into onto than then there their them they".split())


def query_words(query: str) -> set[str]:
    """The query's content words, lower-cased: letters/digits runs of 3+ characters (any digits) not in _STOP."""
    return {w for w in re.findall(r"\w+", query.lower()) if (len(w) >= 3 or w.isdigit()) and w not in _STOP}


def matched_lines(query: str, payload: dict) -> list[dict]:
    """The OCR lines of an image payload that share a content word with ``query``: each line's text, box
    and score (as stored) plus ``words``, the matching words as read."""
    wanted = query_words(query)
    out = []
    for line in payload.get(P.OCR_LINES) or ():
        words = [w for w in re.findall(r"\w+", line.get("text", "")) if w.lower() in wanted]
        if words:
            out.append({**line, "words": words})
    return out
