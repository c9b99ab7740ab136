"""On-disk cache of frozen-tower outputs: each image and each text is encoded once, ever.

Both towers are frozen, so what they return for an input never changes. Training reads
its features from here every epoch, and so can evaluation.

API
---
``image_features(model, images, grid=False, ...) -> ImageFeatures``
    Trunk features of image files (paths or raw bytes) for ``model`` (an ``MMRetrievalModel``):
    ``.pooled`` ``(N, C)`` float32, ``.grid`` ``(N, H*W, C)`` float16 when ``grid=True``
    (attention pooling), ``.failed`` ``{index: reason}`` for files that could not be read
    (their rows are zero; ``.kept`` lists the good indices). Bad files never stop the run.
    ``flip=None`` gives what the model computes (with ``trunk.tta_flip``, the average of both views);
    ``flip=False`` / ``True`` the plain / mirrored view alone. Each view is cached on its own.
``text_embeddings(model, texts, task="retrieval.passage", ...) -> Tensor``
    ``(N, D)`` float32, L2-normalised text-tower embeddings (before the model's ``JointSpace``)
    for an ``MMRetrievalModel`` or a bare text tower (``TextTower``, or ``ApiTextTower``: an endpoint, asked once
    per text, ever), with ``task``'s prefix applied.

Keys (see :mod:`mmretrieval.identity`): an image entry is keyed by the trunk's identity (its network,
a checksum of its weights, its preprocessing and options; the mirrored view gets its own key) and the SHA-1 of the file's bytes, so a renamed file still hits and an edited
one does not. A text entry is keyed by the text tower's identity (config + weights checksum), the prompt
prefix and the text. Entries live in append-only safetensors shards under
``<root>/<images|grids|texts>/<tower key>/``, written atomically every ``FLUSH_SECONDS`` (or
``SHARD_ROWS`` rows), so a killed pass keeps its finished batches and a rerun computes only the rest. ``root`` defaults to ``cache_dir("features")``
(``MMRETRIEVAL_CACHE`` moves it).
"""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional, Sequence

import torch
from safetensors import safe_open
from safetensors.torch import save_file
from tqdm.auto import tqdm

from ..encoding import batches, pixel_batches
from ..identity import text_identity, trunk_identity
from ..images import ImageLoadError
from ..paths import cache_dir
from ..vision.views import MIRRORED, PLAIN, VIEWS, average_views

SHARD_ROWS = 2048  # most rows per shard file
FLUSH_SECONDS = 10.0  # finished batches are written at least this often: a killed run loses at most this much


@dataclass
class ImageFeatures:
    """Trunk outputs for a list of images, in input order."""

    pooled: torch.Tensor
    grid: Optional[torch.Tensor] = None
    failed: dict = field(default_factory=dict)  # input index -> reason

    @property
    def kept(self) -> list[int]:
        return [i for i in range(len(self.pooled)) if i not in self.failed]


# ---- public API --------------------------------------------------------------------------
def image_features(
    model,
    images: Sequence,
    grid: bool = False,
    batch_size: int = 64,
    num_workers: int = 2,
    show_progress_bar: Optional[bool] = None,
    root: Optional[Path] = None,
    flip: Optional[bool] = None,
) -> ImageFeatures:
    """Cached trunk features of ``images`` (paths or bytes); see the module docstring."""
    views = _views(model, flip)
    if grid and len(views) > 1:
        raise ValueError("flip test-time augmentation averages pooled features only; it has no grid")
    root = Path(root) if root is not None else cache_dir("features")
    keys = [trunk_identity(model.trunk, mirrored=view == MIRRORED) for view in views]
    pooled_stores = [ShardStore(root / "images" / key) for key in keys]
    grid_store = ShardStore(root / "grids" / keys[0]) if grid else None
    failed: dict[int, str] = {}
    digests: list[Optional[bytes]] = []
    for i, image in enumerate(images):
        try:
            digests.append(_content_digest(image))
        except ImageLoadError as err:
            failed[i] = err.reason
            digests.append(None)
    stores = pooled_stores + ([grid_store] if grid_store is not None else [])
    todo = [i for i, d in enumerate(digests) if d is not None and not all(d in s for s in stores)]
    if todo:  # each image missing from any store is decoded once and run through every view
        _encode_images(model, images, digests, todo, views, pooled_stores, grid_store, batch_size, num_workers,
                       show_progress_bar, failed)
    good = [i for i in range(len(digests)) if i not in failed]
    out = ImageFeatures(pooled=torch.zeros(len(digests), model.trunk.output_dim), failed=failed)
    if good:
        rows = [store.read([digests[i] for i in good]).float() for store in pooled_stores]
        out.pooled[good] = average_views(*rows) if len(rows) > 1 else rows[0]
        if grid_store is not None:
            grid_rows = grid_store.read([digests[i] for i in good])
            out.grid = torch.zeros(len(digests), *grid_rows.shape[1:], dtype=grid_rows.dtype)
            out.grid[good] = grid_rows
    return out


