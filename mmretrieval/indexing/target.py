"""The collection a run writes to (its store) and the model that writes it, loaded on first need.

The model must be the one that made an existing collection (name, dims, weights); a collection another
tool made (attached, ``--vector``) takes a raw-space model of the text model that made its texts.
This is the one place indexing asks whether a store is attached.
"""

from __future__ import annotations

import threading
from ..identity import model_fingerprint
from ..store import CollectionInfo, ModelMismatchError
from .attach_check import check_raw_space, check_text_model

DEFAULT_SMALL_DIM = 64


class Target:
    """``store`` and the model that writes it: the one given, else the one recorded in the collection."""

    def __init__(self, store, model=None, runtime=None):
        self.store = store
        self._model = model
        self._runtime = runtime  # where a model loaded from the collection's record runs its image trunk
        self._model_checked = False
        self._text_model_checked = False  # an attached collection's text model, checked once
        self._lock = threading.Lock()  # reader threads ask for the model at once: it loads once

    @property
    def attached(self) -> bool:
        """Whether the store is a collection another tool made (one vector per point, no room for
        mmretrieval's bookkeeping points)."""
        return self.store.is_foreign

    @property
    def given_model(self):
        """The model if it was given or has loaded, else None (without loading one)."""
        return self._model

    @property
    def model(self):
        """The model given, else the built-in one recorded in the collection, else the default (not for
        another tool's collection: there it must be given or recorded); refused with
        :class:`ModelMismatchError` if another model made the collection."""
        with self._lock:
            if self._model is None:
                self._model = self._recorded_model()
            if not self._model_checked:
                self.store.check_made_by(info_of(self._model))  # (reads and writes alike)
                self._model_checked = True
            return self._model

    def _recorded_model(self):
        from ..registry import list_models, load_model

        info = self.store.info()
        if self.attached and (info is None or info.model not in list_models()):
            made_by = f" (its images were written by {info.model!r})" if info else ""
            raise ValueError(f"collection {self.store.collection!r} was made by another tool{made_by}; pass the "
                             "raw-space model of its text model as model= (CLI: --model NAME_OR_FOLDER)")
        if info is not None and info.model not in list_models():
            raise ModelMismatchError(
                f"collection {self.store.collection!r} at {self.store.location} was made by model {info.model!r}, "
                "which is not built in; pass that model's folder as model= (CLI: --model FOLDER)")
        try:
            return load_model(info.model if info else None, runtime=self._runtime)
        except ValueError as err:
            made_by = f" (it was made by {info.model!r})" if info else ""
            raise ValueError(f"{err}. Pass the model for collection {self.store.collection!r}{made_by} "
                             "as model= (CLI: --model NAME_OR_FOLDER)") from None

    def ensure(self) -> CollectionInfo:
        """Create the collection for this model, or refuse if another model made it.

        Attached to another tool's collection: refuse unless this model's vectors live in its text
        model's own space and that text model made the collection's texts (see ``attach_check``)."""
        model = self.model
        attached_unchecked = self.attached and not self._text_model_checked
        if attached_unchecked:
            check_raw_space(model)
        wanted = info_of(model)
        info = self.store.ensure_collection(wanted.model, wanted.dim, wanted.small_dim, wanted.fingerprint)
        if attached_unchecked:
            check_text_model(self.store, model)
            self._text_model_checked = True
        return info

    def info(self) -> CollectionInfo:
        """The record of the collection to write to; loads the model only to create the collection
        (or to check a model given), so a run with nothing to encode never loads one."""
        if self._model is None and not self.attached:
            info = self.store.info()
            if info is not None:
                return info
        return self.ensure()


def small_dim_for(dim: int) -> int:
    """The coarse Matryoshka dim stored next to the full vector: 64, or half of a smaller model's."""
    return min(DEFAULT_SMALL_DIM, max(1, dim // 2))


def info_of(model) -> CollectionInfo:
    """The collection record ``model`` writes (and expects to read)."""
    return CollectionInfo(model.config.name, model.embed_dim, small_dim_for(model.embed_dim), model_fingerprint(model))

