"""Each photo's hubness against the model's query bank, stored in its payload (see ``query_bank``).

``stamp`` adds it to image points as they are written; ``backfill`` gives it to the photos of a collection
indexed before (or with another bank) from their stored vectors alone: no image is read or re-encoded. Each
value is tagged with its bank's id (``hubness_bank``) and the collection records the bank its photos were
last brought in line with, so a bank change is recomputed, never mixed (search trusts a value only under
its own bank: ``search.conditioning``).
"""

from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from ..query_bank import hubness_payload, payload_hubness, stored_image_vector
from ..store import IMAGE, Point
from ..store import payload as P

RECORD_KEY = "mmretrieval_bank"  # {"bank": id, "k": k, "source": ...} once a bank's hubness is stored
BATCH = 256


def stamp(store, model, points: Sequence[Point]) -> None:
    """Add the hubness under ``model``'s bank to the payload of each image point in ``points`` (in place),
    first bringing the photos already in ``store`` in line with that bank (``sync``); nothing without a bank."""
    bank = getattr(model, "bank", None)
    photos = [p for p in points if IMAGE in p.vectors and p.payload is not None]
    if bank is None or not photos:
        return
    sync(store, model)
    values = bank.hubness(np.stack([np.asarray(p.vectors[IMAGE], dtype=np.float32) for p in photos]))
    for point, value in zip(photos, values):
        point.payload.update(hubness_payload(bank, value))


def recorded_bank(store) -> Optional[dict]:
    """The bank record of a collection (None: no bank's hubness was ever stored there)."""
    if not store.exists() or store.is_foreign:
        return None
    return store.backend.read_record(RECORD_KEY)


def backfill(store, bank, batch_size: int = BATCH, force: bool = False) -> int:
    """Store the hubness under ``bank`` for every photo of ``store`` whose payload lacks it (or has another
    bank's; ``force``: every photo), from its stored vector; then record the bank. Returns photos updated."""
    if not store.exists():
        return 0
    updated, batch = 0, []
    for record in store.scroll(store.own(P.KIND_IMAGE), with_vectors=True, batch_size=batch_size):
        if force or payload_hubness(record.payload or {}, bank) is None:
            batch.append(record)
        if len(batch) == batch_size:
            updated += _write(store, bank, batch)
            batch = []
    updated += _write(store, bank, batch)
    if not store.is_foreign:
        store.backend.update_record(RECORD_KEY, {"bank": bank.id, "k": bank.k, "source": bank.source})
    return updated


def _write(store, bank, records) -> int:
    vectors = [stored_image_vector(r) for r in records]
    keep = [(r, v) for r, v in zip(records, vectors) if v is not None]
    if not keep:
        return 0
    values = bank.hubness(np.stack([v for _, v in keep]))
    for (record, _), value in zip(keep, values):
        store.set_payload(str(record.id), hubness_payload(bank, value))
    return len(keep)


def sync(store, model) -> int:
    """Bring a collection's stored hubness in line with ``model``'s bank before writing to it: when the
    collection records another bank (or none, but holds photos), every photo is recomputed. Returns photos updated."""
    bank = getattr(model, "bank", None)
    if bank is None or store.is_foreign or not store.exists():
        return 0
    record = recorded_bank(store)
    if record is not None and record.get("bank") == bank.id:
        return 0
    return backfill(store, bank)
