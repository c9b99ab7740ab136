"""Chinese query maps from Flickr8k-CN, chosen on dev; what detection misses; English left as it is.

    python eval/language_map_zh.py [MODEL] [--data /work/shared/data/flickr8k] [--train-images N]

Flickr8k-CN's native Chinese captions (not translations) cover the 6,000 train and 1,000 dev images.
Maps are fitted on the captions of the first N train images (all by default; the feature cache fills in
that order) through ``language_map_captions.fit_from_captions`` (what ``mmretrieval language-map`` runs),
toward either target (the image's English captions, or the image's own vector), over a small grid; each
is measured on the 1,000 dev images: the 5,000 Chinese dev captions rank them through the product's
path (detection, then the zh map), beside the 5,000 English dev captions on the same images. The pick
is the best Chinese dev R@5. Detection is counted on the Chinese dev captions (py3langid alone and the
product's detector) and on every English Flickr8k caption and Multi30k de/fr/cs caption (any taken for
Chinese would be mapped: none may be). Writes eval/results/language_map_zh_MODEL.json.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import time
from pathlib import Path

from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.evaluation.datasets import multilingual_tsv
from mmretrieval.language_map_captions import fit_from_captions, image_vectors
from mmretrieval.query_language import detect_languages, identifier
from mmretrieval.train.data import load_pairs

RESULTS = Path(__file__).resolve().parent / "results"
GRID = [  # (target, ridge, steps, temperature); batches of 2048 captions, lr 1e-3
    ("english", 1e-3, 1000, 0.05), ("images", 1e-3, 1000, 0.05), ("images", 1e-4, 1000, 0.05),
    ("images", 1e-3, 2000, 0.05), ("images", 1e-3, 1000, 0.1),
]
BATCH = 2048


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/flickr8k"))
    parser.add_argument("--train-images", type=int, default=None, help="fit on the first N train images only")
    parser.add_argument("--grid", type=int, nargs="+", default=None, help="only these GRID rows (0-based)")
    args = parser.parse_args()
    model = load_model(args.model, device="cpu")
    zh = multilingual_tsv.read_rows(args.data / "zh_captions.tsv")
    train, dev = load_pairs(args.data, split="train"), load_pairs(args.data, split="dev")
    train_names = [Path(p).name for p in train.images][: args.train_images]
    dev_names = {Path(p).name for p in dev.images}
    keep = set(train_names) | dev_names
    english = [{"image": Path(pairs.images[i]).name, "lang": "en", "caption": c}
               for pairs in (train, dev) for c, i in zip(pairs.captions, pairs.image_index)]
    rows = [r for r in zh + english if r["image"] in keep]
    images = image_vectors(model, sorted(keep), args.data / "images")
    grid = []
    for k, (target, ridge, steps, temperature) in enumerate(GRID):
        if args.grid is not None and k not in args.grid:
            continue
        started = time.perf_counter()
        fit = fit_from_captions(model, rows, target=target, images=images, dev=dev_names, ridge=ridge, steps=steps,
                                temperature=temperature, batch_size=BATCH)
        grid.append({"target": target, "ridge": ridge, "steps": steps, "temperature": temperature,
                     "batch_size": BATCH, "dev_t2i_R@5": fit.dev, "fit_seconds": round(time.perf_counter() - started, 1),
                     "zh_share_of_en": {kind: fit.dev["zh"][kind] / fit.dev["en"]["plain"] for kind in ("plain", "mapped")}})
        print(json.dumps(grid[-1]), flush=True)
    pick = max(grid, key=lambda g: g["dev_t2i_R@5"]["zh"]["mapped"])
    result = {"model": args.model, "train_images": len(train_names), "dev_images": len(dev_names),
              "protocol": "maps fitted on Flickr8k-CN train captions, measured on the 1,000 dev images",
              "grid": grid, "pick": pick, "detection": detection(zh, dev_names, args.data, train, dev),
              "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"language_map_zh_{args.model}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    r5 = pick["dev_t2i_R@5"]
    print(f"pick: target {pick['target']}, ridge {pick['ridge']:g}, {pick['steps']} steps, T {pick['temperature']:g}: "
          f"zh dev R@5 {r5['zh']['plain']:.1f} -> {r5['zh']['mapped']:.1f} (en {r5['en']['plain']:.1f}: "
          f"{pick['zh_share_of_en']['plain']:.0%} -> {pick['zh_share_of_en']['mapped']:.0%})")
    print(json.dumps(result["detection"], ensure_ascii=False))


def detection(zh, dev_names, data: Path, train, dev) -> dict:
    """What py3langid alone and the product's detector say of the Chinese dev captions, and how many
    captions in other languages the detector would take for Chinese."""
    captions = [r["caption"].strip() for r in zh if r["image"] in dev_names]
    identify = identifier().classify
    raw = collections.Counter()
    for code, probability in map(identify, captions):
        raw[code if probability >= 0.5 else f"{code} (p < 0.5)"] += 1
    ours = collections.Counter(lang for lang, _ in detect_languages(captions))
    others = {"en (Flickr8k, all splits)": list(train.captions) + list(dev.captions)
              + list(load_pairs(data, split="test").captions)}
    for row in multilingual_tsv.read_rows(data / "multilingual_dev.tsv"):
        others.setdefault(f"{row['lang']} (Multi30k dev)", []).append(row["caption"].strip())
    taken = {name: sum(lang == "zh" for lang, _ in detect_languages(texts)) for name, texts in others.items()}
    return {"zh_dev_captions": len(captions), "py3langid": dict(raw.most_common()),
            "detector": dict(ours.most_common()), "taken_for_zh": taken,
            "texts_checked": {name: len(texts) for name, texts in others.items()}}


if __name__ == "__main__":
    main()
