"""A query bank: vectors of typical queries that travel with a model, so search can discount *hub* photos.

Some photos sit near most queries and crowd the top of every ranking. A bank of representative queries
(the model's training captions, or a user's own queries or captions) measures that: a photo's *hubness* is
the mean of its ``k`` highest cosines to the bank (CSLS, Lample et al. 2018), and search ranks photos for a
text query by ``cosine - weight * hubness`` (``search.conditioning``). The bank changes no vector: text and
image vectors stay as they are, and the hubness of a stored photo comes from its stored vector alone.

A bank is saved beside a model's weights (``query_bank.safetensors``: the vectors in float16 and ``k``,
``weight`` as metadata); its ``id`` hashes what the hubness depends on (vectors and ``k``, not ``weight``),
so a collection can tell which bank made the hubness it stores.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional, Sequence

import numpy as np

from .companions import read_companion

BANK_FILE = "query_bank.safetensors"
BANKS_FOLDER = "banks"  # where built-in models' banks ship, under pretrained/
K = 100  # k and weight chosen on Flickr8k dev with the default model (eval/bank_conditioning.py)
WEIGHT = 0.75
MAX_TEXTS = 50_000  # a bank past this costs index time for little more (6,000 measured to suffice)
_CHUNK = 4096  # images per block when computing hubness (bounds the images x bank matrix)


@dataclass(frozen=True)
class QueryBank:
    """``vectors`` (N x D, unit rows, float16), the ``k`` nearest queries averaged and the correction ``weight``."""

    vectors: np.ndarray
    k: int = K
    weight: float = WEIGHT
    source: str = ""

    def __post_init__(self):
        vectors = np.asarray(self.vectors)
        if vectors.ndim != 2 or len(vectors) == 0:
            raise ValueError(f"a query bank needs a non-empty N x D array of query vectors, got shape {vectors.shape}")
        if not 1 <= self.k <= len(vectors):
            raise ValueError(f"k={self.k} must be in 1..{len(vectors)} (the bank's size)")
        if not 0.0 <= self.weight <= 2.0:
            raise ValueError(f"the bank's weight is {self.weight}; use 0 (no correction) to 2")
        object.__setattr__(self, "vectors", np.ascontiguousarray(vectors, dtype=np.float16))

    @property
    def dim(self) -> int:
        return self.vectors.shape[1]

    @functools.cached_property
    def id(self) -> str:
        """What the hubness depends on: the vectors and ``k`` (16 hex digits; hashed once, search reads it per hit)."""
        digest = hashlib.sha256(self.vectors.tobytes())
        digest.update(f"csls k={self.k}".encode())
        return digest.hexdigest()[:16]

    @functools.cached_property
    def _vectors32(self) -> np.ndarray:
        """The bank in float32, made once (hubness is computed per index batch and per search)."""
        return self.vectors.astype(np.float32)

    def hubness(self, image_vectors) -> np.ndarray:
        """The hubness of each unit image vector (rows): the mean of its ``k`` highest cosines to the bank."""
        images = np.asarray(image_vectors, dtype=np.float32)
        images = images.reshape(1, -1) if images.ndim == 1 else images
        if images.shape[1] != self.dim:
            raise ValueError(f"image vectors are {images.shape[1]}-d but the query bank is {self.dim}-d; "
                             "the bank belongs to another model")
        bank = self._vectors32
        out = np.empty(len(images), dtype=np.float32)
        for start in range(0, len(images), _CHUNK):
            sims = images[start:start + _CHUNK] @ bank.T
            out[start:start + _CHUNK] = np.partition(sims, -self.k, axis=1)[:, -self.k:].mean(1)
        return out

    def save(self, target) -> Path:
        """Write the bank to ``target``: a model folder (as ``query_bank.safetensors``) or a ``.safetensors`` file."""
        from safetensors.numpy import save_file

        path = Path(target)
        path = path if path.suffix == ".safetensors" else path / BANK_FILE
        save_file({"vectors": self.vectors}, str(path),
                  metadata={"k": str(self.k), "weight": repr(self.weight), "source": self.source})
        return path


def hubness_payload(bank: QueryBank, value: float) -> dict:
    """The payload fields of a photo's hubness under ``bank``: the value, tagged with the bank's id."""
    from .store import payload as P

    return {P.HUBNESS: round(float(value), 6), P.HUBNESS_BANK: bank.id}


def payload_hubness(payload: dict, bank: QueryBank) -> Optional[float]:
    """The hubness a photo's payload holds under ``bank`` (None: none, or another bank's)."""
    return payloads_hubness([payload], bank)[0]


def payloads_hubness(payloads: Sequence[dict], bank: QueryBank) -> list[Optional[float]]:
    """:func:`payload_hubness` of each payload (search reads a whole candidate pool at once)."""
    from .store.payload import HUBNESS, HUBNESS_BANK

    ours = bank.id
    return [float(value) if p.get(HUBNESS_BANK) == ours and isinstance(value := p.get(HUBNESS), (int, float))
            else None for p in payloads]


def stored_image_vector(record) -> Optional[np.ndarray]:
    """A stored point's image vector (what its hubness is computed from), or None if it has none."""
    from .store import IMAGE

    vectors = getattr(record, "vector", None) or {}
    vector = vectors.get(IMAGE) if isinstance(vectors, dict) else vectors
    return None if vector is None else np.asarray(vector, dtype=np.float32)


