"""Indexing throughput: end-to-end ``Index.add_images`` vs the pure trunk+adapter forward, same files.

The forward pass is timed on tensors decoded beforehand (no I/O, no decode, no store); the
end-to-end run reads, hashes, decodes, encodes and upserts into a fresh embedded store on disk.
Their ratio says whether decode, I/O and upserts eat into the encoder's time (goal >= 0.85).

    python eval/bench_index.py [--images /work/shared/data/flickr8k/images] [-n 320] [--batch-size 32]
"""

from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time

import torch

from mmretrieval import list_pretrained, load_model
from mmretrieval.encoding import batches
from mmretrieval.indexing import Index
from mmretrieval.store import VectorStore


def forward_rate(model, pixels: torch.Tensor, batch_size: int) -> float:
    t0 = time.perf_counter()
    for idx in batches(range(len(pixels)), batch_size):
        model.embed_pixels(pixels[idx])
    return len(pixels) / (time.perf_counter() - t0)


def index_rate(model, files: list[str], batch_size: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        with Index(VectorStore(os.path.join(tmp, "qdrant")), model) as index:
            t0 = time.perf_counter()
            report = index.add_images(files, batch_size=batch_size, show_progress=False, num_workers=workers)
            elapsed = time.perf_counter() - t0
    assert report.added == len(files), report.summary()
    return len(files) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default="/work/shared/data/flickr8k/images")
    parser.add_argument("-n", type=int, default=320)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(args.images, "**", "*.jpg"), recursive=True))[: args.n]
    name = "e5-small-lite0" if "e5-small-lite0" in list_pretrained() else "minilm-l6-lite0"
    model = load_model(name, pretrained=name in list_pretrained(), device="cpu")
    pixels = torch.stack([model.preprocess(f) for f in files])
    forward_rate(model, pixels[: args.batch_size], args.batch_size)  # warm-up
    print(f"{len(files)} files from {args.images}, model {name}, batch {args.batch_size}, "
          f"{torch.get_num_threads()} torch threads, {args.workers} decode workers")
    ratios = []
    for r in range(args.rounds):  # alternate, so load from other processes hits both sides alike
        fwd = forward_rate(model, pixels, args.batch_size)
        e2e = index_rate(model, files, args.batch_size, args.workers)
        ratios.append(e2e / fwd)
        print(f"  round {r + 1}: forward {fwd:6.1f} img/s   end-to-end index {e2e:6.1f} img/s   ratio {e2e / fwd:.3f}")
    print(f"end-to-end / forward: {sum(ratios) / len(ratios):.3f} (goal >= 0.85)")


if __name__ == "__main__":
    main()
