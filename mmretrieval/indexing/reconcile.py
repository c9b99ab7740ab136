"""The one place a file is reconciled with the points stored for it: images and text documents alike.

Per run and kind: points of files gone from disk are removed; a file whose stored points still match
its size and mtime (and what its :class:`Source` asks besides) is kept without being read; a file that
failed before and has not changed since stays skipped, unread; every other file is read. Read, its
content may be stored already (a touched file): a payload-only update. Else its new points are written
first and only then its older points deleted, so a run killed at any moment and run again ends where an
uninterrupted run would. A bad file's points are deleted and the file is remembered (a vector-less
``skipped`` point: path, size, mtime, reason) until it changes; an attached collection (another tool's)
has no room for such points, so there a bad file is read again on the next run.
"""

from __future__ import annotations

import os
from typing import Iterable, Optional, Protocol

from tqdm.auto import tqdm

from ..parallel import bounded_map
from ..store import Point, point_id
from ..store.payload import KIND, MTIME, PATH, SIZE
from .files import Scope
from .results import IndexReport

SKIPPED = "skipped"  # kind of the vector-less points that remember a bad file by path, size and mtime
REASON = "reason"


class Source(Protocol):
    """What a kind of file (``image_source.ImageSource``, ``texts.TextSource``) tells the loop."""

    kind: str  # the payload kind of its points
    desc: str  # progress bar label and unit
    unit: str

    def current(self, path: str, stat: os.stat_result, records: list) -> Optional[list]:
        """The stored records still valid for ``path`` without reading it, or None."""

    def plan(self, todo: list[str], stored: dict[str, list]) -> None:
        """Before reading ``todo``: note which stored content a read may find again."""

    def read(self, path: str):
        """The file read (on a worker thread): ``.path``, ``.size``, ``.mtime``, ``.error`` (a reason, or None)."""

    def refresh(self, item, records: list) -> Optional[dict]:
        """Point id -> payload update if ``item``'s content is stored already (a touched file), else None."""

    def cost(self, item) -> int:
        """How much of an encoder batch ``item`` takes."""

    def points(self, items: list, report: IndexReport) -> list[list[Point]]:
        """The points of each item (encoded together)."""


def reconcile(store, source: Source, paths: list[str], scope: Scope, report: IndexReport, *, remember_bad: bool,
              batch_size: int = 32, num_workers: int = 2, show_progress_bar: bool = True) -> IndexReport:
    """Bring the ``source.kind`` points of ``scope`` in line with ``paths`` (the files of that kind on disk)."""
    stored = stored_by_path(store, source.kind, scope)
    report.removed += prune_missing(store, stored)
    remembered = stored_by_path(store, SKIPPED, scope) if remember_bad else {}
    prune_missing(store, remembered)

    todo = []
    for path in paths:
        stat = _stat(path)
        keep = source.current(path, stat, stored.get(path, [])) if stat is not None else None
        bad = _same_file(stat, remembered.get(path, ()))
        if keep is not None:
            report.unchanged += 1
            _replace(store, stored.get(path, ()), {str(r.id) for r in keep})
        elif bad is not None:  # failed before and untouched since: not read again
            report.skipped.append((path, bad.payload.get(REASON, "bad file")))
        else:
            todo.append(path)
    source.plan(todo, stored)

    bar = tqdm(total=len(todo), desc=source.desc, unit=source.unit) if todo and show_progress_bar else None
    pending, cost = [], 0
    for item in bounded_map(source.read, todo, workers=num_workers, ahead=2 * batch_size):
        if bar is not None:
            bar.update(1)
        old = stored.get(item.path, ())
        if item.error is not None:
            report.skipped.append((item.path, item.error))
            if remember_bad:
                store.upsert([_bad_file_point(item)])
            _replace(store, old, set())
        elif (updates := source.refresh(item, old)) is not None:  # same content: a payload-only update
            for id_, payload in updates.items():
                store.set_payload(id_, payload)
            _replace(store, old, set(updates))
            report.unchanged += 1
        else:
            pending.append(item)
            cost += source.cost(item)
            if cost >= batch_size:
                _write(store, source, pending, stored, report)
                pending, cost = [], 0
    _write(store, source, pending, stored, report)
    if bar is not None:
        bar.close()
    still_bad = {path for path, _ in report.skipped}
    store.delete(str(r.id) for path in todo if path not in still_bad for r in remembered.get(path, ()))  # fine now
    return report


def _write(store, source: Source, items: list, stored: dict[str, list], report: IndexReport) -> None:
    """Write the items' new points, then delete each file's older ones."""
    if not items:
        return
    points = source.points(items, report)
    store.upsert([point for each in points for point in each])
    for item, new in zip(items, points):
        old = stored.get(item.path, ())
        if old:
            report.updated += 1
        else:
            report.added += 1
        _replace(store, old, {p.id for p in new})


def _replace(store, old: Iterable, keep: set[str]) -> None:
    """Delete the ``old`` records other than ``keep`` (after what replaces them is written)."""
    store.delete(str(r.id) for r in old if str(r.id) not in keep)


def _bad_file_point(item) -> Point:
    payload = {KIND: SKIPPED, PATH: item.path, SIZE: item.size, MTIME: item.mtime, REASON: item.error}
    return Point(point_id(item.path, SKIPPED), {}, payload)


def same_file(stat: Optional[os.stat_result], payload: dict) -> bool:
    """Whether a stored payload's size and mtime are the file's now."""
    return stat is not None and payload.get(SIZE) == stat.st_size and payload.get(MTIME) == stat.st_mtime


def _same_file(stat, records):
    return next((r for r in records if same_file(stat, r.payload)), None)


def _stat(path: str) -> Optional[os.stat_result]:
    try:
        return os.stat(path)
    except OSError:
        return None


def stored_by_path(store, kind: str, scope: Scope) -> dict[str, list]:
    """Stored points of ``kind`` whose file lies in ``scope``, grouped by path (mmretrieval's own
    points only: in a collection shared with other tools, theirs are never touched)."""
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
