"""WebDataset shards -> a memory-mapped feature table, one part per shard, resumable; then training features.

``shard_pair_features(model, "cc3m/{00000..00331}.tar")`` streams each shard once (images through the trunk,
captions through the text tower with the caption task), writes its part, and skips shards whose part
exists, so a killed pass resumes where it stopped. Bad samples (no image or caption, an image that does not
decode, a truncated shard) are skipped and reported, and stay reported on a resumed pass.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import torch
from tqdm.auto import tqdm

from ..encoding import pixel_batches
from ..identity import short_hash, text_identity, trunk_identity
from ..paths import cache_dir
from .shards import ShardProblem, expand_shards, read_shard
from .feature_table import FeatureTable, append_rows
from .features import CAPTION_TASK, PairFeatures

logger = logging.getLogger(__name__)

CHUNK = 1024  # samples decoded and encoded together


@dataclass
class ShardFeatures:
    table: FeatureTable
    problems: list  # ShardProblem, over all shards (also those done by an earlier pass)
    rows: int

    def pair_features(self) -> PairFeatures:
        """Training features: the table memory-mapped, caption ``i`` describing image ``i``."""
        image, text = self.table.open()
        skipped = {f"{p.shard}#{p.key}" if p.key else p.shard: p.reason for p in self.problems}
        return PairFeatures(pairs=None, pooled=image, grid=None, text=text, skipped=skipped,
                            rows=torch.arange(len(text)))


def table_for(model, root: Optional[Path] = None) -> FeatureTable:
    """The feature table of ``model``'s frozen towers (trunk + flip setting, text tower, caption prompt)."""
    root = Path(root) if root is not None else cache_dir("features")
    tower = model.text_tower
    key = short_hash(trunk_identity(model.trunk), f"tta_flip={model.config.trunk.tta_flip}", text_identity(tower),
                      tower.prompt_for(CAPTION_TASK))
    return FeatureTable(root / "tables" / key)


def shard_features(model, source, root: Optional[Path] = None, batch_size: int = 64, num_workers: int = 2,
                   show_progress_bar: Optional[bool] = None) -> ShardFeatures:
    """Encode every shard of ``source`` that the model's table lacks; see the module docstring."""
    if model.adapter.needs_grid:
        raise ValueError("feature tables hold pooled features; the attention adapter needs grids (train it on "
                         "a folder or CSV instead, or pick a linear/mlp adapter for shard-scale training)")
    table = table_for(model, root)
    problems: list = []
    urls = expand_shards(source)
    for url in tqdm(urls, desc="shards", unit="shard", disable=show_progress_bar is False):
        name = _part_name(url)
        if not table.has_part(name):
            _encode_shard(model, url, table, name, batch_size, num_workers)
        info = table.part_info(name)
        problems += [ShardProblem(**p) for p in info["problems"]]
    for problem in problems:
        logger.warning("skipped %s", problem)
    rows = sum(table.part_rows(_part_name(u)) for u in urls)
    if rows == 0:
        raise ValueError(f"no usable samples in {len(urls)} shard(s) of {source!r}"
                         + (f" (first problem: {problems[0]})" if problems else ""))
    return ShardFeatures(table=table.subset([_part_name(u) for u in urls]), problems=problems, rows=rows)


def shard_pair_features(model, source, root=None, batch_size: int = 64, show_progress_bar=None) -> PairFeatures:
    return shard_features(model, source, root, batch_size=batch_size, show_progress_bar=show_progress_bar).pair_features()


def _part_name(url: str) -> str:
    return f"{Path(url.split('?')[0]).stem}-{hashlib.sha1(url.encode()).hexdigest()[:8]}"


def _encode_shard(model, url, table: FeatureTable, name: str, batch_size: int, num_workers: int) -> None:
    problems: list = []
    keys, images, texts = [], [], []
    chunk: list = []

    def flush():
        loaded = []  # chunk positions whose image decoded, in order
        for idx, pixels, errors in pixel_batches(model.preprocess, [s.image for s in chunk], batch_size, num_workers):
            problems.extend(ShardProblem(url, chunk[j].key, err.reason) for j, err in errors.items())
            if idx:
                with torch.inference_mode():
                    pooled, _ = model.trunk_features(pixels)
                images.append(pooled.float().cpu().numpy())
                loaded += idx
        kept = [chunk[j] for j in loaded]
        if kept:
            vectors = model.text_tower.encode([s.caption for s in kept], task=CAPTION_TASK, batch_size=batch_size,
                                              convert_to_tensor=True, show_progress_bar=False)
            texts.append(vectors.float().numpy())
            keys.extend(s.path for s in kept)
        chunk.clear()

    for sample in read_shard(url, problems):
        chunk.append(sample)
        if len(chunk) >= CHUNK:
            flush()
    flush()
    table.write_part(name, keys, append_rows(images, model.trunk.output_dim), append_rows(texts, model.text_tower.dim),
                     info={"url": url, "problems": [vars(p) for p in problems]})
