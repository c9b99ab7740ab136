"""Measure the near-duplicate threshold: image-vector cosines of copies of a photo vs. of different photos.

``--photos`` (200) Flickr8k test photos, seeded, and three copies of each, made here: mirrored (PNG),
half size (0.5x, Lanczos, PNG) and re-encoded (JPEG quality 40). Originals and copies are encoded with
the model's ``encode_image`` (the path indexing takes). Flickr8k labels no two photos as the same
scene, so the hard negative of each sampled photo is its nearest *other* photo among the 8,000 of
Flickr8k's three splits (cached features, nothing re-encoded). Over those 8,000 photos, the false groups
at a threshold are the connected components ``Index.duplicates`` would report among distinct photos
(some are not false: Flickr8k holds an exact duplicate and burst shots of one scene, see the README).
The chosen threshold is the lowest 0.01 step at which at most ``--hard-share`` of the sampled photos have
a different photo at or over it.

    python eval/bench_duplicates.py [--model e5-small-lite0] [--photos 200]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.images import load_image
from mmretrieval.indexing.duplicates import components, similar_pairs
from mmretrieval.train import image_features
from mmretrieval.train.data import load_pairs
from script_args import add_data

RESULTS = Path(__file__).resolve().parent / "results"
GRID = [round(0.80 + 0.01 * i, 2) for i in range(20)]


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **options)
    return out.getvalue()


def copies(path: str) -> dict[str, bytes]:
    image = load_image(path)
    return {"mirrored": encoded(image.transpose(Image.Transpose.FLIP_LEFT_RIGHT), "PNG"),
            "half_size": encoded(image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS), "PNG"),
            "jpeg_q40": encoded(image, "JPEG", quality=40)}


def pool_vectors(model, images: list[str]) -> tuple[list[str], np.ndarray]:
    """Unit image vectors of ``images`` from the feature cache (the paths that loaded, and their rows)."""
    feats = image_features(model, images, show_progress_bar=True)
    with torch.no_grad():
        vectors = model.adapter_forward(feats.pooled[feats.kept].to(model.device)).float().cpu()
    return [images[i] for i in feats.kept], torch.nn.functional.normalize(vectors, dim=-1).numpy()


def stats(values: np.ndarray) -> dict:
    q = np.quantile(values, [0.0, 0.01, 0.05, 0.5, 0.95, 0.99, 1.0])
    return dict(zip(("min", "p01", "p05", "median", "p95", "p99", "max"), (round(float(v), 4) for v in q)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    add_data(parser)
    parser.add_argument("--photos", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--hard-share", type=float, default=0.005,
                        help="choose the lowest threshold at which at most this share of the sampled photos has a "
                        "different photo at or over it (default: 0.005, 1 in 200)")
    args = parser.parse_args()
    model = load_model(args.model)
    splits = [load_pairs(args.data, split=s).images for s in ("train", "dev", "test")]
    paths, pool = pool_vectors(model, [p for split in splits for p in split])
    row = {p: i for i, p in enumerate(paths)}
    sample = random.Random(args.seed).sample([p for p in splits[2] if p in row], args.photos)

    originals = model.encode_image(sample, show_progress_bar=False)
    made = [copies(p) for p in sample]
    copy_cos = {kind: (model.encode_image([m[kind] for m in made], show_progress_bar=True) * originals).sum(1)
                for kind in made[0]}
    all_copies = np.concatenate(list(copy_cos.values()))
    cached_cos = (originals * pool[[row[p] for p in sample]]).sum(1)  # the cache vs encode_image: same vectors

    scores = pool[[row[p] for p in sample]] @ pool.T
    scores[np.arange(len(sample)), [row[p] for p in sample]] = -1.0  # not itself
    nearest_other = scores.max(1)

    sweep = []
    for t in GRID:
        groups = components(similar_pairs(pool, t))
        sweep.append({"threshold": t, "copies_grouped_pct": round(100 * float((all_copies >= t).mean()), 2),
                      **{f"{k}_grouped_pct": round(100 * float((v >= t).mean()), 2) for k, v in copy_cos.items()},
                      "nearest_other_over_pct": round(100 * float((nearest_other >= t).mean()), 2),
                      "false_groups_in_8000": len(groups), "photos_in_false_groups": sum(len(r) for r, _ in groups)})
    # the lowest threshold at which at most --hard-share of the sampled photos have a different photo over it
    chosen = next(s["threshold"] for s in sweep if s["nearest_other_over_pct"] <= 100 * args.hard_share)
    false_at_chosen = components(similar_pairs(pool, chosen))
    top_pairs = sorted(similar_pairs(pool, 0.95), key=lambda x: -x[2])[:10]
    result = {"model": args.model, "photos": len(sample), "pool": len(paths),
              "copy_cosine": {k: stats(v) for k, v in copy_cos.items()}, "all_copies_cosine": stats(all_copies),
              "nearest_other_photo_cosine": stats(nearest_other),
              "cache_vs_encode_image_min_cosine": round(float(cached_cos.min()), 5),
              "chosen_threshold": chosen, "hard_share": args.hard_share,
              "copies_grouped_at_chosen_pct": next(s for s in sweep if s["threshold"] == chosen)["copies_grouped_pct"],
              "false_groups_at_chosen": len(false_at_chosen),
              "photos_in_false_groups_at_chosen": sum(len(r) for r, _ in false_at_chosen),
              "false_groups_at_chosen_examples": [[os.path.basename(paths[i]) for i in rows] + [round(w, 4)]
                                                  for rows, w in false_at_chosen[:10]],
              "most_similar_distinct_pairs": [[os.path.basename(paths[i]), os.path.basename(paths[j]), round(c, 4)]
                                              for i, j, c in top_pairs],
              "sweep": sweep, "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"duplicates_{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k != "sweep"}, indent=1))
    for s in sweep:
        print("  ".join(f"{k} {v}" for k, v in s.items()))


if __name__ == "__main__":
    main()
