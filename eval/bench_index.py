"""Indexing throughput, end to end (``Index.add_images``: read, hash, decode, encode, upsert into a fresh
embedded store), for the fast path against the plain torch path, in one run, on the same files.

Rows: ``torch`` is the path before the CPU runtime existed (torch trunk, every JPEG decoded at full
size); ``openvino`` the default on a CPU (OpenVINO trunk, large JPEGs decoded at a reduced DCT scale).
Two photo sets: ``-n`` Flickr8k photos as they are (224 px) and ``--large`` of them upscaled to
4000x3000 (12 MP, generated into a temporary folder and deleted afterwards). The rows alternate
within each round (reversed every other round), so load from other processes hits both alike; compare the ratios.

    python eval/bench_index.py [--images ../shared/data/flickr8k/images] [-n 256] [--large 64]
           [--batch-size 32] [--workers 2] [--rounds 1] [--forward]

``--forward`` also times the trunk + adapter alone on pixels decoded beforehand (no I/O), to show
what decoding and the store cost on top.
"""

from __future__ import annotations

import argparse
import glob
import os
import tempfile
import time
from pathlib import Path

import torch
from PIL import Image

from mmretrieval import list_pretrained, load_model
from mmretrieval.encoding import batches
from mmretrieval.indexing import Index
from mmretrieval.store import VectorStore

ROOT = Path(__file__).resolve().parent.parent
LARGE_SIZE = (4000, 3000)


def index_rate(model, files: list[str], batch_size: int, workers: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        with Index(VectorStore(os.path.join(tmp, "qdrant")), model) as index:
            t0 = time.perf_counter()
            report = index.add_images(files, batch_size=batch_size, show_progress_bar=False, num_workers=workers)
            elapsed = time.perf_counter() - t0
    assert report.added == len(files), report.summary()
    return len(files) / elapsed


def forward_rate(model, files: list[str], batch_size: int) -> float:
    pixels = torch.stack([model.preprocess(f) for f in files])
    t0 = time.perf_counter()
    for idx in batches(range(len(pixels)), batch_size):
        model.embed_pixels(pixels[idx])
    return len(pixels) / (time.perf_counter() - t0)


def other_prior(model):
    """``model`` without its concept prior, or with the dev pick's (w=0.5, top-1 class) if it has none."""
    import dataclasses

    from mmretrieval.concept_prior import add_prior
    from mmretrieval.config import ConceptPriorConfig

    if model.config.concept_prior is not None:
        model.config = dataclasses.replace(model.config, concept_prior=None)
    else:
        add_prior(model, ConceptPriorConfig(weight=0.5, top_k=1))
    return model


def upscale(files: list[str], folder: str) -> list[str]:
    """Write each photo upscaled to 4000x3000 as a quality-90 JPEG (what a phone camera gives)."""
    out = []
    for f in files:
        path = os.path.join(folder, os.path.basename(f))
        Image.open(f).convert("RGB").resize(LARGE_SIZE, Image.BICUBIC).save(path, quality=90)
        out.append(path)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--images", default=str(ROOT.parent / "shared" / "data" / "flickr8k" / "images"))
    parser.add_argument("-n", type=int, default=256, help="photos at their own size")
    parser.add_argument("--large", type=int, default=64, help="photos upscaled to 4000x3000 (0: skip)")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, default=2, help="decode threads")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--forward", action="store_true", help="also time the encoder alone on decoded pixels")
    parser.add_argument("--prior-cost", action="store_true",
                        help="also index with the other side of the concept prior (OpenVINO): with it if the model "
                        "has none (the dev pick, docs/concept-prior.md), without it if it has one; the cost as a ratio")
    args = parser.parse_args()

    files = sorted(glob.glob(os.path.join(args.images, "**", "*.jpg"), recursive=True))[: args.n]
    name = "e5-small-lite0" if "e5-small-lite0" in list_pretrained() else "minilm-l6-lite0"
    models = {rt: load_model(name, pretrained=name in list_pretrained(), device="cpu", runtime=rt)
              for rt in ("torch", "openvino")}
    models["torch"].trunk.input_size = None  # no reduced-size decoding: the path as it was before the runtime
    if args.prior_cost:
        models["other-prior"] = other_prior(load_model(name, device="cpu", runtime="openvino"))
    for model in models.values():  # warm-up (the first OpenVINO call exports or loads the compiled trunk)
        model.encode_image(files[:2])
    print(f"model {name}, batch {args.batch_size}, {torch.get_num_threads()} threads, {args.workers} decode "
          f"workers, {os.cpu_count()} CPUs (shared with other jobs: compare ratios)")

    with tempfile.TemporaryDirectory() as tmp:
        sets = {f"{len(files)} photos as they are": files}
        if args.large:
            t0 = time.perf_counter()
            sets[f"{args.large} photos at 4000x3000"] = upscale(files[: args.large], tmp)
            print(f"(wrote {args.large} 12 MP JPEGs in {time.perf_counter() - t0:.0f} s)")
        rates: dict[tuple[str, str], list[float]] = {}
        for r in range(args.rounds):
            for label, paths in sets.items():
                order = list(models.items())  # every other round in reverse: no row always runs first
                for rt, model in (reversed(order) if r % 2 else order):
                    rate = index_rate(model, paths, args.batch_size, args.workers)
                    rates.setdefault((label, rt), []).append(rate)
                    extra = f"   forward alone {forward_rate(model, paths, args.batch_size):6.1f} img/s" if args.forward else ""
                    print(f"  round {r + 1}  {label:28s} {rt:9s} end-to-end {rate:6.2f} img/s{extra}")
    mean = {k: sum(v) / len(v) for k, v in rates.items()}
    for label in sets:
        print(f"{label:28s} openvino / torch: x{mean[(label, 'openvino')] / mean[(label, 'torch')]:.2f} "
              f"({mean[(label, 'openvino')]:.2f} vs {mean[(label, 'torch')]:.2f} img/s; goal >= 3)")
        if args.prior_cost:
            has = models["openvino"].config.concept_prior is not None
            with_, without = ("openvino", "other-prior") if has else ("other-prior", "openvino")
            print(f"{label:28s} with / without the concept prior: x{mean[(label, with_)] / mean[(label, without)]:.2f}")
    if args.large:
        small, large = list(sets)
        for rt in models:
            print(f"{rt:9s} 12 MP rate / own-size rate: {mean[(large, rt)] / mean[(small, rt)]:.2f} (goal >= 0.7)")


if __name__ == "__main__":
    main()
