"""Flickr8k numbers for a trained model: test R@1/5/10 both ways, Matryoshka prefixes, multilingual dev.

    python eval/eval_flickr8k.py [MODEL ...] [--split test]

MODEL is a shipped name (default: the shipped default) or a saved model folder. Features come from
the feature cache (the same trunk and text-tower outputs ``encode_image``/``encode_text`` compute).
Writes ``eval/results/flickr8k_<model>.json`` and prints a table.
"""

from __future__ import annotations

import argparse
import csv
import json
from pathlib import Path

from mmretrieval import DEFAULT_MODEL, load_model
from mmretrieval.train.data import Pairs, load_pairs
from mmretrieval.train.features import pair_features
from mmretrieval.train.loop import evaluate_features
from script_args import add_data

RESULTS = Path(__file__).resolve().parent / "results"
PREFIXES = (32, 64, 128, 256)


def evaluate(name: str, data: Path, split: str) -> dict:
    model = load_model(name, device="cpu")
    test = pair_features(model, load_pairs(data, split=split), show_progress_bar=True)
    metrics = {"full": evaluate_features(model, test)}
    for dim in PREFIXES:
        metrics[f"dim{dim}"] = evaluate_features(model, test, truncate_dim=dim)
    full_r5 = metrics["full"]["t2i_R@5"]
    metrics["matryoshka_t2i_R@5_kept"] = {d: metrics[f"dim{d}"]["t2i_R@5"] / full_r5 for d in PREFIXES}
    metrics["multilingual_dev_t2i"] = multilingual(model, data)
    path = Path(name)
    label = path.parent.name if path.name == "best" else path.name  # runs/<model>/best -> <model>
    return {"dataset": "flickr8k", "split": split, "model": label, "task": "image-text retrieval",
            "metrics": metrics}


def multilingual(model, data: Path) -> dict:
    """Text->image R@1/5/10 per language on the Multi30k-translated dev captions (934 images)."""
    rows: dict[str, list] = {}
    with open(data / "multilingual_dev.tsv", newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows.setdefault(row["lang"], []).append((str(data / "images" / row["image"]), row["caption"]))
    out = {}
    for lang, pairs in rows.items():
        recall = evaluate_features(model, pair_features(model, Pairs.from_pairs(pairs)))
        out[lang] = {k: v for k, v in recall.items() if k.startswith("t2i")}
    for lang in out:
        out[lang]["R@5_vs_en"] = out[lang]["t2i_R@5"] / out["en"]["t2i_R@5"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("models", nargs="*", default=[DEFAULT_MODEL])
    add_data(parser)
    parser.add_argument("--split", default="test")
    args = parser.parse_args()
    RESULTS.mkdir(exist_ok=True)
    for name in args.models:
        result = evaluate(name, args.data, args.split)
        (RESULTS / f"flickr8k_{result['model']}.json").write_text(json.dumps(result, indent=1) + "\n")
        m = result["metrics"]
        print(f"\n{name} on Flickr8k {args.split} (1,000 images, 5,000 captions)")
        print("dims  " + "  ".join(f"{k:>8}" for k in m["full"]))
        for key in ["full"] + [f"dim{d}" for d in PREFIXES]:
            print(f"{key:<6}" + "  ".join(f"{v:8.1f}" for v in m[key].values()))
        print("multilingual dev t2i R@1/5/10 (share of en R@5):")
        for lang, r in m["multilingual_dev_t2i"].items():
            print(f"  {lang}: {r['t2i_R@1']:.1f} / {r['t2i_R@5']:.1f} / {r['t2i_R@10']:.1f} ({100 * r['R@5_vs_en']:.0f}%)")


if __name__ == "__main__":
    main()
