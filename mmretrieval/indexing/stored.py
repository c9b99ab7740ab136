"""What a collection already holds for a set of inputs: its points grouped by file, and pruning."""

from __future__ import annotations

import os

from ..store.payload import PATH
from .files import Scope


def stored_by_path(store, kind: str, scope: Scope) -> dict[str, list]:
    """Stored points of ``kind`` ("image" or "text") whose file lies in ``scope``, grouped by path
    (mmretrieval's own points only: in a collection shared with other tools, theirs are never touched)."""
    stored: dict[str, list] = {}
    for record in store.scroll(store.own(kind)):
        path = record.payload.get(PATH, "")
        if scope.covers(path):
            stored.setdefault(path, []).append(record)
    return stored


def prune_missing(store, stored: dict[str, list]) -> int:
    """Delete the points of files gone from disk (and drop them from ``stored``); return how many files."""
    gone = [path for path in stored if not os.path.exists(path)]
    store.delete([str(record.id) for path in gone for record in stored.pop(path)])
    return len(gone)
