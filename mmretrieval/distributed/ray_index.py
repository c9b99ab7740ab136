"""Embed a large photo collection with Ray Data and write it to Qdrant (and/or Parquet), point for point as ``index``.

``ray_index(["/nfs/photos"], model="e5-small-lite0", url="http://qdrant:6333")`` lists the files on the driver
(the same walk as ``mmretrieval index``), spreads them over a pool of actors that each load the model once
(``num_gpus`` per actor when the cluster has GPUs), and each actor reads, hashes, decodes and embeds with the
indexer's own ``prepare`` and vectors, so ids (path + content hash), vectors and payloads are those
``mmretrieval index`` writes. Re-running writes the same points again (idempotent). With ``parquet=``, the
rows are also written to ``<parquet>/part-0.parquet`` (``id, path, hash, size, width, height, mtime, error,
photo (the EXIF fields as JSON), image, small``) as they stream back, with or without a Qdrant target. Paths must be readable by every worker (shared storage) on a real cluster.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import numpy as np

from ..registry import DEFAULT_MODEL

logger = logging.getLogger(__name__)

COLUMNS = ("id", "path", "hash", "size", "width", "height", "mtime")


@dataclass
class RayIndexReport:
    written: int = 0
    skipped: list = field(default_factory=list)  # (path, reason)
    parquet: Optional[str] = None


class ImageEmbedder:
    """A Ray Data actor: the model loaded once; a batch of ``path`` rows -> point rows (or the reason each failed)."""

    def __init__(self, model: str, small_dim: int, device: Optional[str] = None, runtime: Optional[str] = None):
        from ..registry import load_model

        self.model = load_model(model, device=device, runtime=runtime)
        self.small_dim = small_dim

    def __call__(self, batch: dict) -> dict:
        import torch

        from ..indexing.image_source import image_vectors
        from ..indexing.prepare import prepare

        trunk = self.model.trunk
        items = [prepare(str(path), trunk.preprocess, trunk.input_size) for path in batch["path"]]
        good = [i for i, item in enumerate(items) if item.error is None]
        full = np.zeros((len(items), self.model.embed_dim), np.float32)
        small = np.zeros((len(items), self.small_dim), np.float32)
        if good:
            full[good], small[good] = image_vectors(self.model, torch.stack([items[i].pixels for i in good]),
                                                    self.small_dim)
        out = {name: np.array([getattr(item, name) for item in items]) for name in COLUMNS}
        out.update(image=full, small=small, error=np.array([item.error or "" for item in items]),
                   photo=np.array([json.dumps(item.photo or {}) for item in items]))
        return out


def ray_index(inputs, model: str = DEFAULT_MODEL, url: Optional[str] = None, api_key: Optional[str] = None,
              store: Optional[str] = None, collection: Optional[str] = None, parquet: Optional[str] = None,
              batch_size: int = 32, actors: Optional[int] = None, gpus_per_actor: Optional[float] = None,
              address: Optional[str] = None, write_batch: int = 256, engine: Optional[str] = None,
              runtime: Optional[str] = None) -> RayIndexReport:
    """Embed the images under ``inputs`` on Ray; see the module docstring.

    ``model``: a built-in name, a saved folder or a Hub id (what every actor loads). ``url``/``store``: the Qdrant
    server or embedded folder to write (neither with ``parquet``: Parquet only). ``actors``: model replicas
    (default: one per GPU, else one per 2 CPUs). ``address``: a running Ray cluster (default: the one this
    process is connected to, else a local one). ``runtime``: where each actor's image trunk runs (see ``load_model``).
    """
    import ray

    from ..indexing import Index
    from ..indexing.files import walk
    from ..indexing.target import small_dim_for
    from ..registry import load_model
    from ..store import DEFAULT_COLLECTION

    if not ray.is_initialized():
        ray.init(address=address)
    files = walk(inputs).images
    if not files:
        raise FileNotFoundError(f"no images found in {' '.join(map(str, inputs))}")
    resources = ray.cluster_resources()
    gpus = gpus_per_actor if gpus_per_actor is not None else (1.0 if resources.get("GPU", 0) >= 1 else 0.0)
    actors = actors or (int(resources.get("GPU", 0)) if gpus else max(1, int(resources.get("CPU", 1)) // 2))
    driver_model = load_model(model, device="cpu", runtime=runtime)  # dims, name and fingerprint for the collection
    small_dim = small_dim_for(driver_model.embed_dim)
    writer = None
    if url is not None or store is not None or parquet is None:
        writer = Index.open(path=store, url=url, api_key=api_key, collection=collection or DEFAULT_COLLECTION,
                            model=driver_model, engine=engine)
        writer.ensure_collection()
    dataset = ray.data.from_items([{"path": path} for path in files]).map_batches(
        ImageEmbedder, fn_constructor_kwargs={"model": model, "small_dim": small_dim, "device": "cuda" if gpus else "cpu",
                                                "runtime": runtime},
        batch_size=batch_size, concurrency=actors, num_gpus=gpus or None, num_cpus=1, batch_format="numpy")
    report = RayIndexReport(parquet=str(parquet) if parquet is not None else None)
    sink = None
    try:
        for batch in dataset.iter_batches(batch_size=write_batch, batch_format="numpy"):
            report.skipped += [(str(p), str(e)) for p, e in zip(batch["path"], batch["error"]) if e]
            if parquet is not None:
                sink = _write_parquet(sink, Path(parquet).expanduser(), batch)
            written = _upsert(writer, batch) if writer is not None else int(sum(1 for e in batch["error"] if not e))
            report.written += written
    finally:
        if sink is not None:
            sink.close()
        if writer is not None:
            writer.close()
    return report


def _write_parquet(sink, folder: Path, batch: dict):
    """Append one batch to ``folder/part-0.parquet`` (vectors as fixed-size float lists)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    columns = {name: pa.array(batch[name].tolist()) for name in (*COLUMNS, "error", "photo")}
    for name in ("image", "small"):
        vectors = np.ascontiguousarray(batch[name], dtype=np.float32)
        columns[name] = pa.FixedSizeListArray.from_arrays(pa.array(vectors.ravel()), vectors.shape[1])
    table = pa.table(columns)
    if sink is None:
        folder.mkdir(parents=True, exist_ok=True)
        sink = pq.ParquetWriter(folder / "part-0.parquet", table.schema)
    sink.write_table(table)
    return sink


def _upsert(writer, batch: dict) -> int:
    from ..indexing.hubness import stamp as stamp_hubness
    from ..indexing.image_source import image_point
    from ..indexing.prepare import Prepared

    points = []
    for i, error in enumerate(batch["error"]):
        if error:
            continue
        item = Prepared(path=str(batch["path"][i]), size=int(batch["size"][i]), mtime=float(batch["mtime"][i]),
                        hash=str(batch["hash"][i]), id=str(batch["id"][i]), width=int(batch["width"][i]),
                        height=int(batch["height"][i]), photo=json.loads(str(batch["photo"][i])))
        points.append(image_point(item, np.asarray(batch["image"][i]), np.asarray(batch["small"][i])))
    stamp_hubness(writer.store, writer.model, points)
    writer.store.upsert(points)
    return len(points)