def load_bank(path) -> Optional[QueryBank]:
    """The bank in ``path`` (a bank file, or a model folder holding ``query_bank.safetensors``); None if none."""
    found = read_companion(path, BANK_FILE)
    if found is None:
        return None
    vectors, meta = found
    try:
        return QueryBank(vectors, k=int(meta.get("k", K)), weight=float(meta.get("weight", WEIGHT)),
                         source=meta.get("source", ""))
    except ValueError as err:
        raise ValueError(f"query bank {path} is damaged: {err}; rebuild it with `mmretrieval bank`") from None


def build_bank(model, texts: Sequence[str], k: int = K, weight: float = WEIGHT, max_texts: int = MAX_TEXTS,
               source: str = "", batch_size: int = 64, show_progress_bar: Optional[bool] = None) -> QueryBank:
    """A bank of ``model``'s image-ranking vectors of ``texts`` (queries or captions of the user's domain):
    blank lines and repeats dropped, at most ``max_texts`` kept (an even sample, in order)."""
    texts = list(dict.fromkeys(t.strip() for t in texts if t and t.strip()))
    if len(texts) < k:
        raise ValueError(f"a query bank needs at least k={k} distinct texts, got {len(texts)}; give more queries "
                         "or captions (thousands work best), or a smaller k")
    if len(texts) > max_texts:
        texts = [texts[i] for i in np.linspace(0, len(texts) - 1, max_texts).round().astype(int)]
    vectors = model.encode_text(texts, task="retrieval.query", batch_size=batch_size,
                                show_progress_bar=show_progress_bar, convert_to_numpy=True)
    vectors = np.asarray(model.image_queries(texts, vectors), dtype=np.float32)
    vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    return QueryBank(vectors, k=k, weight=weight, source=source or f"{len(texts)} texts")


def packaged_bank_path(name: str) -> Path:
    """Where the bank of the built-in model ``name`` ships (``pretrained/banks/NAME.safetensors``)."""
    from .companions import packaged_path

    return packaged_path(BANKS_FOLDER, name)


def model_bank(name_or_path: str) -> Optional[QueryBank]:
    """The bank that goes with a built-in model name, a saved model folder or a Hub id; None where none was made."""
    from .companions import companion_path

    path = companion_path(name_or_path, BANKS_FOLDER, BANK_FILE)
    return None if path is None else load_bank(path)
