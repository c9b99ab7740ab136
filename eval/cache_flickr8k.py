"""Fill the feature cache for Flickr8k (train/dev/test + multilingual dev) and report images/s and captions/s.

    python eval/cache_flickr8k.py [--models e5-small-lite0 minilm-l6-lite0] [--data DIR]
    python eval/cache_flickr8k.py --limit 256 --cache /tmp/bench-cache   # throughput on a cold sample

A second run reads everything from the cache (its rates are then cache-read rates).
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from pathlib import Path

from mmretrieval import load_model
from mmretrieval.train.cache import image_features, text_embeddings
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK
from script_args import add_data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--models", nargs="+", default=["e5-small-lite0", "minilm-l6-lite0"])
    add_data(parser)
    parser.add_argument("--limit", type=int, default=None, help="only the first N images and 4N captions")
    parser.add_argument("--cache", type=Path, default=None, help="cache folder (default: the user cache)")
    args = parser.parse_args()
    splits = {s: load_pairs(args.data, split=s) for s in ("train", "dev", "test")}
    with open(Path(args.data) / "multilingual_dev.tsv", newline="", encoding="utf-8") as handle:
        multilingual = [row["caption"] for row in csv.DictReader(handle, delimiter="\t")]
    images = [p for pairs in splits.values() for p in pairs.images]
    captions = [c for pairs in splits.values() for c in pairs.captions] + multilingual
    if args.limit:
        images, captions = images[: args.limit], captions[: 4 * args.limit]
    for name in args.models:
        model = load_model(name, pretrained=False)
        start = time.perf_counter()
        feats = image_features(model, images, show_progress_bar=True, root=args.cache)
        image_s = time.perf_counter() - start
        start = time.perf_counter()
        text_embeddings(model, captions, task=CAPTION_TASK, show_progress_bar=True, root=args.cache)
        text_s = time.perf_counter() - start
        print(json.dumps({"model": name, "images": len(images), "failed": len(feats.failed),
                          "images_per_s": round(len(images) / image_s, 1), "captions": len(captions),
                          "captions_per_s": round(len(captions) / text_s, 1)}), flush=True)


if __name__ == "__main__":
    main()
