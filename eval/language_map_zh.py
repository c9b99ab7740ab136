"""Chinese query maps from Flickr8k-CN, measured on dev; what detection misses; English left as it is.

    python eval/language_map_zh.py [MODEL] [--data ../shared/data/flickr8k] [--train-images N] [--folds 5]
                                   [--grid 0 3] [--ship DIR]

Flickr8k-CN's native Chinese captions (not translations) cover the 6,000 train and 1,000 dev images.
Maps are fitted through ``languages.fit_captions.fit_from_captions`` (what ``mmretrieval language-map``
runs) on the captions of the first N train images (all by default; the feature cache fills in that order)
and, with ``--folds K``, of the dev images outside one fold, whose captions they then map: every dev
caption is mapped by a map fitted without its photo. Each GRID setting (target: the image's English
captions or its own vector) is measured on all 1,000 dev images: the 5,000 Chinese dev captions rank
them through the product's path (detection, then the zh map), beside the 5,000 English dev captions on
the same images. Detection is counted on the Chinese dev captions (py3langid alone and the product's
detector) and on every English Flickr8k caption and Multi30k de/fr/cs caption (any taken for Chinese
would be mapped: none may be). Writes eval/results/language_map_zh_MODEL.json.
"""

from __future__ import annotations

import collections
import json
import os
import random
import time
from pathlib import Path

import torch

from mmretrieval import load_model
from mmretrieval.evaluation.datasets import multilingual_tsv
from mmretrieval.languages.fit_captions import fit_from_captions, image_vectors, save_with_maps
from mmretrieval.languages.detect import detect_languages, identifier
from mmretrieval.train.cache import text_embeddings
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK
from mmretrieval.train.metrics import retrieval_recall
from script_args import model_parser

RESULTS = Path(__file__).resolve().parent / "results"
BATCH = 512  # captions per step
LINEAR = dict(ridge=1e-4, steps=300, temperature=0.05, lr=1e-2, batch_size=BATCH)
GRID = [  # fit_from_captions settings: the target and fit_query_map's options
    dict(LINEAR, target="english"), dict(LINEAR, target="english", ridge=1e-3), dict(LINEAR, target="images"),
    dict(LINEAR, target="images", ridge=1e-5, steps=1000),  # (ridge, steps screened on held-out train photos: docs/languages.md)
]


def main() -> None:
    parser = model_parser(__doc__)
    parser.add_argument("--train-images", type=int, default=None, help="fit on the first N train images only")
    parser.add_argument("--folds", type=int, default=1, help="also fit on the dev images of all folds but one, "
                        "and map that fold's captions (1: fit on train images only)")
    parser.add_argument("--ship", type=Path, default=None, help="write a model folder with the pick's map as "
                        "measured (fitted on train captions only: needs --folds 1; languages.fit_captions.save_with_maps)")
    parser.add_argument("--grid", type=int, nargs="+", default=None, help="only these GRID rows (0-based)")
    args = parser.parse_args()
    if args.ship and args.folds != 1:
        raise SystemExit("--ship writes the map fitted on train captions only, as measured: leave out --folds")
    model = load_model(args.model, device="cpu")
    shipped = {lang: m for lang, m in (model.query_maps.maps if model.query_maps else {}).items() if lang != "zh"}
    model.set_query_maps(shipped)  # (a model that ships a zh map is measured with maps fitted here)
    zh = multilingual_tsv.read_rows(args.data / "zh_captions.tsv")
    train, dev = load_pairs(args.data, split="train"), load_pairs(args.data, split="dev")
    train_names = [Path(p).name for p in train.images][: args.train_images]
    dev_names = {Path(p).name for p in dev.images}
    keep = set(train_names) | dev_names
    english = [{"image": Path(pairs.images[i]).name, "lang": "en", "caption": c}
               for pairs in (train, dev) for c, i in zip(pairs.captions, pairs.image_index)]
    rows = [r for r in zh + english if r["image"] in keep]
    chosen = [g for k, g in enumerate(GRID) if args.grid is None or k in args.grid]
    photos = keep if any(g["target"] == "images" for g in chosen) else dev_names  # (train photos only as targets)
    images = image_vectors(model, sorted(photos), args.data / "images")
    dev_rows = [r for r in rows if r["image"] in dev_names]
    text = model.text_to_joint(text_embeddings(model, [r["caption"].strip() for r in dev_rows], task=CAPTION_TASK))
    names = sorted(dev_names)
    gallery = torch.stack([images[n] for n in names])
    truth = torch.tensor([names.index(r["image"]) for r in dev_rows])

    def by_language(vectors) -> dict:  # t2i R@5 over the 1,000 dev images, per language
        return {lang: retrieval_recall(gallery, vectors[picked], truth[picked])["t2i_R@5"]
                for lang in ("en", "zh") for picked in [[i for i, r in enumerate(dev_rows) if r["lang"] == lang]]}

    plain = by_language(text)
    shuffled = names.copy()
    random.Random(0).shuffle(shuffled)
    folds = [set(shuffled[k::args.folds]) for k in range(args.folds)] if args.folds > 1 else [dev_names]
    grid = []
    fitted = {}
    for k, setting in enumerate(GRID):
        if args.grid is not None and k not in args.grid:
            continue
        started = time.perf_counter()
        mapped = text.clone()
        for held in folds:  # the fold's captions are mapped by maps fitted without its images
            fit = fit_from_captions(model, rows, images=images, dev=held, **setting)
            picked = [i for i, r in enumerate(dev_rows) if r["image"] in held]
            model.set_query_maps(fit.maps)
            mapped[picked] = model.image_queries([dev_rows[i]["caption"].strip() for i in picked], text[picked])
        model.set_query_maps(shipped)
        fitted[k] = fit.maps
        r5 = {lang: {"plain": plain[lang], "mapped": r5} for lang, r5 in by_language(mapped).items()}
        grid.append({"row": k, **setting, "dev_t2i_R@5": r5, "fit_seconds": round(time.perf_counter() - started, 1),
                     "zh_share_of_en": {kind: r5["zh"][kind] / r5["en"]["plain"] for kind in ("plain", "mapped")}})
        print(json.dumps(grid[-1]), flush=True)
    pick = max(grid, key=lambda g: g["dev_t2i_R@5"]["zh"]["mapped"])
    result = {"model": args.model, "train_images": len(train_names), "dev_images": len(dev_names),
              "protocol": "maps fitted on Flickr8k-CN train captions, measured on the 1,000 dev images",
              "grid": grid, "pick": pick, "detection": detection(zh, dev_names, args.data, train, dev),
              "load_average": os.getloadavg()}
    if args.ship:
        result["shipped"] = {"folder": str(args.ship), "row": pick["row"]}
        print(f"wrote {save_with_maps(model, {**shipped, **fitted[pick['row']]}, args.ship)}")
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"language_map_zh_{args.model}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    r5 = pick["dev_t2i_R@5"]
    print(f"pick: row {pick['row']} (target {pick['target']}, ridge {pick['ridge']:g}, {pick['steps']} steps): "
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
