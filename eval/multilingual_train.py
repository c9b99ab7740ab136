"""Two routes to Chinese on the same photos: train the adapter on English + Chinese captions at once
(``mmretrieval train --captions``), or train it on English and fit a Chinese query map.

    python eval/multilingual_train.py [--train-images N] [--out runs/multilingual] [more `mmretrieval train` options]

Both adapters are trained with the shipped recipe (centred, Matryoshka weights 1 2 1 1 1, then
``mmretrieval convert``: text vectors stay exactly e5's) on the first N Flickr8k train images (all 6,000
by default; the feature cache fills in that order), each picking its epoch on its own languages' dev
captions. Each is then measured on dev without a Chinese map and with one fitted on the same train
images' Chinese captions (``languages.fit_captions``, the shipped zh map's settings): text→image R@5 for
English and Chinese over the 1,000 dev images, with ``--multi30k`` German/French/Czech (Multi30k, no
maps) over 934, and with ``--test`` English Flickr8k test R@5 (reported, not chosen on). Writes eval/results/multilingual_train.json.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import time
from pathlib import Path

import torch

from mmretrieval import load_model
from mmretrieval.cli.main import main as cli
from mmretrieval.evaluation.datasets import multilingual_tsv
from mmretrieval.languages.fit_captions import dev_recall, fit_from_captions, image_vectors
from mmretrieval.train.cache import text_embeddings
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK
from mmretrieval.train.metrics import retrieval_recall

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parent.parent
RECIPE = ["--space", "centred", "--matryoshka-weights", "1", "2", "1", "1", "1"]  # the shipped default's
ZH_FIT = dict(target="english", ridge=1e-4, steps=300, temperature=0.05, lr=1e-2, batch_size=512)  # the shipped zh fit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/flickr8k"))
    parser.add_argument("--train-images", type=int, default=None)
    parser.add_argument("--test", action="store_true", help="also English Flickr8k test R@5 (test features cached)")
    parser.add_argument("--multi30k", action="store_true", help="also de/fr/cs (Multi30k dev captions, no maps)")
    parser.add_argument("--out", type=Path, default=ROOT / "runs" / "multilingual")
    args, extra_train = parser.parse_known_args()  # the rest goes to `mmretrieval train` (e.g. --epochs 10)
    args.out.mkdir(parents=True, exist_ok=True)
    train = load_pairs(args.data, split="train")
    names = [Path(p).name for p in train.images][: args.train_images]
    chosen = set(names)
    table = args.out / f"train_en_{len(names)}.tsv"  # the English pairs of those images
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["image", "caption"])
        writer.writerows((Path(train.images[i]).name, c) for c, i in zip(train.captions, train.image_index)
                         if Path(train.images[i]).name in chosen)
    zh_table = args.data / "zh_captions.tsv"
    arms = {"en": [], "en+zh": ["--captions", str(zh_table)]}
    result = {"train_images": len(names), "recipe": RECIPE + extra_train, "zh_map": ZH_FIT, "arms": {}}
    for arm, extra in arms.items():
        run = args.out / f"{arm}_{len(names)}"
        started = time.perf_counter()
        if not (run / "raw" / "config.json").exists():
            cli(["train", str(table), "--images", str(args.data / "images"), "--dev", str(args.data),
                 "--model", "e5-small-lite0", "--out", str(run), *RECIPE, *extra_train, *extra])
            cli(["convert", str(run / "best"), "--out", str(run / "raw")])
        result["arms"][arm] = measure(load_model(str(run / "raw"), device="cpu"), args.data, chosen, zh_table, args.test, args.multi30k)
        result["arms"][arm]["seconds"] = round(time.perf_counter() - started, 1)
        print(arm, json.dumps(result["arms"][arm]), flush=True)
    result["load_average"] = os.getloadavg()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "multilingual_train.json").write_text(json.dumps(result, indent=1) + "\n")


def measure(model, data: Path, train_names: set, zh_table: Path, test: bool, multi30k: bool) -> dict:
    """Dev R@5 per language without and with a zh map fitted on the training images, and English test R@5."""
    dev, train = load_pairs(data, split="dev"), load_pairs(data, split="train")
    dev_names = {Path(p).name for p in dev.images}
    wanted = train_names | dev_names
    zh = [r for r in multilingual_tsv.read_rows(zh_table) if r["image"] in wanted]
    english = [{"image": Path(pairs.images[i]).name, "lang": "en", "caption": c} for pairs in (train, dev)
               for c, i in zip(pairs.captions, pairs.image_index) if Path(pairs.images[i]).name in wanted]
    images = image_vectors(model, sorted(wanted), data / "images")
    fit = fit_from_captions(model, zh + english, images=images, dev=dev_names, **ZH_FIT)
    out = {"dev_t2i_R@5": fit.dev}
    if multi30k:
        multi = multilingual_tsv.read_rows(data / "multilingual_dev.tsv")
        text = model.text_to_joint(text_embeddings(model, [r["caption"].strip() for r in multi], task=CAPTION_TASK))
        out["multi30k_dev_t2i_R@5"] = {lang: r5["plain"] for lang, r5 in dev_recall(model, {}, multi, text, images)[0].items()}
    if not test:
        return out
    test = load_pairs(data, split="test")
    test_images = image_vectors(model, [Path(p).name for p in test.images], data / "images")
    gallery = torch.stack([test_images[Path(p).name] for p in test.images])
    test_text = model.text_to_joint(text_embeddings(model, test.captions, task=CAPTION_TASK))
    out["test_en_t2i_R@5"] = retrieval_recall(gallery, test_text, torch.tensor(test.image_index))["t2i_R@5"]
    return out


if __name__ == "__main__":
    main()