def text_embeddings(
    model,
    texts: Sequence[str],
    task: Optional[str] = "retrieval.passage",
    prompt: Optional[str] = None,
    batch_size: int = 64,
    show_progress_bar: Optional[bool] = None,
    root: Optional[Path] = None,
) -> torch.Tensor:
    """Cached, normalised text-tower embeddings of ``texts``; see the module docstring."""
    tower = getattr(model, "text_tower", model)
    prefix = prompt if prompt is not None else tower.prompt_for(task)
    root = Path(root) if root is not None else cache_dir("features")
    store = ShardStore(root / "texts" / text_identity(tower))
    digests = [hashlib.sha1((prefix + "\0" + t).encode()).digest() for t in texts]
    unique = {d: t for d, t in zip(digests, texts) if d not in store}
    if unique:
        todo = sorted(unique.items(), key=lambda item: -len(item[1]))  # longest first, as encode does: less padding
        show = show_progress_bar if show_progress_bar is not None else len(todo) > 4 * batch_size
        with tqdm(total=len(todo), desc="caption embeddings", unit="text", disable=not show) as bar, \
                ShardWriter(store) as writer:
            for chunk in batches(todo, batch_size):
                vectors = tower.encode([text for _, text in chunk], prompt=prefix, task=task,
                                       batch_size=batch_size, convert_to_tensor=True, show_progress_bar=False)
                writer.add([digest for digest, _ in chunk], vectors)
                bar.update(len(chunk))
    return store.read(digests).float() if digests else torch.empty(0, tower.dim)


def _content_digest(image) -> bytes:
    if isinstance(image, (bytes, bytearray)):
        return hashlib.sha1(image).digest()
    try:
        return hashlib.sha1(Path(image).read_bytes()).digest()
    except FileNotFoundError:
        raise ImageLoadError(str(image), "no such file; check the path") from None
    except IsADirectoryError:
        raise ImageLoadError(str(image), "is a folder, not an image file") from None
    except (TypeError, AttributeError):
        raise ImageLoadError(repr(image)[:80], "the feature cache takes file paths or raw bytes") from None


# ---- encoding ----------------------------------------------------------------------------
def _views(model, flip: Optional[bool]) -> tuple[str, ...]:
    if flip is None:
        return VIEWS if model.config.trunk.tta_flip else (PLAIN,)
    return (MIRRORED,) if flip else (PLAIN,)


def _encode_images(model, images, digests, todo, views, pooled_stores, grid_store, batch_size, num_workers, show,
                   failed):
    show = show if show is not None else len(todo) > 4 * batch_size
    stores = (*pooled_stores, grid_store) if grid_store is not None else tuple(pooled_stores)
    desc = "image features" if views == (PLAIN,) else f"image features ({' + '.join(views)})"
    with tqdm(total=len(todo), desc=desc, unit="img", disable=not show) as bar, ShardWriter(*stores) as writer:
        for idx, pixels, errors in pixel_batches(model.preprocess, [images[i] for i in todo], batch_size, num_workers):
            failed.update({todo[j]: err.reason for j, err in errors.items()})
            if idx:
                rows = _view_rows(model, pixels, views, grid_store is not None)
                writer.add([digests[todo[j]] for j in idx], *rows)
            bar.update(len(idx) + len(errors))


