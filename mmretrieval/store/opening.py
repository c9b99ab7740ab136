"""``open_store``: the store type for a collection, mmretrieval's own or one another tool made."""

from __future__ import annotations

from typing import Optional, Union

from .attached import AttachedStore
from .collection import VectorStore
from .ids import DEFAULT_COLLECTION


def open_store(path=None, url: Optional[str] = None, api_key: Optional[str] = None,
               collection: str = DEFAULT_COLLECTION, engine: Optional[str] = None, vector: Optional[str] = None,
               client=None) -> Union[VectorStore, AttachedStore]:
    """A :class:`VectorStore` on ``collection`` (embedded at ``path``, at ``url``, or through ``client``), or,
    given ``vector``, an :class:`AttachedStore` on that dense vector of a collection another tool made
    (``""``: its unnamed vector). Both read and write alike; ``store.is_foreign`` tells them apart."""
    where = dict(path=path, url=url, api_key=api_key, collection=collection, engine=engine, client=client)
    return VectorStore(**where) if vector is None else AttachedStore(vector, **where)
