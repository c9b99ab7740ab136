"""Encode throughput on this machine: texts/s for the packaged text towers, images/s for the trunks.

The trunk rows are Lite0/1/2 at their native sizes and the default model's trunk setting (input
size, extra stages, flip: what ``encode_image`` runs), on torch, and that setting again on the
OpenVINO runtime (the default on a CPU; skipped where openvino is not installed).

    python eval/bench_encode.py [--data ../shared/data/flickr8k] [--texts 512] [--images 256]

Uses Flickr8k captions and photos when the folder exists, else the photos in assets/ and
synthetic captions. Each line also prints the ratio against the first row of its kind, measured
in the same run (these machines are noisy: compare ratios, not absolute numbers across runs).
"""

from __future__ import annotations

import argparse
import itertools
import time
from pathlib import Path

import torch

from mmretrieval import DEFAULT_MODEL
from mmretrieval.config import TextTowerConfig, TrunkConfig
from mmretrieval.registry import get_model_config
from mmretrieval.images import load_image
from mmretrieval.text.tower import TextTower
from mmretrieval.vision.trunk import build_trunk

ROOT = Path(__file__).resolve().parent.parent


def load_inputs(data: Path, n_texts: int, n_images: int):
    if (data / "captions.txt").is_file():
        lines = (data / "captions.txt").read_text().splitlines()[:n_texts]
        texts = [line.split("\t", 1)[1] for line in lines]
        images = sorted((data / "images").glob("*.jpg"))[:n_images]
    else:
        texts = [f"a photo number {i} of a dog playing on the beach" for i in range(n_texts)]
        images = list(itertools.islice(itertools.cycle(sorted((ROOT / "assets").glob("*.jpg"))), n_images))
    return texts, images


def rate(n: int, fn) -> float:
    fn(min(n, 8))  # warm-up
    start = time.perf_counter()
    fn(n)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "flickr8k")
    parser.add_argument("--texts", type=int, default=512)
    parser.add_argument("--images", type=int, default=256)
    parser.add_argument("--batch-size", type=int, default=32)
    args = parser.parse_args()
    texts, images = load_inputs(args.data, args.texts, args.images)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {len(texts)} texts, {len(images)} images")

    first = None
    for name in ("minilm-l6", "e5-small-multilingual"):
        tower = TextTower(TextTowerConfig(model=name), device="cpu")
        r = rate(len(texts), lambda n: tower.encode(texts[:n], task="retrieval.passage", batch_size=args.batch_size))
        first = first or r
        print(f"text  {name:24s} {r:8.1f} texts/s   x{r / first:.2f}")

    pil = [load_image(p) for p in images]  # decode once: this measures the trunk alone
    trunks = [(TrunkConfig(name=f"efficientnet-lite{i}"), "torch") for i in range(3)]
    default = get_model_config(DEFAULT_MODEL).trunk  # what encode_image runs for the default
    trunks[1:1] = [(default, "torch"), (default, "openvino")]
    first = None
    for config, runtime in trunks:
        label = f"{config.name} {config.image_size or 'native'}px" + (
            f" +{config.extra_stages} stages" if config.extra_stages else "") + (
            " +flip" if config.tta_flip else "") + f" ({runtime})"
        try:
            trunk = build_trunk(config, device="cpu", runtime=runtime)
        except ImportError as err:
            print(f"image {label:56s} skipped ({err})")
            continue
        pixels = torch.stack([trunk.preprocess(img) for img in pil])
        views = (False, True) if config.tta_flip else (False,)

        def forward(n):
            with torch.inference_mode():
                for start in range(0, n, args.batch_size):
                    batch = pixels[start : min(n, start + args.batch_size)]
                    for flip in views:
                        trunk(batch.flip(-1) if flip else batch)

        r = rate(len(pixels), forward)
        first = first or r
        print(f"image {label:56s} {r:8.1f} images/s  x{r / first:.2f}")

if __name__ == "__main__":
    main()