def _view_rows(model, pixels, views, grid: bool) -> tuple[torch.Tensor, ...]:
    """Pooled features per view (one trunk call for all views), then the grid if asked (single view only)."""
    if grid:
        pooled, grid_rows = model.trunk_features(pixels, view=views[0], grid=True)
        return pooled.float(), grid_rows.half()
    return tuple(part.float() for part in model.view_features(pixels, views))


# ---- storage -----------------------------------------------------------------------------
class ShardWriter:
    """Collects finished batches for one or more stores (same keys) and writes them as a shard per store
    every ``FLUSH_SECONDS`` or ``SHARD_ROWS`` rows, and on leaving the ``with`` block (an exception too)."""

    def __init__(self, *stores: "ShardStore"):
        self.stores = stores
        self.pending: list[tuple[list[bytes], tuple[torch.Tensor, ...]]] = []
        self.last_flush = time.monotonic()

    def add(self, keys: list[bytes], *rows: torch.Tensor) -> None:
        """One batch: its keys and, per store, a ``(len(keys), ...)`` tensor of rows."""
        self.pending.append((list(keys), tuple(r.detach().cpu() for r in rows)))  # one append: never half a batch
        if sum(len(k) for k, _ in self.pending) >= SHARD_ROWS or time.monotonic() - self.last_flush >= FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        pending, self.pending = self.pending, []
        if pending:
            keys = [key for batch_keys, _ in pending for key in batch_keys]
            for i, store in enumerate(self.stores):
                store.write(keys, torch.cat([rows[i] for _, rows in pending]))
        self.last_flush = time.monotonic()

    def __enter__(self) -> "ShardWriter":
        return self

    def __exit__(self, *exc) -> None:
        self.flush()


class ShardStore:
    """Rows keyed by 20-byte digests, in append-only safetensors shards inside one folder."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self._index: Optional[dict[bytes, tuple[Path, int]]] = None

    @property
    def index(self) -> dict[bytes, tuple[Path, int]]:
        if self._index is None:
            self._index = {}
            for shard in sorted(self.folder.glob("*.safetensors")):
                with safe_open(str(shard), framework="pt") as f:
                    for row, digest in enumerate(f.get_tensor("digests").numpy()):
                        self._index[digest.tobytes()] = (shard, row)
        return self._index

    def __contains__(self, digest: bytes) -> bool:
        return digest in self.index

    def __len__(self) -> int:
        return len(self.index)

    def write(self, digests: list[bytes], rows: torch.Tensor) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = f"{uuid.uuid4().hex}.safetensors"
        tmp = self.folder / f".{name}.tmp"
        keys = torch.frombuffer(bytearray(b"".join(digests)), dtype=torch.uint8).view(len(digests), -1)
        save_file({"digests": keys, "rows": rows.contiguous()}, str(tmp))
        os.replace(tmp, self.folder / name)
        for row, digest in enumerate(digests):
            self.index[digest] = (self.folder / name, row)

    def read(self, digests: list[bytes]) -> torch.Tensor:
        """Rows for ``digests`` in order (each must be present)."""
        by_shard: dict[Path, list[tuple[int, int]]] = {}
        for out_row, digest in enumerate(digests):
            shard, row = self.index[digest]
            by_shard.setdefault(shard, []).append((out_row, row))
        out = None
        for shard, pairs in by_shard.items():
            with safe_open(str(shard), framework="pt") as f:
                rows = f.get_tensor("rows")
            if out is None:
                out = torch.empty(len(digests), *rows.shape[1:], dtype=rows.dtype)
            out_idx, src_idx = zip(*pairs)
            out[list(out_idx)] = rows[list(src_idx)]
        return out
