"""The language map (``mmretrieval language-map``) on Multi30k dev, cross-fitted, and its cost on English test.

    python eval/language_map.py [MODEL] [--data /work/shared/data/flickr8k]

Multi30k's de/fr/cs translations exist for the Flickr8k *dev* images only, so the map is fitted on half of
those images' captions and its text->image R@5 measured with the other half's queries (against all 934
dev images), then the halves swap and the two are averaged: no query is ever ranked by a map fitted on it.
English Flickr8k *test* t2i R@5 is measured with each half's map (averaged). A grid of reference weights and
ridges is swept; the pick is the best mean de/fr/cs R@5 among settings that cost English dev R@5 at most
1 point. Features come from the feature cache. Writes eval/results/language_map_MODEL.json.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from pathlib import Path

import torch

from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.evaluation.datasets import multilingual_tsv
from mmretrieval.language_map import fit_language_map, with_language_map
from mmretrieval.train.cache import text_embeddings
from mmretrieval.train.data import load_pairs
from mmretrieval.train.features import CAPTION_TASK, pair_features
from mmretrieval.train.loop import evaluate_features
from mmretrieval.train.metrics import retrieval_recall

RESULTS = Path(__file__).resolve().parent / "results"
LANGS = ("en", "de", "fr", "cs")
WEIGHTS = (3.0, 10.0, 30.0)
RIDGES = (0.3, 1.0, 3.0)


def dev_recall(model, dev_feats, dev_names, queries, languages, query_names, held_out) -> dict:
    """t2i R@5 per language for the queries of ``held_out`` images, against every dev image in the TSV."""
    with torch.no_grad():
        images = model.adapter_forward(dev_feats.pooled)
    gallery_names = sorted(set(query_names))
    row = {name: i for i, name in enumerate(dev_names)}
    gallery = images[[row[n] for n in gallery_names]]
    position = {n: k for k, n in enumerate(gallery_names)}
    out = {}
    for lang in LANGS:
        picked = [i for i, (code, n) in enumerate(zip(languages, query_names)) if code == lang and n in held_out]
        truth = torch.tensor([position[query_names[i]] for i in picked])
        out[lang] = retrieval_recall(gallery, queries[picked], truth)["t2i_R@5"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", nargs="?", default=DEFAULT_MODEL)
    parser.add_argument("--data", type=Path, default=Path("/work/shared/data/flickr8k"))
    args = parser.parse_args()
    model = load_model(args.model, device="cpu")
    dev = pair_features(model, load_pairs(args.data, split="dev"))
    test = pair_features(model, load_pairs(args.data, split="test"))
    dev_names = [Path(p).name for p in dev.pairs.images]
    rows = multilingual_tsv.read_rows(args.data / "multilingual_dev.tsv")
    languages, names = [r["lang"] for r in rows], [r["image"] for r in rows]
    queries = model.text_to_joint(text_embeddings(model, [r["caption"].strip() for r in rows], task=CAPTION_TASK))
    images = sorted(set(names))
    random.Random(0).shuffle(images)
    halves = (set(images[: len(images) // 2]), set(images[len(images) // 2:]))

    shipped = {k: v.clone() for k, v in model.trainable_state_dict().items()}  # (they alias the live weights)

    def averaged(settings):
        """Scores with the map fitted on one half (none for ``settings=None``), swapped and averaged; the
        one loaded model takes each map's weights in turn and gets its own back after."""
        dev_r5, test_r5 = {lang: 0.0 for lang in LANGS}, 0.0
        for fit, held_out in (halves, halves[::-1]):
            if settings is not None:
                keep = [i for i, n in enumerate(names) if n in fit]
                matrix = fit_language_map(queries[keep], [languages[i] for i in keep], [names[i] for i in keep],
                                          reference_weight=settings[0], ridge=settings[1])
                model.load_trainable_state_dict(with_language_map(model.config, shipped, matrix, languages)[1])
            for lang, r5 in dev_recall(model, dev, dev_names, queries, languages, names, held_out).items():
                dev_r5[lang] += r5 / 2
            test_r5 += evaluate_features(model, test)["t2i_R@5"] / 2
            model.load_trainable_state_dict(shipped)
        return {"dev_t2i_R@5": dev_r5, "dev_share_of_en": {k: v / dev_r5["en"] for k, v in dev_r5.items()},
                "test_en_t2i_R@5": test_r5}

    plain = averaged(None)
    grid = [{"reference_weight": w, "ridge": r, **averaged((w, r))} for w in WEIGHTS for r in RIDGES]
    allowed = [g for g in grid if g["dev_t2i_R@5"]["en"] >= plain["dev_t2i_R@5"]["en"] - 1]
    pick = max(allowed, key=lambda g: sum(g["dev_t2i_R@5"][lang] for lang in LANGS[1:]), default=None)
    result = {"model": args.model, "protocol": "fitted on half the Multi30k dev images, scored on the other half's "
              "queries against all dev images, halves swapped and averaged", "plain": plain, "grid": grid,
              "pick": pick, "load_average": os.getloadavg()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"language_map_{args.model}.json").write_text(json.dumps(result, indent=1) + "\n")
    print(f"{args.model}: dev t2i R@5 per language (share of en), English test t2i R@5")
    for label, r in [("plain", plain)] + [(f"w={g['reference_weight']:g} ridge={g['ridge']:g}", g) for g in grid]:
        mark = " <- pick" if r is pick else ""
        print(f"{label:>18}  " + "  ".join(f"{lang} {r['dev_t2i_R@5'][lang]:.1f} ({r['dev_share_of_en'][lang]:.0%})"
                                         for lang in LANGS) + f"  test en {r['test_en_t2i_R@5']:.2f}{mark}")


if __name__ == "__main__":
    main()
